/*
 * The chat widget's "End chat": ending this conversation and starting a new one.
 * A part of widget.js (see there): adds buildEndChat and endChat to the chat.
 *
 * Ending asks for confirmation first (in the widget, keyboard-usable: Escape keeps
 * chatting). It then forgets the conversation token and the history kept in this
 * browser, clears the log and tells the server (end_chat with the conversation's
 * token, on the same socket): a hand-over still waiting or claimed ends there as
 * "client left", so it leaves the agents' queue and the clients behind it move up.
 * Once the server acknowledged it (or after END_WAIT_MS, for a server that does not
 * answer), it asks for a new conversation with an ordinary session_request without
 * a token. Offline, the old conversation is only forgotten here (its hand-over, if
 * any, waits in the queue until an agent or the wait limit takes it).
 */
(function () {
  "use strict";

  var END_WAIT_MS = 3000;
  var parts = (window.ToolkitChatParts = window.ToolkitChatParts || {});

  parts.session = function (Chat, util) {
    var el = util.el;

    Chat.prototype.buildEndChat = function (chat) {
      var self = this;
      var bar = el("div", "tk-end");
      this.endButton = el("button", "tk-end-button", "End chat");
      this.endButton.type = "button";
      this.endButton.setAttribute("aria-expanded", "false");
      this.endNote = el("span", "tk-end-note");
      this.endNote.setAttribute("role", "status");

      var confirmId = "tk-end-confirm-" + Math.random().toString(36).slice(2);
      this.endConfirm = el("div", "tk-end-confirm");
      this.endConfirm.id = confirmId;
      this.endConfirm.setAttribute("role", "group");
      this.endConfirm.setAttribute("aria-label", "End this chat?");
      this.endConfirm.hidden = true;
      this.endButton.setAttribute("aria-controls", confirmId);
      this.endConfirm.appendChild(el("p", "tk-end-question",
        "End this chat? It will be cleared from this window and a new chat will start."));
      var yes = el("button", "tk-end-yes", "Yes, end the chat");
      yes.type = "button";
      var no = el("button", "tk-end-no", "Keep chatting");
      no.type = "button";
      this.endConfirm.appendChild(yes);
      this.endConfirm.appendChild(no);

      function ask(open) {
        self.endConfirm.hidden = !open;
        self.endButton.setAttribute("aria-expanded", String(open));
        if (open) {
          self.endNote.textContent = "";
          yes.focus();
        }
      }
      this.endButton.addEventListener("click", function () { ask(self.endConfirm.hidden); });
      no.addEventListener("click", function () {
        ask(false);
        self.endButton.focus();
      });
      yes.addEventListener("click", function () {
        ask(false);
        self.endChat();
      });
      this.endConfirm.addEventListener("keydown", function (event) {
        if (event.key === "Escape") {
          ask(false);
          self.endButton.focus();
        }
      });
      bar.appendChild(this.endButton);
      bar.appendChild(this.endNote);
      chat.appendChild(this.endConfirm);
      chat.appendChild(bar);
    };

    /* Forgets this conversation here, tells the server it ended, and asks for a new one. */
    Chat.prototype.endChat = function () {
      var self = this;
      var ended = this.sessionId;
      if (ended) this.store.removeItem(this.historyKey());
      this.store.removeItem(this.sessionKey);
      this.sessionId = null;
      this.clearLog();
      this.showError("");
      this.endNote.textContent = "Chat ended. A new chat has started.";
      this.input.value = "";
      this.input.focus();
      if (!this.socket || !this.socket.connected) return; /* a new chat on the next connect */
      if (!ended) {
        this.requestSession();
        return;
      }
      var done = false;
      function next() {
        if (done) return;
        done = true;
        if (self.socket.connected && !self.sessionId) self.requestSession();
      }
      this.socket.emit("end_chat", { session_id: ended }, next); /* the server's answer, then the new chat */
      setTimeout(next, END_WAIT_MS);
    };
  };
})();
