// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Scripts run: show what is only true with them (.js-only, e.g. "saved as you go").
  document.documentElement.classList.add("js");
  // Copy buttons: <button data-copy="text">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) { return; }
    navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
      var status = button.parentElement.querySelector("[data-copy-status]");
      if (status) { status.textContent = "Copied to the clipboard."; }
    });
  });
  // Confirmation for destructive or final actions: <form data-confirm="Are you sure?">, or on
  // the submit button that needs it (<button data-confirm="...">).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute("data-confirm")) ||
      (form.getAttribute && form.getAttribute("data-confirm"));
    if (message && !window.confirm(message)) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);
  // An htmx request whose error response is not swapped (403, 404, 409, 413, 429, 5xx) still
  // tells the user what happened, in the alert region of base.html.
  var messages = {
    403: "You do not have permission to do this.",
    404: "This item no longer exists or is not available to you.",
    409: "This was changed in the meantime. Reload the page to see its current state.",
    413: "The upload is larger than allowed.",
    429: "Too many requests. Please wait a moment and try again."
  };
  document.addEventListener("htmx:responseError", function (event) {
    var region = document.getElementById("request-error");
    if (!region) { return; }
    var status = event.detail.xhr.status;
    region.textContent = messages[status] || "Something went wrong. Please try again.";
    region.hidden = false;
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var region = document.getElementById("request-error");
    if (region) { region.hidden = true; }
  });
})();
