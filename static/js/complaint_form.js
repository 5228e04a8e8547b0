// Complaint intake (complaints/complaint_form.html): search the customer archive and fill the customer list.
// No inline scripts: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  function optionFor(value, label) {
    var option = document.createElement("option");
    option.value = value;
    option.textContent = label;
    return option;
  }

  function search(input, select) {
    var q = input.value.trim();
    if (!q) { return; }
    fetch(input.getAttribute("data-url") + "?q=" + encodeURIComponent(q), {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : {results: []}; })
      .then(function (data) {
        var keep = select.value;
        var options = [optionFor("", "---------")];
        data.results.forEach(function (row) {
          var option = optionFor(String(row.id), row.label);
          option.setAttribute("data-name", row.name);
          options.push(option);
        });
        select.replaceChildren.apply(select, options);
        if (data.results.length === 1) {
          select.value = String(data.results[0].id);
        } else if (keep) {
          select.value = keep;
        }
        select.dispatchEvent(new Event("change"));
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var input = document.querySelector(".js-customer-search");
    if (!input) { return; }
    var select = document.getElementById(input.getAttribute("data-target"));
    var name = document.getElementById("id_customer_name");
    var timer = null;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { search(input, select); }, 250);
    });
    select.addEventListener("change", function () {
      var chosen = select.selectedOptions[0];
      if (name && chosen && chosen.value) { name.value = chosen.getAttribute("data-name") || name.value; }
    });
  });
})();
