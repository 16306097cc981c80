// The report page: when a report takes more than a second, say that it is being made.
// Without JavaScript the form works the same, only without the message.
(function () {
  "use strict";
  var form = document.querySelector("form[data-progress]");
  if (!form) {
    return;
  }
  var status = document.getElementById(form.getAttribute("data-progress"));
  if (!status) {
    return;
  }
  form.addEventListener("submit", function () {
    window.setTimeout(function () {
      status.textContent = status.getAttribute("data-text");
      status.classList.add("report-working--on");
    }, 1000);
  });
  // Coming back with the back button shows the page as it was: no stale message.
  window.addEventListener("pageshow", function () {
    status.textContent = "";
    status.classList.remove("report-working--on");
  });
})();
