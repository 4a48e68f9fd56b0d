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
