/* The live part of the agent page: every change pushed over socket.io, and the agent's attention.

   Connects to the namespace /agents of the assistant's own socket.io server
   (socket.io.min.js, served by the assistant from the set-up's lock file) with
   a short-lived ticket from GET /agent/api/socket-ticket, fetched anew for each
   (re)connection. socket.io reconnects by itself; after each connection the page
   catches up on what it missed by fetching the queue and the open conversation
   again. Nothing polls, and a pushed step changes its card in place: fifty open
   pages do not fetch the queue at every step.

   Attention: the tab title counts waiting clients; a sound (Web Audio, no file)
   and a browser notification for a new hand-over or one raised again, each
   opt-in with a checkbox remembered in localStorage.

   Everything from the server is set with textContent (agent.js builds the
   nodes). */
(function () {
  "use strict";

  var desk = window.AgentDesk;
  if (!desk) return;
  var TITLE = document.title;
  var TYPING_IDLE_MS = 2500;  // "stopped typing" after this long without a key
  var TYPING_REPEAT_MS = 3000;  // "still typing", well within the widget's 6 s (widget-live.js)
  var RETRY_MS = 3000;  // after a refused connection (socket.io retries dropped ones by itself)
  var socket = null;
  var typing = { handoverId: null, on: false, timer: null, sentAt: 0 };
  var mine = false;

  function $(id) { return document.getElementById(id); }

  /* --- the tab title ----------------------------------------------------- */

  desk.hooks.waitingCount = function (count) {
    document.title = count > 0 ? "(" + count + ") " + TITLE : TITLE;
  };

  /* --- opt-in sound and notification ------------------------------------- */

  function option(id, key, onEnable) {
    var box = $(id);
    if (!box) return function () { return false; };
    box.checked = localStorage.getItem(key) === "on";
    box.addEventListener("change", function () {
      localStorage.setItem(key, box.checked ? "on" : "off");
      if (box.checked && onEnable) onEnable(box);
    });
    return function () { return box.checked; };
  }

  var wantsSound = option("opt-sound", "agent-desk-sound", function () { beep(); });
  var wantsNotice = option("opt-notify", "agent-desk-notify", function (box) {
    if (!("Notification" in window)) { box.checked = false; desk.notice("This browser shows no notifications."); return; }
    Notification.requestPermission().then(function (answer) {
      if (answer !== "granted") {
        box.checked = false;
        localStorage.setItem("agent-desk-notify", "off");
        desk.notice("Notifications are blocked for this page in the browser's settings.");
      }
    });
  });

  var audio = null;
  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      audio = audio || new Context();
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.35);
      tone.connect(gain);
      gain.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.35);
    } catch (e) { /* no sound: the title and the queue still say it */ }
  }

  function alertAgent(title, h) {
    if (wantsSound()) beep();
    if (wantsNotice() && "Notification" in window && Notification.permission === "granted") {
      var note = new Notification(title, { body: "#" + h.id + " · " + (h.reason || "").replace(/_/g, " "), tag: "handover-" + h.id });
      note.onclick = function () { window.focus(); desk.openHandover(h.id); note.close(); };
    }
  }

  /* --- what is pushed ---------------------------------------------------- */

  /* A step of a hand-over (new, claimed, released, resolved, raised again): its card and the counts,
     in place; the conversation again if it is the one open. */
  function onStep(data) {
    var h = data && data.handover;
    if (!h) return;
    desk.place(h);
    if (data.queue) desk.setCounts(data.queue);
    if (desk.state.openId === h.id) {
      desk.refreshOpen();
      if (h.outcome === "client_left") desk.notice("The client of hand-over #" + h.id + " ended the chat and left.");
    }
  }

  function listen(s) {
    s.on("handover_new", function (data) {
      onStep(data);
      alertAgent("A client is waiting for an agent", data.handover);
    });
    s.on("handover_reraised", function (data) {
      onStep(data);
      alertAgent("A client is still waiting for an agent", data.handover);
    });
    ["handover_claimed", "handover_released", "handover_resolved"].forEach(function (name) { s.on(name, onStep); });
    s.on("client_message", function (m) {
      desk.setLastMessage(m.handover_id, m.text);
      desk.appendLine(m.handover_id, { from: "client", text: m.text, time: m.time });
    });
    s.on("handover_yours", function (data) {  // claimed on another page of mine
      if (desk.state.openId !== data.handover_id) desk.notice("You claimed hand-over #" + data.handover_id + " on another page.");
    });
    s.on("agent_reply", function (data) {  // a colleague's reply (or my own, from another page)
      if (desk.state.openId === data.handover_id) desk.refreshOpen();
    });
    s.on("note_added", function (data) { desk.appendNote(data.handover_id, data.note); });
    s.on("desk_error", function (data) { desk.notice("The live desk refused a message: " + (data && data.error)); });
    s.on("connect", function () {
      $("live").textContent = "Live";
      $("live").className = "live on";
      desk.loadQueue().catch(function (e) { desk.notice(e.message); });  // catch up on what was missed
      desk.refreshOpen();
    });
    s.on("disconnect", function () { offline("Reconnecting…"); });
    s.on("connect_error", function (err) {
      offline("Offline, retrying");
      if (!s.active) setTimeout(function () { s.connect(); }, RETRY_MS);  // refused: try again with a new ticket
      if (err && err.message && err.message.indexOf("ticket") >= 0) console.warn("agent desk socket:", err.message);
    });
  }

  function offline(text) {
    $("live").textContent = text;
    $("live").className = "live off";
  }

  function connect() {
    if (!window.io) {
      offline("Not live");
      desk.notice("Part of the page (socket.io.min.js) did not load: the queue is not live. Reload the page.");
      return;
    }
    socket = window.io("/agents", {
      path: "/socket.io",
      transports: ["websocket", "polling"],
      reconnectionDelayMax: 5000,
      auth: function (give) {
        desk.api("GET", "/socket-ticket").then(function (t) { give({ ticket: t.ticket }); })
          .catch(function () { give({}); });
      },
    });
    listen(socket);
    desk.socket = socket;  // for the console (and the browser tests): socket.connected, socket.id
  }

  /* --- "agent is typing", for the claiming agent only --------------------- */

  desk.hooks.shown = function (h, isMine) {
    mine = isMine;
    if (typing.on && (!isMine || typing.handoverId !== h.id)) stopTyping();
  };

  function sendTyping(handoverId, on) {
    if (socket && socket.connected) socket.emit("typing", { handover_id: handoverId, typing: on });
  }

  function stopTyping() {
    clearTimeout(typing.timer);
    if (typing.on) sendTyping(typing.handoverId, false);
    typing.on = false;
  }

  /* Typing starts, or goes on: said again every few seconds, or the client's line would time out. */
  function typed() {
    var id = desk.state.openId;
    if (!mine || !id) return;
    if (!typing.on || typing.handoverId !== id) {
      if (typing.on) stopTyping();
      typing.handoverId = id;
      typing.on = true;
      typing.sentAt = 0;
    }
    if (Date.now() - typing.sentAt >= TYPING_REPEAT_MS) {
      typing.sentAt = Date.now();
      sendTyping(id, true);
    }
    clearTimeout(typing.timer);
    typing.timer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  $("reply-text").addEventListener("input", typed);
  $("reply").addEventListener("submit", stopTyping);
  $("reply-text").addEventListener("blur", stopTyping);
  connect();
})();
