/* Keyboard shortcuts of the agent page (listed on the page, under "Keyboard shortcuts").

   j / k   next / previous hand-over in the queue (focus moves there)
   Enter   opens the focused hand-over (the card is a button)
   c       claims the open hand-over
   r       to the reply box;  n  to the note box;  /  to agent assist
   1 2 3   the Waiting, Claimed and Resolved tabs
   Escape  leaves the box being typed in

   None fires while typing in a field (Escape only leaves it), or with Ctrl, Alt
   or Meta held, so the browser's own shortcuts keep working. */
(function () {
  "use strict";

  var desk = window.AgentDesk;
  if (!desk) return;

  function $(id) { return document.getElementById(id); }

  function typingInField(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "textarea" || tag === "select" || target.isContentEditable ||
      (tag === "input" && ["checkbox", "radio", "button", "submit"].indexOf(target.type) < 0);
  }

  function move(step) {
    var cards = Array.prototype.slice.call(document.querySelectorAll("#queue .queue-button"));
    if (!cards.length) return;
    var at = cards.indexOf(document.activeElement);
    if (at < 0) {
      var open = document.querySelector("#queue .queue-item.open .queue-button");
      at = open ? cards.indexOf(open) : (step > 0 ? -1 : cards.length);
    }
    var next = cards[Math.max(0, Math.min(cards.length - 1, at + step))];
    next.focus();
  }

  function focusBox(id) {
    var box = $(id);
    if (!box || box.disabled || box.offsetParent === null) return false;
    box.focus();
    return true;
  }

  var keys = {
    j: function () { move(1); },
    k: function () { move(-1); },
    c: function () { if (!$("claim").hidden && desk.state.openId) $("claim").click(); },
    r: function () { if (!focusBox("reply-text")) desk.notice("Claim the hand-over to reply."); },
    n: function () { focusBox("note-text"); },
    "/": function () { focusBox("assist-text"); },
    1: function () { tab("waiting"); },
    2: function () { tab("claimed"); },
    3: function () { tab("resolved"); },
  };

  function tab(status) {
    var button = document.querySelector('[role=tab][data-status="' + status + '"]');
    if (button) { button.click(); button.focus(); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    if (typingInField(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });
})();
