/* A form being sent cannot be sent again: its submit buttons are disabled until the next page (qms.submissions
   also refuses a second POST of the same form in the database). The clicked button's name and value (e.g.
   action=save_new) still go with the form, in a hidden field, since a disabled button sends nothing. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post" ||
        form.target || form.hasAttribute("data-resubmit")) {  // a download or a new tab leaves the page as it is
      return;
    }
    var submitter = event.submitter;
    if (submitter && submitter.name && !submitter.disabled) {
      var carried = document.createElement("input");
      carried.type = "hidden";
      carried.name = submitter.name;
      carried.value = submitter.value;
      carried.className = "js-submitter";
      form.appendChild(carried);
    }
    form.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]').forEach(function (button) {
      button.disabled = true;
      button.setAttribute("aria-disabled", "true");
    });
    form.setAttribute("aria-busy", "true");
  });
  // Back to a page kept by the browser (bfcache): its forms may be used again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll('form[aria-busy="true"]').forEach(function (form) {
      form.removeAttribute("aria-busy");
      form.querySelectorAll(".js-submitter").forEach(function (input) { input.remove(); });
      form.querySelectorAll("[aria-disabled=true]").forEach(function (button) {
        button.disabled = false;
        button.removeAttribute("aria-disabled");
      });
    });
  });
})();
