// The local trial's link (/agent/#token=...) logs in with one click: the token is in the
// fragment, which the browser never sends to a server (so no server log has it). It fills
// the form, leaves the address bar and the history, and the form is sent as if typed.
(function () {
  "use strict";
  var match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!match) {
    return;
  }
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
  var input = document.getElementById("token");
  if (!input || !input.form) {
    return;
  }
  try {
    input.value = decodeURIComponent(match[1]);
  } catch (e) {
    return; // not a token we made
  }
  input.form.submit();
})();
