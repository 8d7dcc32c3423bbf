// Presence on the agent desk: while this page is open it tells the server every 20 s
// whether the agent used it since the last time (POST /agent/api/presence). The server
// decides from that: online while used, away after minutes without input, offline once
// the heartbeats stop (desk/presence.py). The selector sets a status by hand; "Automatic"
// follows the page. What a hand-over tells a client depends on it (handover/announce.py).
(function () {
  "use strict";
  var HEARTBEAT_MS = 20000;
  var WORDS = { online: "You are online", away: "You are away", offline: "You are offline" };
  var select = document.getElementById("presence-status");
  var shown = document.getElementById("presence-shown");
  var used = true; // opening the page is using it
  var timer = null;

  // A trial link's token (#token=...) has done its work at the log-in: keep it out of the history.
  if (/(?:^#|&)token=/.test(window.location.hash)) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }

  function send(body, keepalive) {
    return fetch("/agent/api/presence", {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "X-Agent-Request": "1" },
      body: JSON.stringify(body),
    });
  }

  function show(presence) {
    if (!presence) {
      return;
    }
    if (shown) {
      shown.textContent = WORDS[presence.status] || "";
      shown.setAttribute("data-status", presence.status || "");
    }
    if (select && presence.chosen && select.value !== presence.chosen && document.activeElement !== select) {
      select.value = presence.chosen;
    }
  }

  function beat(chosen) {
    var body = { active: used };
    if (chosen) {
      body.status = chosen;
    }
    used = false;
    return send(body)
      .then(function (res) {
        return res.ok ? res.json() : null;
      })
      .then(show)
      .catch(function () {
        /* the next heartbeat tries again */
      });
  }

  function schedule() {
    if (timer !== null) {
      window.clearInterval(timer);
    }
    timer = window.setInterval(function () {
      beat(null);
    }, HEARTBEAT_MS);
  }

  ["keydown", "pointerdown", "wheel", "touchstart", "focus"].forEach(function (name) {
    window.addEventListener(
      name,
      function () {
        used = true;
      },
      { passive: true, capture: true }
    );
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      used = true;
      beat(null);
    }
  });
  window.addEventListener("pagehide", function () {
    send({ leaving: true }, true).catch(function () {});
  });
  if (select) {
    select.addEventListener("change", function () {
      used = true;
      beat(select.value);
      schedule();
    });
  }
  beat(null);
  schedule();
})();
