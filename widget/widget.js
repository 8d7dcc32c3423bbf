/*
 * The Client Toolkit chat widget: its core (the chat, its log, sending and receiving).
 *
 * Talks to the assistant over Rasa's socket.io channel with session persistence.
 * The server issues the conversation id (signed) in session_confirm; the widget
 * keeps it and offers it again after a reload, and starts afresh when the server
 * does not accept it.
 * Everything is built with DOM calls and textContent: no string of client, bot
 * or agent text is ever parsed as HTML. Message text goes through safe-links.js
 * (window.ToolkitText, shared with the agent desk): only [label](url) links whose
 * target is http, https or mailto become links (the server filters the same way).
 *
 * The widget is split by concern; each part adds its methods to Chat.prototype
 * through window.ToolkitChatParts, and this file starts the chat once all are in:
 *   widget-live.js     the live chat: "agent is typing", the place in the queue,
 *                      system lines ("X has joined"), each message's time
 *   widget-rating.js   "Did this help?" under an answer
 *   widget-session.js  ending the chat and starting a new one
 *
 * Embed: <div id="toolkit-chat"></div> plus socket.io.min.js and this file from
 * the assistant's /chat/static/ (see docs/widget.md). data-server on the div
 * overrides the server, which defaults to where this script came from. A page
 * need not load safe-links.js or the parts itself: whatever it has not loaded
 * (before this file) is loaded from beside this script, and the chat starts
 * once they are there. Without safe-links.js messages are shown as plain text.
 */
(function () {
  "use strict";

  var MAX_HISTORY = 200;
  var PART_FILES = { live: "widget-live.js", rating: "widget-rating.js", session: "widget-session.js" };
  var scriptSrc = document.currentScript && document.currentScript.src;
  var parts = (window.ToolkitChatParts = window.ToolkitChatParts || {});

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* A message's text: paragraphs, and safe links unless withLinks is false. */
  function renderText(parent, text, withLinks) {
    if (window.ToolkitText) {
      window.ToolkitText.render(parent, text, { links: withLinks });
    } else {
      parent.appendChild(el("p", null, String(text || ""))); /* safe-links.js did not load */
    }
  }

  function storage() {
    try {
      var probe = "__tk";
      window.localStorage.setItem(probe, probe);
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (e) {
      var memory = {};
      return {
        getItem: function (k) { return k in memory ? memory[k] : null; },
        setItem: function (k, v) { memory[k] = String(v); },
        removeItem: function (k) { delete memory[k]; }
      };
    }
  }

  function Chat(root) {
    this.root = root;
    this.store = storage();
    this.server = root.getAttribute("data-server") || (scriptSrc ? new URL(scriptSrc).origin : window.location.origin);
    this.sessionKey = "tk-chat-session";
    this.sessionId = this.store.getItem(this.sessionKey) || null; /* issued by the server */
    this.history = this.sessionId ? this.loadHistory() : [];
    this.handedOver = this.history.reduce(function (on, m) {
      return m.handover ? true : (m.handoverEnded ? false : on);
    }, false);
    this.build(root.getAttribute("data-title") || "Support assistant");
    this.history.forEach(this.render.bind(this));
    this.updateHandover();
    this.connect();
  }

  /* The server confirmed `token` as this chat's conversation; a new one means a fresh chat. */
  Chat.prototype.adopt = function (token) {
    if (typeof token !== "string" || !token) return;
    if (token === this.sessionId) return;
    if (this.sessionId) this.store.removeItem(this.historyKey());
    this.sessionId = token;
    this.store.setItem(this.sessionKey, token);
    this.clearLog();
  };

  /* An empty log: no history, no hand-over, no queue place, nobody typing. */
  Chat.prototype.clearLog = function () {
    this.history = [];
    this.handedOver = false;
    while (this.log.firstChild) this.log.removeChild(this.log.firstChild);
    this.setQueuePosition(null);
    this.setTyping(false);
    this.updateHandover();
  };

  Chat.prototype.historyKey = function () { return "tk-chat-history:" + this.sessionId; };

  Chat.prototype.loadHistory = function () {
    try {
      var saved = JSON.parse(this.store.getItem(this.historyKey()) || "[]");
      return Array.isArray(saved) ? saved : [];
    } catch (e) {
      return [];
    }
  };

  Chat.prototype.saveHistory = function () {
    if (this.sessionId) this.store.setItem(this.historyKey(), JSON.stringify(this.history));
  };

  Chat.prototype.remember = function (message) {
    this.history.push(message);
    if (this.history.length > MAX_HISTORY) this.history = this.history.slice(-MAX_HISTORY);
    this.saveHistory();
  };

  Chat.prototype.build = function (title) {
    var chat = el("section", "tk-chat");
    chat.setAttribute("aria-label", title);
    var header = el("div", "tk-header");
    header.appendChild(el("h2", null, title));
    this.status = el("span", "tk-status", "Connecting…");
    this.status.setAttribute("role", "status");
    header.appendChild(this.status);
    chat.appendChild(header);

    this.errorBanner = el("div", "tk-banner tk-banner-error");
    this.errorBanner.setAttribute("role", "alert");
    this.errorBanner.hidden = true;
    chat.appendChild(this.errorBanner);

    this.handoverBanner = el("div", "tk-banner tk-banner-handover",
      "With our support team: the message above says what happens next. You can keep writing here.");
    this.handoverBanner.setAttribute("role", "status");
    this.handoverBanner.hidden = true;
    chat.appendChild(this.handoverBanner);

    /* the log region scrolls and is announced; the messages are a list in it */
    this.logBox = el("div", "tk-log");
    this.logBox.setAttribute("role", "log");
    this.logBox.setAttribute("aria-live", "polite");
    this.logBox.setAttribute("aria-label", "Conversation");
    this.logBox.tabIndex = 0; /* a keyboard user scrolls it with the arrow keys */
    this.log = el("ol", "tk-log-list");
    this.logBox.appendChild(this.log);
    chat.appendChild(this.logBox);

    this.buildLiveStatus(chat); /* the place in the queue and who is typing (widget-live.js) */

    var form = el("form", "tk-form");
    var inputId = "tk-input-" + Math.random().toString(36).slice(2);
    var label = el("label", "tk-sr-only", "Your message");
    label.htmlFor = inputId;
    this.input = el("input", "tk-input");
    this.input.id = inputId;
    this.input.type = "text";
    this.input.autocomplete = "off";
    this.input.maxLength = 2000;
    this.input.placeholder = "Type your message…";
    this.sendButton = el("button", "tk-send", "Send");
    this.sendButton.type = "submit";
    form.appendChild(label);
    form.appendChild(this.input);
    form.appendChild(this.sendButton);
    form.addEventListener("submit", this.onSubmit.bind(this));
    chat.appendChild(form);
    this.buildEndChat(chat); /* "End chat" (widget-session.js) */
    this.root.appendChild(chat);
  };

  Chat.prototype.onSubmit = function (event) {
    event.preventDefault();
    var text = this.input.value.trim();
    if (!text) return;
    if (this.send(text, text)) {
      this.answerChoices(); /* typed instead of choosing: the offer is over */
      this.input.value = "";
      this.input.focus();
    }
  };

  /* Sends `message` (a text or a button payload); shows `shown` as the client's words. */
  Chat.prototype.send = function (message, shown) {
    if (!this.socket || !this.socket.connected || !this.sessionId) {
      this.showError("Not connected. Your message was not sent; it will be possible again once the connection is back.");
      return false;
    }
    var entry = { from: "client", text: shown, at: Date.now() };
    this.remember(entry);
    this.render(entry);
    this.socket.emit("user_uttered", { message: message, session_id: this.sessionId });
    if (!this.handedOver) this.setTyping(true);
    return true;
  };

  /* Every offer in the log used up: its buttons disabled, also after a reload. */
  Chat.prototype.answerChoices = function () {
    var changed = false;
    this.history.forEach(function (m) {
      if (m.choices && m.choices.length && !m.answered) changed = m.answered = true;
    });
    Array.prototype.forEach.call(this.log.querySelectorAll(".tk-choice"), function (b) { b.disabled = true; });
    if (changed) this.saveHistory();
  };

  Chat.prototype.showError = function (text) {
    this.errorBanner.textContent = text;
    this.errorBanner.hidden = !text;
  };

  Chat.prototype.updateHandover = function () {
    this.handoverBanner.hidden = !this.handedOver;
    this.root.classList.toggle("tk-handed-over", this.handedOver);
  };

  Chat.prototype.render = function (message) {
    var from = message.from;
    if (from === "system") {
      this.renderSystem(message); /* a centred line, not a bubble (widget-live.js) */
    } else {
      var item = el("li", "tk-msg tk-msg-" + from);
      if (from === "agent") {
        item.appendChild(el("span", "tk-from", message.agent ? "Support agent · " + message.agent : "Support agent"));
      }
      if (from === "client") item.appendChild(el("span", "tk-sr-only", "You: "));
      if (from === "bot") item.appendChild(el("span", "tk-sr-only", "Assistant: "));
      renderText(item, message.text, from !== "client");
      if (message.choices && message.choices.length) item.appendChild(this.renderChoices(message));
      this.stamp(item, message.at); /* its time (widget-live.js) */
      this.log.appendChild(item);
    }
    if (message.rate) this.renderRating(message); /* "Did this help?" (widget-rating.js) */
    this.logBox.scrollTop = this.logBox.scrollHeight;
  };

  Chat.prototype.renderChoices = function (message) {
    var self = this;
    var group = el("div", "tk-choices");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Choose an answer");
    message.choices.forEach(function (choice) {
      var button = el("button", "tk-choice", choice.title);
      button.type = "button";
      button.disabled = !!message.answered;
      button.addEventListener("click", function () {
        if (message.answered) return;
        if (self.send(choice.payload, choice.title)) {
          self.answerChoices();
          self.input.focus();
        }
      });
      group.appendChild(button);
    });
    return group;
  };

  /* A message from the server: bot or agent text, choices, a system line (system: "X has
     joined"), and the marks of the hand-over starting (handover) and ending (handover_ended:
     the bot is back, shown as a system line too). */
  Chat.prototype.receive = function (data) {
    if (!data || typeof data !== "object") return;
    this.setTyping(false);
    this.showError("");
    var text = typeof data.text === "string" ? data.text : "";
    var choices = (data.quick_replies || data.buttons || []).filter(function (c) {
      return c && typeof c.title === "string" && typeof c.payload === "string";
    }).map(function (c) { return { title: c.title, payload: c.payload }; });
    if (!text && !choices.length) return;
    var from = data.system === true || data.handover_ended ? "system" : (data.from_agent ? "agent" : "bot");
    var entry = { from: from, text: text, choices: choices, at: Date.now() };
    if ((data.from_agent || data.system === true) && typeof data.agent === "string") entry.agent = data.agent;
    if (data.rate && typeof data.rate.step === "string") entry.rate = { step: data.rate.step };
    if (data.handover) {
      entry.handover = true;
      this.handedOver = true;
      this.updateHandover();
    } else if (data.handover_ended) {
      entry.handoverEnded = true;
      this.handedOver = false;
      this.updateHandover();
    }
    if (entry.agent || data.handover_ended) this.setQueuePosition(null); /* an agent joined, or it is over */
    this.remember(entry);
    this.render(entry);
  };

  Chat.prototype.connect = function () {
    var self = this;
    if (typeof window.io !== "function") {
      this.showError("The chat could not load. Please reload the page.");
      return;
    }
    var socket = window.io(this.server, { path: "/socket.io", transports: ["websocket", "polling"], reconnectionDelayMax: 5000 });
    this.socket = socket;
    socket.on("connect", function () { self.requestSession(); });
    socket.on("session_confirm", function (token) {
      self.adopt(token);
      self.status.textContent = "Online";
      self.showError("");
      self.sendButton.disabled = false;
    });
    function lost() {
      self.status.textContent = "Offline";
      self.setTyping(false);
      self.sendButton.disabled = true;
      self.showError("Connection to the assistant lost. Reconnecting…");
    }
    socket.on("disconnect", lost);
    socket.on("connect_error", lost);
    socket.on("bot_uttered", function (data) { self.receive(data); });
    socket.on("rating_saved", function (data) { self.ratingSaved(data); });
    socket.on("agent_typing", function (data) { self.agentTyping(data); });
    socket.on("queue_position", function (data) {
      if (data && typeof data.position === "number") self.setQueuePosition(data.position);
    });
    socket.on("message_rejected", function (data) {
      self.setTyping(false);
      var reason = data && typeof data.error === "string" ? data.error : "the message was refused";
      self.showError("Your last message was not delivered: " + reason + ".");
    });
  };

  /* This chat's conversation, or a new one when it has none (yet, or any more). */
  Chat.prototype.requestSession = function () {
    // marks: the hand-over and agent marks on each message (the server leaves them out
    // for clients that do not ask, so clients built for Rasa's own channel render them)
    this.socket.emit("session_request", this.sessionId ? { session_id: this.sessionId, marks: true } : { marks: true });
  };

  function start() {
    var missing = Object.keys(PART_FILES).filter(function (name) { return typeof parts[name] !== "function"; });
    if (missing.length) {
      if (window.console) console.error("Chat widget: missing " + missing.join(", ") + "; the chat cannot start.");
      return;
    }
    var util = { el: el, renderText: renderText };
    Object.keys(PART_FILES).forEach(function (name) { parts[name](Chat, util); });
    var roots = document.querySelectorAll("#toolkit-chat, [data-toolkit-chat]");
    var chats = [];
    Array.prototype.forEach.call(roots, function (root) {
      if (!root.__toolkitChat) root.__toolkitChat = new Chat(root);
      chats.push(root.__toolkitChat);
    });
    window.ToolkitChat = {
      chats: chats,
      /* Shows a message as if the server had sent it: for host pages and tests. */
      showMessage: function (data) { if (chats[0]) chats[0].receive(data); }
    };
  }

  /* A script from beside this one (its file name), unless `present()` says the page has it. */
  function loadBeside(file, present, done) {
    if (present()) {
      done();
      return;
    }
    var script = document.createElement("script");
    try {
      script.src = new URL(file, scriptSrc || new URL("/chat/static/", window.location.href)).href;
    } catch (e) { /* e.g. a host page that enforces Trusted Types */
      done();
      return;
    }
    script.onload = script.onerror = function () {
      script.onload = script.onerror = null;
      if (!present() && window.console) console.warn("Chat widget: could not load " + script.src + ".");
      done();
    };
    (document.head || document.documentElement).appendChild(script);
  }

  var names = Object.keys(PART_FILES);
  var waiting = names.length + 2; /* the page's DOM, safe-links.js and each part */
  function ready() { if (--waiting === 0) start(); }
  loadBeside("safe-links.js", function () { return !!window.ToolkitText; }, ready);
  names.forEach(function (name) {
    loadBeside(PART_FILES[name], function () { return typeof parts[name] === "function"; }, ready);
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
