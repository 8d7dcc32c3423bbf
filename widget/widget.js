/*
 * The Client Toolkit chat widget.
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
 * Embed: <div id="toolkit-chat"></div> plus socket.io.min.js and this file from
 * the assistant's /chat/static/ (see README). data-server on the div overrides
 * the server, which defaults to where this script came from. A page need not
 * load safe-links.js itself: when it has not, this script loads it from beside
 * itself (same URL, safe-links.js for widget.js) and starts once it is there.
 * Should that fail, messages are shown as plain text, without links.
 */
(function () {
  "use strict";

  var MAX_HISTORY = 200;
  var TYPING_TIMEOUT_MS = 20000;
  var scriptSrc = document.currentScript && document.currentScript.src;

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
    this.typingTimer = null;
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
    this.history = [];
    this.handedOver = false;
    while (this.log.firstChild) this.log.removeChild(this.log.firstChild);
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

  Chat.prototype.remember = function (message) {
    this.history.push(message);
    if (this.history.length > MAX_HISTORY) this.history = this.history.slice(-MAX_HISTORY);
    this.store.setItem(this.historyKey(), JSON.stringify(this.history));
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
      "A support agent will continue this chat. Please keep this window open.");
    this.handoverBanner.setAttribute("role", "status");
    this.handoverBanner.hidden = true;
    chat.appendChild(this.handoverBanner);

    this.log = el("ol", "tk-log");
    this.log.setAttribute("role", "log");
    this.log.setAttribute("aria-live", "polite");
    this.log.setAttribute("aria-label", "Conversation");
    chat.appendChild(this.log);

    this.typing = el("div", "tk-typing", "Assistant is typing…");
    this.typing.setAttribute("aria-live", "polite");
    this.typing.hidden = true;
    chat.appendChild(this.typing);

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
    this.root.appendChild(chat);
  };

  Chat.prototype.onSubmit = function (event) {
    event.preventDefault();
    var text = this.input.value.trim();
    if (!text) return;
    if (this.send(text, text)) {
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
    var entry = { from: "client", text: shown };
    this.remember(entry);
    this.render(entry);
    this.socket.emit("user_uttered", { message: message, session_id: this.sessionId });
    if (!this.handedOver) this.setTyping(true);
    return true;
  };

  Chat.prototype.setTyping = function (on) {
    var self = this;
    clearTimeout(this.typingTimer);
    this.typing.hidden = !on;
    if (on) this.typingTimer = setTimeout(function () { self.typing.hidden = true; }, TYPING_TIMEOUT_MS);
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
    var item = el("li", "tk-msg tk-msg-" + from);
    if (from === "agent") {
      item.appendChild(el("span", "tk-from", message.agent ? "Support agent · " + message.agent : "Support agent"));
    }
    if (from === "client") item.appendChild(el("span", "tk-sr-only", "You: "));
    if (from === "bot") item.appendChild(el("span", "tk-sr-only", "Assistant: "));
    renderText(item, message.text, from !== "client");
    if (message.choices && message.choices.length) {
      var group = el("div", "tk-choices");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Choose an answer");
      var self = this;
      message.choices.forEach(function (choice) {
        var button = el("button", "tk-choice", choice.title);
        button.type = "button";
        button.disabled = !!message.answered;
        button.addEventListener("click", function () {
          if (self.send(choice.payload, choice.title)) {
            message.answered = true;
            self.store.setItem(self.historyKey(), JSON.stringify(self.history));
            Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) { b.disabled = true; });
            self.input.focus();
          }
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    this.log.appendChild(item);
    if (message.rate) this.renderRating(message); /* "Did this help?" (below) */
    this.log.scrollTop = this.log.scrollHeight;
  };

  /* A message from the server: bot or agent text, choices, and the marks of the
     hand-over starting (handover) and ending (handover_ended: the bot is back). */
  Chat.prototype.receive = function (data) {
    if (!data || typeof data !== "object") return;
    this.setTyping(false);
    this.showError("");
    var text = typeof data.text === "string" ? data.text : "";
    var choices = (data.quick_replies || data.buttons || []).filter(function (c) {
      return c && typeof c.title === "string" && typeof c.payload === "string";
    }).map(function (c) { return { title: c.title, payload: c.payload }; });
    if (!text && !choices.length) return;
    var entry = { from: data.from_agent ? "agent" : "bot", text: text, choices: choices };
    if (data.from_agent && typeof data.agent === "string") entry.agent = data.agent;
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
    this.remember(entry);
    this.render(entry);
  };

  /* --- "Did this help?": a client's rating of an answer or of an agent's help ---
     A message the server marked with rate.step gets thumbs up / down and an
     optional short comment; rating again changes it (one rating per step).
     Sent as client_rating; the server answers rating_saved. */
  Chat.prototype.renderRating = function (message) {
    var self = this;
    var box = el("div", "tk-rating");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Did this help?");
    box.appendChild(el("span", "tk-rating-ask", "Did this help?"));
    var buttons = [[true, "\uD83D\uDC4D", "Yes, it helped"], [false, "\uD83D\uDC4E", "No, it did not help"]];
    var comment = el("input", "tk-rating-comment");
    comment.type = "text";
    comment.maxLength = 500;
    comment.placeholder = "Tell us more (optional)";
    comment.setAttribute("aria-label", "Comment on this answer (optional)");
    var sendComment = el("button", "tk-rating-send", "Send");
    sendComment.type = "button";
    var thanks = el("span", "tk-rating-thanks");
    thanks.setAttribute("role", "status");
    var form = el("div", "tk-rating-more");
    form.appendChild(comment);
    form.appendChild(sendComment);
    form.hidden = true;
    function show() {
      var rated = message.rating;
      box.querySelectorAll(".tk-rate").forEach(function (b) {
        b.setAttribute("aria-pressed", String(!!rated && String(rated.helpful) === b.getAttribute("data-helpful")));
      });
      thanks.textContent = rated && rated.saved ? "Thanks for your feedback." : "";
    }
    function rate(helpful) {
      var text = comment.value.trim();
      if (!self.socket || !self.socket.connected || !self.sessionId) {
        self.showError("Not connected. Your rating was not sent.");
        return;
      }
      message.rating = { helpful: helpful, comment: text, saved: false };
      self.socket.emit("client_rating", { session_id: self.sessionId, step: message.rate.step, helpful: helpful, comment: text || null });
      form.hidden = false;
      show();
    }
    buttons.forEach(function (spec) {
      var button = el("button", "tk-rate", spec[1]);
      button.type = "button";
      button.title = spec[2];
      button.setAttribute("aria-label", spec[2]);
      button.setAttribute("data-helpful", String(spec[0]));
      button.addEventListener("click", function () { rate(spec[0]); });
      box.appendChild(button);
    });
    sendComment.addEventListener("click", function () { if (message.rating) rate(message.rating.helpful); });
    box.appendChild(thanks);
    box.appendChild(form);
    if (message.rating) comment.value = message.rating.comment || "";
    message.showRating = show;
    show();
    var row = el("li", "tk-rating-row");
    row.appendChild(box);
    this.log.appendChild(row);
  };

  Chat.prototype.ratingSaved = function (data) {
    if (!data || typeof data.step !== "string") return;
    this.history.forEach(function (m) {
      if (m.rate && m.rate.step.split(".")[0] === data.step && m.rating) {
        m.rating.saved = true;
        if (m.showRating) m.showRating();
      }
    });
    this.store.setItem(this.historyKey(), JSON.stringify(this.history));
  };

  Chat.prototype.connect = function () {
    var self = this;
    if (typeof window.io !== "function") {
      this.showError("The chat could not load. Please reload the page.");
      return;
    }
    var socket = window.io(this.server, { path: "/socket.io", transports: ["websocket", "polling"], reconnectionDelayMax: 5000 });
    this.socket = socket;
    socket.on("connect", function () {
      // marks: the hand-over and agent marks on each message (the server leaves them out
      // for clients that do not ask, so clients built for Rasa's own channel render them)
      socket.emit("session_request", self.sessionId ? { session_id: self.sessionId, marks: true } : { marks: true });
    });
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
    socket.on("message_rejected", function (data) {
      self.setTyping(false);
      var reason = data && typeof data.error === "string" ? data.error : "the message was refused";
      self.showError("Your last message was not delivered: " + reason + ".");
    });
  };

  function start() {
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

  /* safe-links.js, from beside this script, unless the page loaded it already. */
  function loadSafeLinks(done) {
    if (window.ToolkitText) {
      done();
      return;
    }
    var script = document.createElement("script");
    try {
      script.src = new URL("safe-links.js", scriptSrc || new URL("/chat/static/", window.location.href)).href;
    } catch (e) { /* e.g. a host page that enforces Trusted Types */
      done();
      return;
    }
    script.onload = script.onerror = function () {
      script.onload = script.onerror = null;
      if (!window.ToolkitText && window.console) console.warn("Chat widget: no " + script.src + "; links shown as text.");
      done();
    };
    (document.head || document.documentElement).appendChild(script);
  }

  var waiting = 2; /* the page's DOM and safe-links.js */
  function ready() { if (--waiting === 0) start(); }
  loadSafeLinks(ready);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
