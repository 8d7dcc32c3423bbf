/*
 * The chat widget's "Did this help?": a client's rating of an answer or of an agent's help.
 * A part of widget.js (see there): adds renderRating and ratingSaved to the chat.
 *
 * A message the server marked with rate.step gets thumbs up / down and an
 * optional short comment; rating again changes it (one rating per step).
 * Sent as client_rating; the server answers rating_saved.
 */
(function () {
  "use strict";

  var parts = (window.ToolkitChatParts = window.ToolkitChatParts || {});

  parts.rating = function (Chat, util) {
    var el = util.el;

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
      this.saveHistory();
    };
  };
})();
