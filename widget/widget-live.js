/*
 * The chat widget's live chat with a person: who is typing, the client's place in the
 * queue, system lines ("Sam has joined"), and the time of every message.
 * A part of widget.js (see there): adds buildLiveStatus, setTyping, agentTyping,
 * setQueuePosition, renderSystem and stamp to the chat.
 *
 * The place in the queue and who is typing share one status region (role=status,
 * announced politely by screen readers), each a line that is replaced, never added to.
 * The server sends agent_typing {agent, typing} while an agent types and
 * queue_position {position} while the hand-over waits (channels/live.py).
 */
(function () {
  "use strict";

  var BOT_TYPING_TIMEOUT_MS = 20000; /* the assistant answers well within this */
  var AGENT_TYPING_TIMEOUT_MS = 6000; /* the desk repeats agent_typing while the agent types */

  var parts = (window.ToolkitChatParts = window.ToolkitChatParts || {});

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  parts.live = function (Chat, util) {
    var el = util.el;

    Chat.prototype.buildLiveStatus = function (chat) {
      var region = el("div", "tk-live-status");
      region.setAttribute("role", "status");
      region.setAttribute("aria-live", "polite");
      this.queueLine = el("p", "tk-queue");
      this.queueLine.hidden = true;
      this.typing = el("p", "tk-typing");
      this.typing.hidden = true;
      region.appendChild(this.queueLine);
      region.appendChild(this.typing);
      chat.appendChild(region);
      this.typingTimer = null;
    };

    /* "… is typing": the assistant's after a client message, or the named agent's. */
    Chat.prototype.setTyping = function (on, agent) {
      var self = this;
      clearTimeout(this.typingTimer);
      this.typingAgent = on && agent ? agent : null;
      this.typing.textContent = on ? (agent ? agent + " is typing…" : "Assistant is typing…") : "";
      this.typing.hidden = !on;
      if (on) {
        this.typingTimer = setTimeout(function () { self.setTyping(false); },
          agent ? AGENT_TYPING_TIMEOUT_MS : BOT_TYPING_TIMEOUT_MS);
      }
    };

    Chat.prototype.agentTyping = function (data) {
      if (!data || typeof data.agent !== "string" || !data.agent) return;
      if (data.typing === true) this.setTyping(true, data.agent);
      else if (this.typingAgent === data.agent) this.setTyping(false);
    };

    /* The client's place in the queue (1 = next), or null when it waits no more. */
    Chat.prototype.setQueuePosition = function (position) {
      var waiting = typeof position === "number" && position >= 1 && isFinite(position);
      this.queuePosition = waiting ? Math.floor(position) : null;
      this.queueLine.textContent = !waiting ? "" : this.queuePosition === 1
        ? "You are next in the queue for a support agent."
        : "You are number " + this.queuePosition + " in the queue for a support agent.";
      this.queueLine.hidden = !waiting;
    };

    /* A line about the chat rather than a message in it: "Sam has joined", "the assistant is back". */
    Chat.prototype.renderSystem = function (message) {
      var item = el("li", "tk-system");
      var line = el("div", "tk-system-text");
      util.renderText(line, message.text, true);
      item.appendChild(line);
      this.stamp(item, message.at);
      this.log.appendChild(item);
    };

    /* The message's time (hours:minutes); the full date and time on hover and for screen readers. */
    Chat.prototype.stamp = function (item, at) {
      if (typeof at !== "number" || !isFinite(at)) return; /* from before messages had times */
      var when = new Date(at);
      var time = el("time", "tk-time", pad(when.getHours()) + ":" + pad(when.getMinutes()));
      time.dateTime = when.toISOString();
      var full;
      try {
        full = when.toLocaleString(undefined, { dateStyle: "full", timeStyle: "short" });
      } catch (e) {
        full = when.toString();
      }
      time.title = full;
      item.appendChild(time);
    };
  };
})();
