/* Concierge help chat widget. One tag on any page:
 *   <script src="https://concierge.example/static/assistant/widget.js" data-org="acme-support" defer></script>
 * Vanilla JS, no build, no inline script or style (CSP-friendly). Talks over a WebSocket and
 * falls back to plain HTTP (JSON + polling) when sockets are blocked. Every text from the
 * server is inserted with textContent, never as HTML. */
(function () {
  "use strict";
  if (window.__conciergeChat) return;
  window.__conciergeChat = true;

  var script = document.currentScript ||
    document.querySelector('script[data-org][src*="assistant/widget.js"]');
  if (!script || !script.dataset.org) return;
  var ORG = script.dataset.org;
  var BASE = new URL(script.src, location.href).origin;
  var SAME = BASE === location.origin;
  var STORE = "concierge-chat:" + ORG;
  var pageLang = (script.dataset.lang || document.documentElement.lang || navigator.language || "en").slice(0, 2);

  var state = { key: null, last: 0, status: "bot", labels: {}, languages: ["en"], language: pageLang,
                ws: null, mode: null, pollTimer: null, seen: {}, opened: false, started: false };

  function L(name, fallback) { return state.labels[name] || fallback; }
  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = String(text);
    return n;
  }
  function safeUrl(url) {
    if (!url) return "";
    try {
      var u = new URL(url, BASE);
      return (u.protocol === "http:" || u.protocol === "https:") ? u.href : "";
    } catch (e) { return ""; }
  }
  function cookie(name) {
    var m = document.cookie.match("(^|;)\\s*" + name + "=([^;]*)");
    return m ? decodeURIComponent(m[2]) : "";
  }
  function saveKey(key) { try { localStorage.setItem(STORE, key); } catch (e) { /* private mode */ } }
  function loadKey() { try { return localStorage.getItem(STORE); } catch (e) { return null; } }

  // ------------------------------------------------------------------ the DOM
  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = BASE + "/static/assistant/widget.css";
  document.head.appendChild(css);

  var root = el("div", "cg-chat");
  root.setAttribute("data-concierge-chat", ORG);
  var button = el("button", "cg-chat-button");
  var icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  icon.setAttribute("viewBox", "0 0 24 24"); icon.setAttribute("width", "28"); icon.setAttribute("height", "28");
  icon.setAttribute("aria-hidden", "true");
  var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z");
  icon.appendChild(path); button.appendChild(icon);
  button.type = "button";
  button.setAttribute("aria-label", "Chat");
  button.setAttribute("aria-expanded", "false");
  var panel = el("section", "cg-chat-panel");
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "Chat");
  var head = el("header", "cg-chat-head");
  var title = el("span", "cg-chat-title", "Chat");
  var langSel = el("select", "cg-chat-lang");
  langSel.setAttribute("aria-label", "Language");
  var closeBtn = el("button", "cg-chat-close", "×");
  closeBtn.type = "button";
  closeBtn.setAttribute("aria-label", "Close");
  head.appendChild(title); head.appendChild(langSel); head.appendChild(closeBtn);
  var statusLine = el("div", "cg-chat-status");
  statusLine.hidden = true;
  var log = el("div", "cg-chat-log");
  log.setAttribute("aria-live", "polite");
  var typing = el("div", "cg-typing");
  typing.appendChild(el("span", "cg-bubble", "…"));
  typing.hidden = true;
  var form = el("form", "cg-chat-form");
  var input = el("input", "cg-chat-input");
  input.type = "text"; input.maxLength = 2000; input.autocomplete = "off";
  input.setAttribute("aria-label", "Message");
  var send = el("button", "cg-chat-send", "↑");
  send.type = "submit";
  send.setAttribute("aria-label", "Send");
  form.appendChild(input); form.appendChild(send);
  var foot = el("div", "cg-chat-foot");
  var personBtn = el("button", "cg-link", "Talk to a person"); personBtn.type = "button";
  var endBtn = el("button", "cg-link", "End chat"); endBtn.type = "button";
  var mailBtn = el("button", "cg-link", "E-mail transcript"); mailBtn.type = "button";
  foot.appendChild(personBtn); foot.appendChild(endBtn); foot.appendChild(mailBtn);
  panel.appendChild(head); panel.appendChild(statusLine); panel.appendChild(log);
  panel.appendChild(form); panel.appendChild(foot);
  root.appendChild(panel); root.appendChild(button);

  function mount() { document.body.appendChild(root); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);

  function applyLabels() {
    title.textContent = L("title", "Help chat");
    button.setAttribute("aria-label", L("open", "Chat with us"));
    panel.setAttribute("aria-label", L("title", "Help chat"));
    closeBtn.setAttribute("aria-label", L("close", "Close"));
    input.placeholder = L("placeholder", "Type your question…");
    input.setAttribute("aria-label", L("placeholder", "Type your question…"));
    send.setAttribute("aria-label", L("send", "Send"));
    langSel.setAttribute("aria-label", L("language", "Language"));
    personBtn.textContent = L("person", "Talk to a person");
    endBtn.textContent = L("end", "End chat");
    mailBtn.textContent = L("transcript", "E-mail transcript");
    typing.firstChild.textContent = L("typing", "…");
  }
  var LANG_NAMES = { en: "English", hi: "हिन्दी", ta: "தமிழ்" };
  function fillLanguages() {
    langSel.textContent = "";
    state.languages.forEach(function (code) {
      var o = el("option", null, LANG_NAMES[code] || code);
      o.value = code;
      if (code === state.language) o.selected = true;
      langSel.appendChild(o);
    });
  }
  function setStatus(status) {
    state.status = status || state.status;
    var text = state.status === "waiting" ? L("waiting", "Waiting for an agent") :
      state.status === "live" ? L("live", "You are chatting with a person") : "";
    statusLine.textContent = text;
    statusLine.hidden = !text;
    var closed = state.status === "closed" || state.status === "ticket";
    form.hidden = state.status === "closed";
    personBtn.hidden = state.status !== "bot";
    endBtn.hidden = closed;
    if (state.status === "closed" && !root.querySelector(".cg-new")) {
      var again = el("button", "cg-btn cg-new", L("new", "Start a new chat"));
      again.type = "button";
      again.addEventListener("click", function () {
        try { localStorage.removeItem(STORE); } catch (e) { /* ignore */ }
        state.key = null; state.last = 0; state.seen = {}; log.textContent = "";
        again.remove(); stopTransport(); state.started = false; start();
      });
      panel.insertBefore(again, foot);
    }
  }
  function scroll() { log.scrollTop = log.scrollHeight; }

  // ------------------------------------------------------------------ messages
  function chip(text, onClick, cls) {
    var b = el("button", "cg-btn " + (cls || ""), text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }
  function render(m) {
    if (!m || state.seen[m.id]) return;
    state.seen[m.id] = true;
    if (m.id > state.last) state.last = m.id;
    var extra = m.extra || {};
    if (extra.labels) { state.labels = extra.labels; applyLabels(); }
    var row = el("div", "cg-msg cg-" + m.sender);
    row.dataset.id = m.id;
    var bubble = el("div", "cg-bubble");
    if (m.sender === "agent" && m.author) bubble.appendChild(el("div", "cg-who", m.author));
    bubble.appendChild(el("div", "cg-text", m.text));
    if (extra.note) bubble.appendChild(el("div", "cg-note", extra.note));
    var url = safeUrl(m.source_url);
    if (url) {
      var a = el("a", "cg-source", m.source_title || url);
      a.href = url; a.target = "_blank"; a.rel = "noopener";
      bubble.appendChild(a);
    }
    row.appendChild(bubble);
    var tools = el("div", "cg-tools");
    (extra.suggestions || []).forEach(function (s) {
      tools.appendChild(chip(s, function () { say(s); }));
    });
    (extra.alternatives || []).forEach(function (s) {
      tools.appendChild(chip(s.question, function () { say(s.question); }));
    });
    if (extra.ask_helpful && m.helpful === null && state.status === "bot") {
      var q = el("span", "cg-ask", L("helpful", "Did this help?"));
      tools.appendChild(q);
      var yes = chip(L("yes", "Yes"), function () { tools.remove(); act({ type: "helpful", message_id: m.id, helpful: true }); }, "cg-yes");
      var no = chip(L("no", "No"), function () { tools.remove(); act({ type: "helpful", message_id: m.id, helpful: false }); }, "cg-no");
      tools.appendChild(yes); tools.appendChild(no);
    }
    if (extra.offer_handoff && state.status === "bot") {
      tools.appendChild(chip(L("person", "Talk to a person"), function () { act({ type: "handoff" }); }, "cg-primary"));
    }
    if (extra.kind === "ask_email") {
      var f = el("form", "cg-inline");
      var e = el("input"); e.type = "email"; e.required = true; e.placeholder = L("email", "Your e-mail address");
      e.setAttribute("aria-label", L("email", "Your e-mail address"));
      f.appendChild(e); f.appendChild(el("button", "cg-btn cg-primary", L("send", "Send")));
      f.addEventListener("submit", function (ev) { ev.preventDefault(); act({ type: "contact", email: e.value }); f.remove(); });
      tools.appendChild(f);
    }
    if (extra.kind === "ask_script") {
      tools.appendChild(chip("देवनागरी", function () { act({ type: "language", language: "hi", script: "deva" }); }));
      tools.appendChild(chip("Latin (Roman)", function () { act({ type: "language", language: "hi", script: "latn" }); }));
    }
    if (extra.kind === "closing") {
      var links = (extra.related || []).concat(extra.products || []);
      if (links.length) {
        var box = el("div", "cg-related");
        box.appendChild(el("div", "cg-related-title", L("related", "You may also find these useful:")));
        links.forEach(function (r) {
          var u = safeUrl(r.url);
          if (!u) return;
          var a = el("a", null, r.title); a.href = u; a.target = "_blank"; a.rel = "noopener";
          box.appendChild(a);
        });
        row.appendChild(box);
      }
      if (extra.rate) {
        var stars = el("div", "cg-stars");
        stars.appendChild(el("span", "cg-ask", L("rate", "Your rating:")));
        [1, 2, 3, 4, 5].forEach(function (n) {
          var s = chip(n + "★", function () { stars.remove(); act({ type: "rate", score: n }); }, "cg-star");
          s.setAttribute("aria-label", n + " / 5");
          stars.appendChild(s);
        });
        tools.appendChild(stars);
      }
    }
    if (tools.childNodes.length) row.appendChild(tools);
    log.insertBefore(row, typing.parentNode === log ? typing : null);
    scroll();
  }
  function receive(data) {
    if (!data) return;
    if (data.kind === "typing") { typing.hidden = false; log.appendChild(typing); scroll(); return; }
    if (data.kind === "error") {
      typing.hidden = true;
      var err = el("div", "cg-error", data.detail || "Error");
      err.setAttribute("role", "alert");
      log.appendChild(err); scroll();
      return;
    }
    if (data.kind === "hello") {
      state.key = data.key; saveKey(data.key);
      state.labels = data.labels || {}; state.languages = data.languages || ["en"];
      state.language = data.language; applyLabels(); fillLanguages();
    }
    if (data.kind === "messages" && data.language && data.language !== state.language &&
        state.languages.indexOf(data.language) >= 0) {
      // the bot now answers in the language the visitor wrote in: follow it in the chrome
      state.language = data.language; langSel.value = data.language;
      if (data.labels) { state.labels = data.labels; applyLabels(); }
    }
    (data.messages || []).forEach(render);
    if (data.messages && data.messages.length) typing.hidden = true;
    if (data.status) setStatus(data.status);
  }

  // ------------------------------------------------------------------ transport
  function http(path, body) {
    var opts = { method: body ? "POST" : "GET", headers: {}, credentials: SAME ? "same-origin" : "omit" };
    if (body) {
      opts.headers["Content-Type"] = "application/json";
      if (SAME) opts.headers["X-CSRFToken"] = cookie("csrftoken");
      opts.body = JSON.stringify(body);
    }
    return fetch(BASE + "/assistant/w/" + encodeURIComponent(ORG) + "/" + path, opts)
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (res) {
        if (!res.ok) receive({ kind: "error", detail: res.body.detail });
        else receive(res.body);
      })
      .catch(function () {
        // Before any greeting, a failed request means this page may not show the chat
        // (refused origin: the browser hides the 403 without CORS headers) or the server is down.
        receive({ kind: "error", detail: state.key ? L("offline", "Connection lost; trying again…")
          : "The chat is not available on this page." });
      });
  }
  function startHttp() {
    state.mode = "http";
    http("start", { key: state.key, language: state.language }).then(function () {
      clearInterval(state.pollTimer);
      state.pollTimer = setInterval(function () {
        if (state.key && !panel.hidden) http("poll?key=" + encodeURIComponent(state.key) + "&after=" + state.last);
      }, 3000);
    });
  }
  function startSocket(attempt) {
    var scheme = BASE.indexOf("https:") === 0 ? "wss://" : "ws://";
    var opened = false;
    var ws;
    try { ws = new WebSocket(scheme + BASE.replace(/^https?:\/\//, "") + "/ws/assistant/" + encodeURIComponent(ORG) + "/"); }
    catch (e) { startHttp(); return; }
    state.ws = ws; state.mode = "ws";
    ws.onopen = function () { opened = true; ws.send(JSON.stringify({ type: "start", key: state.key, language: state.language })); };
    ws.onmessage = function (ev) { try { receive(JSON.parse(ev.data)); } catch (e) { /* ignore */ } };
    ws.onclose = function () {
      if (state.ws !== ws) return;
      state.ws = null;
      if (!opened) { startHttp(); return; }  // refused or blocked: plain HTTP works everywhere
      setTimeout(function () { if (!state.ws && state.mode === "ws") startSocket((attempt || 0) + 1); },
                 Math.min(30000, 1000 * Math.pow(2, attempt || 0)));
    };
  }
  function stopTransport() {
    clearInterval(state.pollTimer);
    if (state.ws) { var w = state.ws; state.ws = null; w.close(); }
    state.mode = null;
  }
  function start() {
    if (state.started) return;
    state.started = true;
    state.key = state.key || loadKey();
    if (window.WebSocket) startSocket(0); else startHttp();
  }
  function act(payload) {
    if (state.ws && state.ws.readyState === 1) { state.ws.send(JSON.stringify(payload)); return; }
    payload.key = state.key;
    http("action", payload);
  }
  function say(text) {
    text = (text || "").trim();
    if (!text) return;
    if (state.ws && state.ws.readyState === 1) {
      state.ws.send(JSON.stringify({ type: "message", text: text }));
    } else {
      typing.hidden = false; log.appendChild(typing);
      http("send", { key: state.key, text: text });
    }
  }

  // ------------------------------------------------------------------ events
  function toggle(open) {
    panel.hidden = !open;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    root.classList.toggle("cg-open", open);
    if (open) { start(); setTimeout(function () { input.focus(); }, 0); }
  }
  button.addEventListener("click", function () { toggle(panel.hidden); });
  closeBtn.addEventListener("click", function () { toggle(false); button.focus(); });
  panel.addEventListener("keydown", function (ev) { if (ev.key === "Escape") { toggle(false); button.focus(); } });
  form.addEventListener("submit", function (ev) { ev.preventDefault(); say(input.value); input.value = ""; });
  langSel.addEventListener("change", function () { state.language = langSel.value; act({ type: "language", language: langSel.value }); });
  personBtn.addEventListener("click", function () { act({ type: "handoff" }); });
  endBtn.addEventListener("click", function () { act({ type: "end" }); });
  mailBtn.addEventListener("click", function () {
    var f = el("form", "cg-inline");
    var e = el("input"); e.type = "email"; e.required = true; e.placeholder = L("email", "Your e-mail address");
    e.setAttribute("aria-label", L("email", "Your e-mail address"));
    f.appendChild(e); f.appendChild(el("button", "cg-btn cg-primary", L("send", "Send")));
    f.addEventListener("submit", function (ev) { ev.preventDefault(); act({ type: "transcript", email: e.value }); f.remove(); });
    log.appendChild(f); scroll(); e.focus();
  });
  // Resume an open chat on the next page without a click.
  if (loadKey()) { state.key = loadKey(); }
  window.ConciergeChat = { open: function () { toggle(true); }, close: function () { toggle(false); } };
})();
