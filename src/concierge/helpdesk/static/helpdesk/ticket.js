// Live presence on a ticket: "Asha is viewing", "Ravi is replying". Agents only.
(function () {
  "use strict";
  var box = document.querySelector("[data-presence-socket]");
  if (!box || !window.WebSocket) return;
  var others = {};
  var mine = "viewing";
  var socket;
  var reply = document.querySelector("#reply-form textarea[name=body]");

  function render() {
    var names = Object.keys(others);
    box.textContent = "";
    names.forEach(function (id) {
      var o = others[id];
      var span = document.createElement("span");
      span.className = "badge me-1 presence-badge " + (o.state === "replying" ? "text-bg-warning" : "text-bg-info");
      span.dataset.state = o.state;
      span.dataset.user = id;
      span.textContent = o.name + " " + (o.state === "replying" ? box.dataset.replying : box.dataset.viewing);
      box.appendChild(span);
    });
  }
  function send(state, isReply) {
    mine = state;
    if (socket && socket.readyState === 1) socket.send(JSON.stringify({ state: state, reply: !!isReply }));
  }
  function open(attempt) {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + box.dataset.presenceSocket);
    socket.onmessage = function (msg) {
      var data = JSON.parse(msg.data);
      if (data.kind !== "presence") return;
      if (data.state === "left") { delete others[data.user]; }
      else { others[data.user] = { name: data.name, state: data.state }; }
      if (data.ask) send(mine, true);
      render();
    };
    socket.onclose = function () {
      setTimeout(function () { open(attempt + 1); }, Math.min(30000, 1000 * Math.pow(2, attempt)));
    };
  }
  if (reply) {
    reply.addEventListener("input", function () {
      var state = reply.value.trim() ? "replying" : "viewing";
      if (state !== mine) send(state);
    });
  }
  open(0);
})();
