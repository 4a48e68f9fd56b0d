// Progressive enhancement only; every page works without JavaScript.
// Buttons with data-confirm ask before their form is sent (no inline scripts: CSP).
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});

// A box that scrolls sideways (a wide table on a phone) can be focused and scrolled with
// the keyboard when nothing inside it can take the focus.
function focusableScrollBoxes() {
  var selector = "a[href], button, input, select, textarea, [tabindex]";
  document.querySelectorAll("main table, .bal-scroll, .bal-matrix-wrap").forEach(function (box) {
    if (box.scrollWidth > box.clientWidth && !box.querySelector(selector)) {
      box.setAttribute("tabindex", "0");
    }
  });
}
document.addEventListener("DOMContentLoaded", focusableScrollBoxes);
window.addEventListener("resize", focusableScrollBoxes);

// --- Quick slips (templates/referrals/quick_*.html) --------------------------------
// A member select marked data-typeahead gets a filter box: typing narrows the options to
// those holding every typed word (case and accents ignored) and chooses the first match.
// Without scripting the plain select works as it is.
function foldText(text) {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

function addTypeAhead(select) {
  var options = Array.prototype.slice.call(select.options);
  var input = document.createElement("input");
  input.type = "search";
  input.className = "typeahead";
  input.placeholder = select.dataset.typeahead;
  input.setAttribute("aria-label", select.dataset.typeahead);
  input.setAttribute("aria-controls", select.id);
  input.setAttribute("autocomplete", "off");
  select.parentNode.insertBefore(input, select);
  input.addEventListener("input", function () {
    var words = foldText(input.value).split(/\s+/).filter(Boolean);
    var chosen = select.value;
    var shown = options.filter(function (option) {
      var text = foldText(option.text);
      return option.value === "" || words.every(function (word) {
        return text.indexOf(word) !== -1;
      });
    });
    select.replaceChildren.apply(select, shown);
    var matches = shown.filter(function (option) { return option.value !== ""; });
    var keep = matches.some(function (option) { return option.value === chosen; });
    if (words.length && !keep) {
      select.value = matches.length ? matches[0].value : "";
    } else {
      select.value = chosen;
    }
  });
}

// "One more" clones the form's first row as it was sent by the server (before the
// filter box was added): indices renumbered, input cleared, except the remembered
// choices (inside/outside, hotness, sphere), which follow the row above.
function renumberRow(row, index) {
  ["id", "name", "for", "aria-describedby", "aria-controls"].forEach(function (attr) {
    row.querySelectorAll("[" + attr + "]").forEach(function (el) {
      el.setAttribute(attr, el.getAttribute(attr).replace(/-rows-\d+-/g, "-rows-" + index + "-"));
    });
  });
  row.id = row.id.replace(/-\d+$/, "-" + index);
}

function clearRow(row, above) {
  row.classList.remove("quick-row--error");
  row.querySelectorAll(".error").forEach(function (el) { el.remove(); });
  row.querySelectorAll(".field--error").forEach(function (el) {
    el.classList.remove("field--error");
  });
  row.querySelectorAll("[aria-describedby]").forEach(function (el) {
    el.removeAttribute("aria-describedby");
  });
  row.querySelectorAll("[aria-invalid]").forEach(function (el) {
    el.setAttribute("aria-invalid", "false");
  });
  row.querySelectorAll("details").forEach(function (el) { el.open = false; });
  row.querySelectorAll("input, select").forEach(function (el) {
    var suffix = el.name.replace(/^.*-rows-\d+-/, "");
    var twin = above.querySelector('[name$="-' + suffix + '"]');
    if (el.type === "radio") {
      var checked = above.querySelector('[name$="-' + suffix + '"]:checked');
      el.checked = checked !== null && checked.value === el.value;
    } else if (el.tagName === "SELECT" && !el.dataset.typeahead && twin) {
      el.value = twin.value;
    } else if (el.tagName === "SELECT") {
      el.value = "";
    } else if (el.type === "date") {
      el.value = el.getAttribute("max") || "";
    } else if (el.type !== "hidden") {
      el.value = "";
    }
  });
}

function setUpOneMore(form) {
  var button = form.querySelector("[data-one-more]");
  var rows = form.querySelector("[data-quick-rows]");
  if (!button || !rows) {
    return;
  }
  var template = rows.querySelector("[data-quick-row]").cloneNode(true);
  var max = parseInt(form.dataset.maxRows, 10) || 20;
  button.addEventListener("click", function (event) {
    event.preventDefault();
    var all = rows.querySelectorAll("[data-quick-row]");
    if (all.length >= max) {
      return;
    }
    var index = 0;
    rows.querySelectorAll("[name]").forEach(function (el) {
      var match = /-rows-(\d+)-/.exec(el.name);
      if (match) {
        index = Math.max(index, parseInt(match[1], 10) + 1);
      }
    });
    var row = template.cloneNode(true);
    renumberRow(row, index);
    clearRow(row, all[all.length - 1]);
    var legend = row.querySelector("legend[data-legend]");
    if (legend) {
      legend.textContent = legend.dataset.legend.replace("{n}", String(all.length + 1));
    }
    rows.appendChild(row);
    row.querySelectorAll("select[data-typeahead]").forEach(addTypeAhead);
    button.hidden = all.length + 1 >= max;
    (row.querySelector(".typeahead") || row.querySelector("select")).focus();
  });
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-max-rows]").forEach(setUpOneMore);
  document.querySelectorAll("select[data-typeahead]").forEach(addTypeAhead);
});

// --- Import jobs (templates/imports/job.html) --------------------------------------
// While the worker checks or imports a file, its page asks for the job's figures every
// second and moves the bar; once the job's state changes (checked, done, failed,
// cancelled) it loads the page again, which shows the outcome. Without scripting the
// page refreshes itself (a meta refresh inside noscript).
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector("[data-import-progress]");
  if (!box || !window.fetch) {
    return;
  }
  var bar = box.querySelector("progress");
  var percent = box.querySelector("[data-percent]");
  var rows = box.querySelector("[data-rows]");
  var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);
  function phase(state) {
    if (state === "queued" || state === "checking") {
      return "check";
    }
    return state === "confirmed" || state === "importing" ? "import" : state;
  }
  function show(status) {
    if (phase(status.state) !== phase(box.dataset.state)) {
      window.location.reload();
      return;
    }
    if (status.percent === null) {
      bar.removeAttribute("value");
      percent.textContent = "";
    } else {
      bar.value = status.percent;
      percent.textContent = status.percent + " %";
    }
    rows.textContent = status.stage
      ? box.dataset.labelRows.replace("{rows}", numbers.format(status.done))
      : box.dataset.labelWaiting;
  }
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (status) {
        if (status) {
          show(status);
        }
      })
      .catch(function () {})
      .then(function () {
        window.setTimeout(poll, 1000);
      });
  }
  window.setTimeout(poll, 1000);
});
