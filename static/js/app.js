// Progressive enhancement only; every page works without JavaScript.
// Buttons with data-confirm ask before their form is sent (no inline scripts: CSP).
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
