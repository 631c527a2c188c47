// Quiz attempt page: a visible countdown when the quiz is timed. The server keeps the time
// (answers arriving after the deadline plus a small grace are refused); at zero this submits
// the answers on screen without asking, as the time is up anyway.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function start() {
    var timer = document.getElementById("quiz-timer");
    if (!timer || timer.getAttribute("data-started")) { return; }
    timer.setAttribute("data-started", "1");
    var endsAt = Date.now() + 1000 * parseInt(timer.getAttribute("data-seconds-left"), 10);
    function tick() {
      if (!document.body.contains(timer)) { return; } // the page was replaced
      var left = Math.max(0, Math.ceil((endsAt - Date.now()) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      timer.textContent = (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s);
      if (left > 0) { window.setTimeout(tick, 250); return; }
      timer.textContent = "0:00 — time is up, submitting your answers";
      var form = document.getElementById(timer.getAttribute("data-submit-form"));
      if (form) {
        form.setAttribute("action", timer.getAttribute("data-submit-url"));
        form.submit(); // HTMLFormElement.submit() skips the confirmation on purpose
      }
    }
    tick();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  document.addEventListener("htmx:load", start);
})();
