// Ward switcher on the ward board (no inline scripts: CSP).
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches("select[data-ward-switch]")) window.location.href = el.value;
});
