/*
 * safe-links.js: the one renderer of message text for the chat widget and the
 * agent desk (window.ToolkitText).
 *
 * Why it exists: which [label](target) links may become clickable used to be
 * decided twice, differently, in widget.js and agent.js. Here is the one rule,
 * the server's (channels/webchat.py safe_text): only targets starting with
 * http://, https:// or mailto: become <a target="_blank" rel="noopener
 * noreferrer">; anything else (javascript:, data:, relative, //host, malformed)
 * stays plain text showing the label. tests/test_safe_links_browser.py tests it.
 *
 * Text is only ever set with createTextNode/textContent: nothing is parsed as
 * HTML. Paragraphs are split on blank lines; a single line break stays a "\n"
 * in the text, which both pages show with white-space: pre-wrap.
 *
 * ToolkitText.render(parent, text, options) appends to parent; options:
 *   links: false       plain text, no links (a client's own words)
 *   paragraphs: false  no <p> per paragraph (for a parent that is a <p> itself)
 */
(function () {
  "use strict";

  /* [label](target); the target may hold one level of balanced parentheses (as on the server). */
  var LINK = /\[([^\]\n]*)\]\(((?:[^()\s]|\([^()\s]*\))*)\)/g;
  var SAFE_TARGET = /^(?:https?:\/\/|mailto:)/i;
  var SAFE_PROTOCOLS = ["http:", "https:", "mailto:"];
  var PARAGRAPH_BREAK = /\n{2,}/;

  /* The href for `target` if it may be a link, else null. */
  function safeHref(target) {
    if (typeof target !== "string" || !SAFE_TARGET.test(target)) return null;
    var url;
    try {
      url = new URL(target); /* no base: a relative target throws */
    } catch (e) {
      return null;
    }
    return SAFE_PROTOCOLS.indexOf(url.protocol) >= 0 ? url.href : null;
  }

  function appendText(parent, text) {
    if (text) parent.appendChild(document.createTextNode(text));
  }

  function appendInline(parent, text, links) {
    if (!links) {
      appendText(parent, text);
      return;
    }
    var last = 0;
    var match;
    LINK.lastIndex = 0;
    while ((match = LINK.exec(text)) !== null) {
      appendText(parent, text.slice(last, match.index));
      var href = safeHref(match[2]);
      if (href) {
        var a = document.createElement("a");
        a.textContent = match[1];
        a.href = href;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        parent.appendChild(a);
      } else {
        appendText(parent, match[1]);
      }
      last = LINK.lastIndex;
    }
    appendText(parent, text.slice(last));
  }

  function render(parent, text, options) {
    var links = !(options && options.links === false);
    var paragraphs = !(options && options.paragraphs === false);
    text = text === null || text === undefined ? "" : String(text);
    if (!paragraphs) {
      appendInline(parent, text, links);
      return parent;
    }
    text.split(PARAGRAPH_BREAK).forEach(function (paragraph) {
      var p = document.createElement("p");
      appendInline(p, paragraph, links);
      parent.appendChild(p);
    });
    return parent;
  }

  window.ToolkitText = Object.freeze({ render: render, safeHref: safeHref });
})();
