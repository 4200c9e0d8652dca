// The chat page (htmx, no WebSocket needed): clear the box after sending, keep the newest
// message in view.
(function () {
  "use strict";
  function scroll() {
    var log = document.getElementById("chat-log");
    if (log) log.scrollTop = log.scrollHeight;
  }
  document.addEventListener("DOMContentLoaded", scroll);
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "chat-log") scroll();
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (form && form.matches && form.matches("form[data-reset-after-send]") && e.detail.successful) {
      form.reset();
      var box = form.querySelector("input[name=text]");
      if (box) box.focus();
    }
  });
})();
