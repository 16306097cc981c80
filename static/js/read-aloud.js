/* havehus — "Read aloud": the browser's speech synthesis reads the page in its own language.
   Progressive: the button is rendered hidden and shown only when the device has a voice for
   the page's language (<html lang>); without JavaScript or a voice nothing is offered.
   The page is read one block at a time (headings, paragraphs, list items, links, buttons),
   skipping the number pad and the language switch. Our own code, no dependencies. */
(function () {
  "use strict";

  var synth = window.speechSynthesis;
  var buttons = document.querySelectorAll("button[data-read-aloud]");
  if (!synth || !window.SpeechSynthesisUtterance || buttons.length === 0) {
    return;
  }
  var BLOCKS = "h1, h2, h3, p, li, dt, dd, label, legend, th, td, a, button";
  var SKIP = "[hidden], [aria-hidden='true'], .read-aloud, .kiosk-keys, .kiosk-languages, " +
    ".language-switch, .skip-link, script";
  var language = (document.documentElement.lang || "da").toLowerCase();
  var active = null;

  function voiceFor() {
    var voices = synth.getVoices() || [];
    var primary = language.split("-")[0];
    var exact = null;
    var near = null;
    voices.forEach(function (voice) {
      var tag = String(voice.lang || "").toLowerCase().replace("_", "-");
      if (tag === language && !exact) {
        exact = voice;
      } else if (tag.split("-")[0] === primary && !near) {
        near = voice;
      }
    });
    return exact || near;
  }

  function sentences(root) {
    var found = [];
    root.querySelectorAll(BLOCKS).forEach(function (block) {
      if (block.closest(SKIP) || block.querySelector(BLOCKS)) {
        return; // skipped, or read through its own smaller blocks
      }
      var text = (block.innerText || block.textContent || "").replace(/\s+/g, " ").trim();
      if (text) {
        found.push(text);
      }
    });
    return found;
  }

  function label(button, reading) {
    var span = button.querySelector(".read-aloud__label");
    if (span) {
      span.textContent = button.getAttribute(reading ? "data-label-stop" : "data-label-read");
    }
  }

  function stop() {
    synth.cancel();
    if (active) {
      label(active, false);
      active = null;
    }
  }

  function read(button) {
    var voice = voiceFor();
    var root = document.querySelector(button.getAttribute("data-read-aloud")) || document.body;
    var parts = sentences(root);
    if (!voice || parts.length === 0) {
      return;
    }
    active = button;
    label(button, true);
    parts.forEach(function (text, index) {
      var utterance = new window.SpeechSynthesisUtterance(text);
      utterance.voice = voice;
      utterance.lang = voice.lang;
      utterance.rate = 0.9;
      if (index === parts.length - 1) {
        utterance.onend = function () {
          if (active === button) {
            label(button, false);
            active = null;
          }
        };
      }
      synth.speak(utterance);
    });
  }

  function offer() {
    var available = Boolean(voiceFor());
    buttons.forEach(function (button) { button.hidden = !available; });
  }

  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      var again = active === button;
      stop();
      if (!again) {
        read(button);
      }
    });
  });
  // Voices often arrive after the page has loaded.
  if (synth.addEventListener) {
    synth.addEventListener("voiceschanged", offer);
  }
  window.addEventListener("pagehide", stop);
  offer();
})();
