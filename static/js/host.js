/* Host mode: taps are sent in the background and kept until they arrive.
 *
 * Without this script every tap is a form post that reloads the sheet (and works). With it,
 * a tap updates the page at once, is stored in localStorage under a fresh idempotency key,
 * and is sent (again, after a lost connection or a reload) until the server has it; the
 * server saves each key once, so a tap sent twice still counts once.
 *
 * Check-ins made elsewhere (a resident's QR code, the kiosk, another host) show as they
 * happen: while no tap is waiting, the sheet's JSON is read every data-poll-seconds; counts
 * are updated in place, and when someone came or left the list the page reloads (never
 * while a tap is pending or something is being typed). A page left alone stops asking, so
 * an idle staff session still ends.
 */
(function () {
  "use strict";
  var sheet = document.querySelector(".host-sheet[data-session]");
  if (!sheet || !window.fetch || !window.localStorage || !window.FormData) return;
  var store = "havehus.host.pending." + sheet.getAttribute("data-session");
  var sending = sheet.querySelector("[data-sending]");
  var offline = sheet.querySelector("[data-offline]");
  var problem = sheet.querySelector("[data-problem]");
  var busy = false;
  var pollMs = (parseInt(sheet.getAttribute("data-poll-seconds"), 10) || 0) * 1000;
  var IDLE_MS = 20 * 60 * 1000;
  var lastTouch = Date.now();
  var thanks = sheet.querySelector("[data-pulse-thanks]");
  var thanksTimer = null;

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(18);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function pending() {
    try { return JSON.parse(localStorage.getItem(store) || "[]"); } catch (e) { return []; }
  }

  function keep(list) {
    localStorage.setItem(store, JSON.stringify(list));
    if (sending) sending.hidden = list.length === 0;
  }

  function show(state) {
    var total = sheet.querySelector("[data-total]");
    if (total) total.textContent = state.visits;
    Object.keys(state.counts).forEach(function (kind) {
      var shown = sheet.querySelector('[data-count="' + kind + '"]');
      if (shown) shown.textContent = state.counts[kind];
    });
    Object.keys(state.pulse || {}).forEach(function (face) {
      var shown = sheet.querySelector('[data-pulse="' + face + '"]');
      if (shown) shown.textContent = state.pulse[face];
    });
    state.people.forEach(function (person) {
      if (person.booking === null) return;
      var card = sheet.querySelector('[data-booking="' + person.booking + '"]');
      if (card) mark(card, person.came);
    });
  }

  // Whether the list on the page is not the server's any more: someone new, someone gone,
  // or a booked person marked (or unmarked) elsewhere.
  function listChanged(state) {
    var onPage = sheet.querySelectorAll(".host-card");
    if (onPage.length !== state.people.length) return true;
    return state.people.some(function (person) {
      var card = person.booking !== null
        ? sheet.querySelector('[data-booking="' + person.booking + '"]')
        : sheet.querySelector('[data-visit="' + person.visit + '"]');
      return !card || card.classList.contains("host-card--came") !== person.came;
    });
  }

  function typing() {
    var fields = sheet.querySelectorAll("input:not([type=hidden]), textarea, select");
    return Array.prototype.some.call(fields, function (field) {
      if (field === document.activeElement) return true;
      if (field.tagName === "SELECT") return false;
      return field.value !== field.defaultValue;
    });
  }

  function poll() {
    var idle = Date.now() - lastTouch > IDLE_MS;
    if (busy || pending().length || document.visibilityState !== "visible" || idle) return;
    fetch(sheet.getAttribute("data-json"), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.json();
    }).then(function (state) {
      if (busy || pending().length) return;  // a tap began meanwhile: its answer will tell
      if (listChanged(state) && !typing()) { window.location.reload(); return; }
      show(state);
    }).catch(function () { /* offline or signed out: the next poll, or a tap, will tell */ });
  }

  function mark(card, came) {
    card.classList.toggle("host-card--came", came);
    var forms = card.querySelectorAll("form[data-tap]");
    Array.prototype.forEach.call(forms, function (form) {
      var action = form.querySelector('input[name="action"]').value;
      if (action === "came") form.hidden = came;
      if (action === "not_came") form.hidden = !came;
    });
  }

  function optimistic(form) {
    var action = form.querySelector('input[name="action"]').value;
    var card = form.closest(".host-card");
    if (card && action === "came") mark(card, true);
    if (card && action === "not_came") mark(card, false);
    if (card && action === "remove_visit") card.hidden = true;
    var kind = form.querySelector('input[name="kind"]');
    if (kind) {
      var shown = sheet.querySelector('[data-count="' + kind.value + '"]');
      var value = parseInt(shown.textContent, 10) || 0;
      shown.textContent = Math.max(0, value + (action === "count" ? 1 : -1));
    }
    var face = form.querySelector('input[name="face"]');
    if (face) {
      var faceCount = sheet.querySelector('[data-pulse="' + face.value + '"]');
      if (faceCount) faceCount.textContent = (parseInt(faceCount.textContent, 10) || 0) + 1;
      if (thanks) {
        thanks.hidden = false;
        window.clearTimeout(thanksTimer);
        thanksTimer = window.setTimeout(function () { thanks.hidden = true; }, 4000);
      }
    }
  }

  function flush() {
    var list = pending();
    if (busy || list.length === 0) { keep(list); return; }
    busy = true;
    var tap = list[0];
    var body = new URLSearchParams(tap.fields);
    fetch(tap.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (response.status >= 500) throw new Error("server");
      // A refusal the server could not put in JSON still ends the tap: it would never pass.
      return response.json().catch(function () { return { message: response.statusText }; })
        .then(function (answer) { return { ok: response.ok, answer: answer }; });
    }).then(function (result) {
      keep(pending().filter(function (other) { return other.key !== tap.key; }));
      if (offline) offline.hidden = true;
      if (result.ok) show(result.answer);
      else if (problem) { problem.textContent = result.answer.message; problem.hidden = false; }
      busy = false;
      flush();
    }).catch(function () {
      busy = false;
      if (offline) offline.hidden = false;
      window.setTimeout(flush, 5000);
    });
  }

  sheet.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-tap")) return;
    event.preventDefault();
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      fields.push([name, name === "key" ? "" : value]);
    });
    var key = newKey();
    fields = fields.map(function (pair) { return pair[0] === "key" ? ["key", key] : pair; });
    var list = pending();
    // form.action would be the hidden input named "action": read the attribute.
    var url = new URL(form.getAttribute("action"), window.location.href).href;
    list.push({ url: url, fields: fields, key: key });
    keep(list);
    optimistic(form);
    flush();
  });

  ["pointerdown", "keydown"].forEach(function (name) {
    document.addEventListener(name, function () { lastTouch = Date.now(); }, true);
  });
  window.addEventListener("online", flush);
  if (pollMs > 0) {
    window.setInterval(poll, pollMs);
    document.addEventListener("visibilitychange", poll);
  }
  flush();
})();
