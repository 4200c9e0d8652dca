// Concierge's only page script: auto-submitting selects, Plotly charts from JSON,
// and the live notification socket. No inline scripts (CSP with nonces).
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches("select[data-autosubmit]") && el.form) el.form.submit();
  });

  function drawCharts(root) {
    if (!window.Plotly) return;
    (root || document).querySelectorAll("script[data-chart-for]").forEach(function (node) {
      var target = document.getElementById(node.dataset.chartFor);
      if (!target || target.dataset.drawn) return;
      var fig = JSON.parse(node.textContent);
      window.Plotly.newPlot(target, fig.data, fig.layout, { responsive: true, displaylogo: false });
      target.dataset.drawn = "1";
    });
  }
  window.concierge = { drawCharts: drawCharts };
  document.addEventListener("DOMContentLoaded", function () { drawCharts(); });
  document.addEventListener("htmx:afterSettle", function (e) { drawCharts(e.target); });

  // Live notifications: the server pushes on the user's group; the bell refreshes itself.
  function connectNotifications(attempt) {
    if (!document.body.dataset.liveUser || !window.WebSocket) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/notifications/");
    socket.onmessage = function (msg) {
      var data = JSON.parse(msg.data);
      if (data.kind === "notification") document.body.dispatchEvent(new Event("live-notification"));
    };
    socket.onclose = function () {
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt || 0));
      setTimeout(function () { connectNotifications((attempt || 0) + 1); }, delay);
    };
  }
  document.addEventListener("DOMContentLoaded", function () { connectNotifications(0); });

  // A generic live channel for pages: <div data-live-socket="/ws/..." data-live-event="x">
  // dispatches DOM event x on body for every message, so htmx can refresh (hx-trigger="x from:body").
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-socket]").forEach(function (el) {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      function open(attempt) {
        var s = new WebSocket(scheme + location.host + el.dataset.liveSocket);
        s.onmessage = function (msg) {
          var ev = new CustomEvent(el.dataset.liveEvent || "live-update", { detail: JSON.parse(msg.data) });
          document.body.dispatchEvent(ev);
        };
        s.onclose = function () { setTimeout(function () { open(attempt + 1); }, Math.min(30000, 1000 * Math.pow(2, attempt))); };
      }
      open(0);
    });
  });

  // Confirm dangerous buttons: <button data-confirm="Delete 12 transactions?">
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm]");
    if (el && !window.confirm(el.dataset.confirm)) event.preventDefault();
  });
})();
