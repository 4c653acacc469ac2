// The code from a slip's QR code: <address>#c=<code>. The fragment never reaches the server
// (browsers do not send it); this copies it into the code form and removes it from the address bar and
// the history entry. The form is then posted as if the code had been typed (DESIGN.md rule 5).
(function () {
  "use strict";
  var match = /^#c=([0-9A-Za-z-]{1,64})$/.exec(window.location.hash);
  if (window.location.hash) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  if (!match) { return; }
  var input = document.querySelector("input[name=code]");
  if (input) {
    // Printed as on the slip, in groups of four (the server ignores dashes).
    input.value = match[1].replace(/-/g, "").toUpperCase().replace(/(.{4})(?!$)/g, "$1-");
    var button = document.querySelector("form.code-form button[type=submit]");
    if (button) { button.focus(); }
  }
}());
