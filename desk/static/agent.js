/* The agent page: the hand-over queue, one conversation with its summary,
   KB reference and suggested macros, and the reply box.

   Every text from a client, an agent or the server is set with textContent
   (never parsed as HTML). Message text goes through safe-links.js
   (window.ToolkitText, loaded first by agent.html, shared with the chat widget):
   only [label](http, https or mailto link) in a message becomes a link.
   Requests carry the session cookie and the X-Agent-Request header the server
   requires for anything that changes state.

   Nothing here polls: agent-live.js (loaded after this file) gets every change
   pushed over socket.io and calls window.AgentDesk (below); agent-keys.js adds
   the keyboard shortcuts. */
(function () {
  "use strict";

  var TICK_MS = 15000;  // the cards' "waiting for" times, counted on the page (no request)
  var state = { status: "waiting", openId: null, handover: null, shown: [], used: null, usedText: "", waiting: 0, versions: {} };
  var hooks = { waitingCount: null, shown: null };  // set by agent-live.js

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  /* A message's text with its safe links, into `node` (a <p>: no paragraphs of its own). */
  function renderText(node, text) {
    if (window.ToolkitText) window.ToolkitText.render(node, text, { paragraphs: false });
    else node.textContent = text || "";  // safe-links.js did not load: text only (start() says so)
  }

  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds || 0));
    if (seconds < 60) return seconds + " s";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min " + (seconds % 60) + " s";
    return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min";
  }

  function time(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleTimeString();
  }

  function notice(text) {
    var node = $("notice");
    node.textContent = text || "";
    node.hidden = !text;
  }

  function api(method, path, body) {
    var options = { method: method, credentials: "same-origin", headers: { "X-Agent-Request": "1" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch("/agent/api" + path, options).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.status === 401) window.location.reload();  // session over: back to the log-in page
        if (!res.ok) throw new Error(data.error || ("HTTP " + res.status));
        return data;
      });
    });
  }

  /* --- the queue --------------------------------------------------------- */

  /* The queue of the tab shown, fetched whole: at the start, on a change of tab, after the agent's
     own step, and when the live connection (re)starts; pushed changes go through place(). */
  function loadQueue() {
    var status = state.status;
    return api("GET", "/handovers?status=" + status).then(function (data) {
      if (status !== state.status) return;  // the agent switched tabs meanwhile
      var list = $("queue");
      var focused = focusedCard();
      clear(list);
      data.handovers.forEach(function (h) { seen(h); list.appendChild(card(h)); });
      refocus(focused);
      $("queue-empty").hidden = data.handovers.length > 0;
      if (status === "resolved") tabCount("resolved", data.handovers.length);
      setCounts(data.counts || {});
    });
  }

  function tabCount(status, count) {
    var tab = document.querySelector('[data-status="' + status + '"] .count');
    if (tab) tab.textContent = "(" + count + ")";
  }

  /* How many wait and how many are claimed (from the queue's answer, or pushed with each step). */
  function setCounts(counts) {
    if (typeof counts.claimed === "number") tabCount("claimed", counts.claimed);
    if (typeof counts.waiting !== "number") return;
    state.waiting = counts.waiting;
    tabCount("waiting", counts.waiting);
    if (hooks.waitingCount) hooks.waitingCount(counts.waiting);
  }

  /* A pushed hand-over, changed: its card where it belongs in the tab shown (oldest first; resolved
     ones newest first), or gone from it, without fetching the queue. An older state of it than one
     already shown (events of two replicas can cross) changes nothing. */
  function place(h) {
    if (!seen(h)) return;
    var list = $("queue");
    var old = list.querySelector('.queue-item[data-id="' + h.id + '"]');
    var focused = focusedCard();
    if (old) list.removeChild(old);
    if (h.status === state.status) {
      var node = card(h);
      var next = Array.prototype.find.call(list.children, function (other) { return comesBefore(node, other); });
      list.insertBefore(node, next || null);
    }
    refocus(focused);
    $("queue-empty").hidden = list.children.length > 0;
    if (state.status === "resolved") tabCount("resolved", list.children.length);
  }

  function seen(h) {  // false for a state older than the newest seen of this hand-over
    var at = Date.parse(h.updated_at) || 0;
    if (at < (state.versions[h.id] || 0)) return false;
    state.versions[h.id] = at;
    return true;
  }

  function comesBefore(a, b) {
    var resolved = state.status === "resolved";
    var key = resolved ? "data-resolved" : "data-created";
    var ka = Number(a.getAttribute(key)), kb = Number(b.getAttribute(key));
    var ia = Number(a.getAttribute("data-id")), ib = Number(b.getAttribute("data-id"));
    if (resolved) return ka > kb || (ka === kb && ia > ib);
    return ka < kb || (ka === kb && ia < ib);
  }

  /* The keyboard focus stays on a card that is drawn again. */
  function focusedCard() {
    var active = document.activeElement;
    return active && active.classList && active.classList.contains("queue-button") ? active.getAttribute("data-id") : null;
  }

  function refocus(id) {
    if (!id) return;
    var button = document.querySelector('.queue-button[data-id="' + id + '"]');
    if (button) button.focus();
  }

  /* One queue card; its "last client message" and "waiting" lines are updated in place. */
  function card(h) {
    var item = el("li", "queue-item" + (h.id === state.openId ? " open" : ""));
    item.setAttribute("data-id", h.id);
    item.setAttribute("data-created", Date.parse(h.created_at) || 0);  // the order of place()
    item.setAttribute("data-resolved", Date.parse(h.resolved_at) || 0);
    var button = el("button", "queue-button");
    button.type = "button";
    button.setAttribute("data-id", h.id);
    var head = el("span", "queue-head");
    head.appendChild(el("strong", null, "#" + h.id));
    if (h.priority === "high") head.appendChild(el("span", "badge high", "high priority"));
    var waited = el("span", "waited", h.status === "resolved" ? (h.outcome || "").replace(/_/g, " ") : waitedText(h));
    if (h.status !== "resolved") {
      waited.setAttribute("data-since", Date.now() - (h.waited_seconds || 0) * 1000);
      if (h.status === "claimed") waited.setAttribute("data-frozen", "1");
    }
    head.appendChild(waited);
    button.appendChild(head);
    button.appendChild(el("span", "queue-topic", topic(h)));
    var last = el("span", "queue-last", h.last_client_message ? quoted(h.last_client_message) : "");
    last.hidden = !h.last_client_message;
    button.appendChild(last);
    if (h.claimed_by) button.appendChild(el("span", "queue-claimed", "claimed by " + h.claimed_by));
    if (h.reraised_at && h.status === "waiting") {
      item.className += " reraised";
      button.appendChild(el("span", "queue-reraised", "raised again"));
    }
    button.addEventListener("click", function () { openHandover(h.id); });
    item.appendChild(button);
    return item;
  }

  function waitedText(h, seconds) {
    var text = duration(seconds === undefined ? h.waited_seconds : seconds);
    return h.status === "waiting" && h.reraised_at ? "waiting " + text + ", raised again" : text;
  }

  /* The client's latest message on its card (pushed by agent-live.js). */
  function setLastMessage(handoverId, text) {
    var node = document.querySelector('.queue-item[data-id="' + handoverId + '"] .queue-last');
    if (!node) return;
    node.textContent = quoted(text);
    node.hidden = false;
  }

  /* The waiting times of the cards and of the open hand-over's summary, counted on. */
  function tick() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-since]:not([data-frozen])"), function (node) {
      var seconds = (Date.now() - Number(node.getAttribute("data-since"))) / 1000;
      var card = node.closest(".queue-item");
      var raised = !!card && card.classList.contains("reraised");
      node.textContent = raised ? "waiting " + duration(seconds) + ", raised again" : duration(seconds);
    });
  }

  function isButton(text) { return /^\/\w+$/.test(text || ""); }

  function quoted(text) {
    return isButton(text) ? "clicked a button: " + text.slice(1).replace(/_/g, " ") : "“" + text + "”";
  }

  function topic(h) {
    var parts = [];
    if (h.concern && h.concern.length) parts.push(h.concern.join(", ").replace(/_/g, " "));
    else if (h.intent) parts.push(h.intent.replace(/_/g, " "));
    if (h.contract_type) parts.push(h.contract_type.replace(/_/g, " ") + " contract");
    parts.push(h.reason.replace(/_/g, " "));
    return parts.join(" · ");
  }

  /* --- one hand-over ----------------------------------------------------- */

  function openHandover(id) {
    if (state.openId !== id) {
      state.openId = id;
      state.used = null;
      state.usedText = "";
      $("reply-text").value = "";
      $("reply-hint").textContent = "";
    }
    return api("GET", "/handovers/" + id).then(show).then(loadQueue).catch(function (e) { notice(e.message); });
  }

  function show(h) {
    var hadFocus = $("handover").contains(document.activeElement);
    state.handover = h;
    $("placeholder").hidden = true;
    $("handover").hidden = false;
    $("h-title").textContent = "Hand-over #" + h.id + " · conversation " + h.conversation_id;
    var left = h.outcome === "client_left";  // the client ended the chat: nobody to answer any more
    var status = left ? "The client left the chat" + (h.claimed_by ? " (claimed by " + h.claimed_by + ")" : " while waiting")
      : h.status + (h.claimed_by ? " by " + h.claimed_by : "") + (h.outcome ? " (" + h.outcome + ")" : "");
    $("h-status").textContent = status;
    $("h-status").className = "status " + h.status;

    var mine = h.status === "claimed" && h.claimed_by === $("me").getAttribute("data-agent");
    $("claim").hidden = h.status !== "waiting";
    $("release").hidden = !mine;
    $("resume").hidden = !mine;
    $("close").hidden = !mine;
    $("send").disabled = !mine;
    $("reply-text").disabled = !mine;
    if (!mine && h.status !== "resolved") {
      $("reply-hint").textContent = h.status === "waiting" ? "Claim the hand-over to reply." : "Claimed by " + h.claimed_by + ".";
    } else if (h.status === "resolved") {
      $("reply-hint").textContent = left ? "The client left the chat: there is nobody to reply to." : "Resolved.";
    } else if ($("reply-hint").textContent.indexOf("Claim") === 0 || $("reply-hint").textContent === "Resolved.") {
      $("reply-hint").textContent = "";
    }

    var rows = [
      ["Reason", h.reason.replace(/_/g, " ")],
      ["Topic", h.intent ? h.intent.replace(/_/g, " ") + (h.confidence !== null ? " (" + Math.round(h.confidence * 100) + "%)" : "") : "unknown"],
      ["Concern", h.concern.length ? h.concern.join(", ").replace(/_/g, " ") : "none named"],
      ["Contract type", h.contract_type ? h.contract_type.replace(/_/g, " ") : "not said"],
      ["Bot already sent", h.bot_sent.script_title || h.bot_sent.script || "no script"],
      ["Link sent", h.bot_sent.link || "none"],
      ["Priority", h.priority || "normal"],
      [h.status === "waiting" ? "Waiting for" : "Waited", duration(h.waited_seconds)],
    ];
    var told = { online: "an agent joins shortly", nobody_online: "nobody online, e-mail follow-up",
                 outside_hours: "outside working hours, e-mail follow-up" }[h.availability];
    if (told) rows.push(["Client was told", told]);
    if (h.follow_up) rows.push(["Follow-up", "by " + h.follow_up + " (client told at " + time(h.client_notified_at) + ")"]);
    var dl = $("summary");
    clear(dl);
    rows.forEach(function (row) {
      dl.appendChild(el("dt", null, row[0]));
      var value = dl.appendChild(el("dd", null, row[1]));
      if (row[0] === "Waiting for") value.setAttribute("data-since", Date.now() - (h.waited_seconds || 0) * 1000);
    });

    // "Title › Section", or the title alone when the section is the whole article (the server says which)
    $("kb-title").textContent = (h.kb && h.kb.label) || "none";
    $("kb-guidance").textContent = (h.kb && h.kb.guidance) || "";

    var log = $("transcript");
    var sameOne = log.getAttribute("data-id") === String(h.id);
    var follow = !sameOne || atBottom(log);
    log.setAttribute("data-id", h.id);
    clear(log);
    h.transcript.forEach(function (line) { log.appendChild(lineItem(line)); });
    if (follow) log.scrollTop = log.scrollHeight;
    renderNotes(h.notes || []);

    var list = $("suggestions");
    clear(list);
    var found = (h.assist && h.assist.suggestions) || [];
    state.shown = found.map(function (s) { return { macro_id: s.macro_id, confidence: s.confidence, intent: s.why.intent }; });
    found.forEach(function (s) { list.appendChild(suggestionItem(s, mine)); });
    $("no-suggestions").hidden = found.length > 0;

    var events = $("events");
    clear(events);
    h.events.forEach(function (e) {
      var text = time(e.at) + " · " + e.actor + " · " + e.kind.replace(/_/g, " ");
      if (e.detail && e.detail.outcome) text += " (" + e.detail.outcome + ")";
      if (e.detail && e.detail.text) text += ": " + e.detail.text;
      events.appendChild(el("li", null, text));
    });
    if (hooks.shown) hooks.shown(h, mine);
    if (hadFocus) keepFocus();
  }

  /* Claim, Release and Resolve hide themselves once used: the focus goes on to the next step
     (the reply box, the Claim button, else the hand-over's title), never to nowhere. */
  function keepFocus() {
    var now = document.activeElement;
    if (now && now !== document.body && now.offsetParent !== null) return;
    var next = !$("reply-text").disabled ? $("reply-text") : (!$("claim").hidden ? $("claim") : $("h-title"));
    next.focus();
  }

  function lineItem(line) {
    var item = el("li", "line from-" + line.from);
    var who = line.from === "agent" ? "Agent" + (line.agent ? " " + line.agent : "") : (line.from === "client" ? "Client" : "Bot");
    item.appendChild(el("span", "who", who));
    item.appendChild(el("time", "when", time(line.time)));
    var body = el("p", "text");
    if (line.from === "client" && isButton(line.text)) body.appendChild(el("em", null, quoted(line.text)));
    else renderText(body, line.text);
    item.appendChild(body);
    if (line.intent) item.appendChild(el("span", "intent", line.intent.replace(/_/g, " ")));
    return item;
  }

  /* The conversation follows the newest line, unless the agent scrolled up to read. */
  function atBottom(node) { return node.scrollHeight - node.scrollTop - node.clientHeight < 40; }

  function appendLine(handoverId, line) {
    var log = $("transcript");
    if (state.openId !== handoverId || log.getAttribute("data-id") !== String(handoverId)) return;
    var follow = atBottom(log);
    log.appendChild(lineItem(line));
    if (follow) log.scrollTop = log.scrollHeight;
  }

  function renderNotes(notes) {
    var list = $("notes");
    clear(list);
    notes.forEach(function (note) { list.appendChild(noteItem(note)); });
    $("no-notes").hidden = notes.length > 0;
  }

  function noteItem(note) {
    var item = el("li", "note");
    item.setAttribute("data-note", note.id);
    item.appendChild(el("span", "who", note.agent));
    item.appendChild(el("time", "when", time(note.at)));
    item.appendChild(el("p", "text", note.text));
    return item;
  }

  function appendNote(handoverId, note) {
    if (state.openId !== handoverId || document.querySelector('[data-note="' + note.id + '"]')) return;
    $("notes").appendChild(noteItem(note));
    $("no-notes").hidden = true;
  }

  function addNote(event) {
    event.preventDefault();
    var text = $("note-text").value.trim();
    if (!text || !state.openId) { notice("Write a note first."); return; }
    var id = state.openId;
    api("POST", "/handovers/" + id + "/notes", { text: text }).then(function (note) {
      $("note-text").value = "";
      appendNote(id, note);
    }).catch(function (e) { notice(e.message); });
  }

  /* One suggested macro; with canUse, a button puts it in the reply box. */
  function suggestionItem(s, canUse) {
    var item = el("li", "suggestion");
    var head = el("div", "suggestion-head");
    head.appendChild(el("strong", null, s.title));
    head.appendChild(el("span", "confidence", Math.round(s.confidence * 100) + "%"));
    item.appendChild(head);
    var why = "Why: " + s.why.intent.replace(/_/g, " ");
    if (s.why.entities.length) {
      why += "; found " + s.why.entities.map(function (e) { return e.entity + " “" + e.text + "”"; }).join(", ");
    }
    item.appendChild(el("p", "why", why));
    var text = el("p", "suggestion-text");
    renderText(text, s.text);
    item.appendChild(text);
    if (s.kb) item.appendChild(el("p", "suggestion-kb", "KB: " + s.kb.title));
    if (canUse === null) return item;
    var use = el("button", "use", "Use this reply");
    use.type = "button";
    use.disabled = !canUse;
    use.addEventListener("click", function () {
      state.used = s.macro_id;
      state.usedText = s.text;
      $("reply-text").value = s.text;
      $("reply-hint").textContent = "Using “" + s.title + "”: edit it or send it as is.";
      $("reply-text").focus();
    });
    item.appendChild(use);
    return item;
  }

  function assist(event) {
    event.preventDefault();
    var text = $("assist-text").value.trim();
    var results = $("assist-results");
    clear(results);
    if (!text) return;
    api("POST", "/suggestions", { text: text }).then(function (answer) {
      answer.suggestions.forEach(function (s) { results.appendChild(suggestionItem(s, null)); });
      if (!answer.suggestions.length) {
        var understood = answer.understood[0] || {};
        results.appendChild(el("li", "empty", "No Client Toolkit macro fits (read as " +
          String(understood.intent || "unclear").replace(/_/g, " ") + ")."));
      }
    }).catch(function (e) { notice(e.message); });
  }

  function act(path, body) {
    if (!state.openId) return Promise.resolve();
    notice("");
    return api("POST", "/handovers/" + state.openId + path, body || {})
      .then(show)
      .then(loadQueue)
      .catch(function (e) { notice(e.message); });
  }

  function send(event) {
    event.preventDefault();
    var text = $("reply-text").value.trim();
    if (!text) { notice("Write a reply first."); return; }
    var hadFocus = $("handover").contains(document.activeElement);
    $("send").disabled = true;  // which takes the focus from it
    act("/reply", { text: text, suggestion_used: state.used, suggestions_shown: state.shown }).then(function () {
      $("send").disabled = $("reply-text").disabled;  // also when it failed: the agent may send it again
      if (hadFocus) keepFocus();
      if (!$("notice").textContent) {
        $("reply-text").value = "";
        $("reply-hint").textContent = "Sent.";
        state.used = null;
        state.usedText = "";
      }
    });
  }

  function start() {
    if (!window.ToolkitText) notice("Part of the page (safe-links.js) did not load: links show as text. Reload the page.");
    api("GET", "/me").then(function (me) {
      $("me").textContent = "Signed in as " + me.agent;
      $("me").setAttribute("data-agent", me.agent);
    }).catch(function (e) { notice(e.message); });

    Array.prototype.forEach.call(document.querySelectorAll("[role=tab]"), function (tab) {
      tab.addEventListener("click", function () {
        state.status = tab.getAttribute("data-status");
        Array.prototype.forEach.call(document.querySelectorAll("[role=tab]"), function (t) {
          t.setAttribute("aria-selected", t === tab ? "true" : "false");
        });
        loadQueue().catch(function (e) { notice(e.message); });
      });
    });
    $("claim").addEventListener("click", function () { act("/claim"); });
    $("release").addEventListener("click", function () { act("/release"); });
    $("resume").addEventListener("click", function () { act("/resolve", { outcome: "resumed" }); });
    $("close").addEventListener("click", function () { act("/resolve", { outcome: "closed" }); });
    $("reply").addEventListener("submit", send);
    $("assist").addEventListener("submit", assist);
    $("reply-text").addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) send(e);
    });

    $("note-form").addEventListener("submit", addNote);
    setInterval(tick, TICK_MS);
    loadQueue().catch(function (e) { notice(e.message); });
  }

  function refreshOpen() {
    if (!state.openId) return Promise.resolve();
    return api("GET", "/handovers/" + state.openId).then(show).catch(function (e) { notice(e.message); });
  }

  window.AgentDesk = {
    state: state, hooks: hooks, api: api, notice: notice, loadQueue: loadQueue, refreshOpen: refreshOpen,
    openHandover: openHandover, act: act, place: place, setCounts: setCounts, setLastMessage: setLastMessage, appendLine: appendLine,
    appendNote: appendNote, duration: duration,
  };

  start();
})();
