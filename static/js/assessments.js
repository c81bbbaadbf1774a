// Answering pages (and the RFx proposal form): the little that htmx attributes do not cover.
(function () {
  "use strict";

  // A second click on a submit button while the first request is on its way does nothing.
  // (The server refuses a double submission anyway; this spares the person a confusing message.)
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-submit-once")) {
      return;
    }
    if (form.dataset.submitting === "true") {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "true";
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
    }, 0);
  });

  // Autosave waits for a pause in typing. Whatever was typed in that pause is sent when the page
  // is left (a link, a reload, closing the tab), so no typing is ever lost.
  var unsaved = new Set();
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field.matches && field.matches("textarea[hx-post], input[type=text][hx-post]")) {
      unsaved.add(field);
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    unsaved.delete(event.detail.elt);
  });
  window.addEventListener("pagehide", function () {
    var token = document.querySelector(
      "#criterion-form [name=csrfmiddlewaretoken], form[data-autosave] [name=csrfmiddlewaretoken]"
    );
    if (!token || !navigator.sendBeacon) {
      return;
    }
    unsaved.forEach(function (field) {
      var data = new FormData();
      data.append(field.name, field.value);
      data.append("csrfmiddlewaretoken", token.value);
      data.append("beacon", "1");
      navigator.sendBeacon(field.getAttribute("hx-post"), data);
    });
    unsaved.clear();
  });

  // Coming back with the browser's Back button shows the page as it was left: enable it again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      form.dataset.submitting = "false";
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = false;
      });
    });
  });
})();
