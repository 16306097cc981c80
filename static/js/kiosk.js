/* havehus — the kiosk tablet: idle reset, and a number pad without a round trip per tap.
   Progressive: without JavaScript every kiosk page has a <meta http-equiv="refresh"> (inside
   <noscript>) back to the start and the pad's buttons post one digit each. With it, a timer
   that starts again on every tap and warns before it runs out does the reset, and digits
   are collected here and sent with the next step (a hidden "keys" field), so the whole
   number is never written into the page.
   Our own code, no dependencies; loaded with defer from /static, so the CSP needs no nonce. */
(function () {
  "use strict";

  var MASK = "\u2022";
  var WARN_SECONDS = 20;

  // The idle reset: the page's <noscript> refresh (read as text, since it is inert here) becomes
  // a timer that starts again on every tap. From 40 seconds up, a notice with a "Continue"
  // button shows for the last 20 seconds, so a slow reader is never sent away unwarned.
  function idleReset() {
    var holder = document.querySelector("noscript[data-idle-reset]");
    var match = holder && /content="(\d+)(?:;\s*url=([^"]*))?"/i.exec(holder.textContent || "");
    if (!match) {
      return;
    }
    var seconds = parseInt(match[1], 10);
    var target = match[2] ? match[2].replace(/&amp;/g, "&") : window.location.href;
    var notice = document.querySelector(".kiosk-idle");
    var warn = notice && seconds >= 2 * WARN_SECONDS;
    var warnTimer = null;
    var resetTimer = null;
    function restart() {
      window.clearTimeout(warnTimer);
      window.clearTimeout(resetTimer);
      if (notice) {
        notice.hidden = true;
      }
      if (warn) {
        warnTimer = window.setTimeout(function () {
          notice.hidden = false;
          notice.querySelector("button").focus();
        }, (seconds - WARN_SECONDS) * 1000);
      }
      resetTimer = window.setTimeout(function () { window.location.assign(target); }, seconds * 1000);
    }
    ["pointerdown", "keydown", "input"].forEach(function (name) {
      document.addEventListener(name, restart, true);
    });
    if (notice) {
      notice.querySelector("button").addEventListener("click", restart);
    }
    restart();
  }

  function enhancePad(form) {
    var output = form.querySelector(".kiosk-display__value");
    var masked = form.getAttribute("data-masked") === "true";
    var known = form.getAttribute("data-known") || "";
    var length = parseInt(form.getAttribute("data-length"), 10) || 0;
    var limit = parseInt(form.getAttribute("data-max"), 10) || 15;
    var loadedAt = Date.now();
    // What the page may show: unknown (masked) places are null.
    var chars = [];
    for (var i = 0; i < length - known.length; i += 1) {
      chars.push(null);
    }
    chars = chars.concat(known.split(""));
    var keys = document.createElement("input");
    keys.type = "hidden";
    keys.name = "keys";
    keys.value = "";
    form.appendChild(keys);

    function show() {
      var text = "";
      chars.forEach(function (ch, index) {
        var hidden = ch === null || (masked && index < chars.length - 2);
        text += hidden ? MASK : ch;
      });
      output.textContent = text;
    }

    form.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button || !form.contains(button)) {
        return;
      }
      // A page kept open long is sent to the server, so a meta refresh loses nothing.
      if (Date.now() - loadedAt > 45000) {
        return;
      }
      var name = button.getAttribute("name");
      var value = button.getAttribute("value");
      if (name === "digit") {
        if ((value === "+" && chars.length > 0) || chars.length >= limit) {
          event.preventDefault();
          return;
        }
        chars.push(value);
        keys.value += value;
      } else if (name === "step" && value === "delete") {
        chars.pop();
        keys.value += "<";
      } else if (name === "step" && value === "clear") {
        for (var n = chars.length; n > 0; n -= 1) {
          keys.value += "<";
        }
        chars = [];
      } else {
        return; // next, no phone: the form is sent with the keys collected so far
      }
      event.preventDefault();
      show();
    });
  }

  idleReset();
  document.querySelectorAll("form[data-kiosk-pad]").forEach(enhancePad);
})();
