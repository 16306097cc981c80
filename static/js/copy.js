/* havehus — copy buttons for feed addresses (the subscribe page).
   Progressive: the buttons are hidden in the HTML and shown only where the browser can copy;
   without JavaScript the address stays in a read-only field that can be selected by hand.
   Our own code, no dependencies; loaded with defer from /static, so the CSP needs no nonce. */
(function () {
  "use strict";

  function selectField(button) {
    var field = document.getElementById(button.getAttribute("aria-controls"));
    if (field) {
      field.focus();
      field.select();
    }
  }

  document.querySelectorAll("input.copy-field").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });

  if (!navigator.clipboard || !window.isSecureContext) {
    return;
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var label = button.querySelector(".copy-button__label");
    var original = label ? label.textContent : "";
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.getAttribute("data-copy")).then(
        function () {
          if (label) {
            label.textContent = button.getAttribute("data-copied");
            window.setTimeout(function () { label.textContent = original; }, 3000);
          }
        },
        function () { selectField(button); }
      );
    });
  });
})();
