/* The list toolbar (templates/qms/includes/list_tools.html): a box that ticks every row of the page, the count of
   ticked rows, and the confirmation a bulk action asks for. Without this script the boxes, the bulk buttons (a form
   the boxes belong to), the column chooser and the scenes all still work. */
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  if (!form) { return; }
  var count = document.getElementById("bulk-count");
  var idle = count ? count.textContent : "";
  var template = form.getAttribute("data-count-text") || "";
  var boxes = function () { return document.querySelectorAll('input.bulk-select[form="bulk-form"]'); };
  var alls = function () { return document.querySelectorAll("input.bulk-select-all"); };
  document.querySelectorAll("[data-bulk-phone-all]").forEach(function (label) { label.hidden = false; });

  function refresh() {
    var all = boxes(), ticked = 0;
    all.forEach(function (box) { if (box.checked) { ticked += 1; } });
    alls().forEach(function (box) {
      box.checked = all.length > 0 && ticked === all.length;
      box.indeterminate = ticked > 0 && ticked < all.length;
    });
    if (count) { count.textContent = ticked ? template.replace("%(n)s", ticked) : idle; }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.classList && target.classList.contains("bulk-select-all")) {
      boxes().forEach(function (box) { box.checked = target.checked; });
      refresh();
    } else if (target.classList && target.classList.contains("bulk-select")) {
      refresh();
    }
  });
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = button && button.getAttribute("data-confirm");
    if (!question) { return; }
    if (!window.confirm(question)) { event.preventDefault(); return; }
    var confirmed = document.createElement("input");  // asked here: no confirmation page after it
    confirmed.type = "hidden";
    confirmed.name = "bulk_confirmed";
    confirmed.value = "1";
    form.appendChild(confirmed);
  });
  refresh();
})();
