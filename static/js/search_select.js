// Record choosers too long for one <select> (qms.widgets.SearchSelect): a search box above the select asks the
// select's data-search-url for matches and lists them as its options. No inline scripts (Content-Security-Policy).
(function () {
  "use strict";

  function option(value, label) {
    var element = document.createElement("option");
    element.value = value;
    element.textContent = label;
    return element;
  }

  function search(box, select) {
    var q = box.value.trim();
    if (!q) { return; }
    var url = select.getAttribute("data-search-url");
    fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(q), {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : {results: []}; })
      .then(function (data) {
        var keep = select.value;
        var options = [];
        var empty = select.querySelector("option[value='']");
        if (empty) { options.push(option("", empty.textContent)); }
        data.results.forEach(function (row) { options.push(option(String(row.id), row.label)); });
        if (keep && !data.results.some(function (row) { return String(row.id) === keep; })) {
          var current = select.querySelector("option[value='" + CSS.escape(keep) + "']");
          if (current) { options.push(option(keep, current.textContent)); }
        }
        select.replaceChildren.apply(select, options);
        select.value = data.results.length === 1 ? String(data.results[0].id) : keep;
        select.dispatchEvent(new Event("change", {bubbles: true}));
      });
  }

  function attach(select) {
    if (select.getAttribute("data-search-ready")) { return; }
    select.setAttribute("data-search-ready", "1");
    var box = document.createElement("input");
    box.type = "search";
    box.className = "form-control form-control-sm mb-1 js-search-select";
    box.id = select.id + "-search";
    box.placeholder = select.getAttribute("data-search-placeholder") || "";
    box.setAttribute("aria-label", box.placeholder);
    box.setAttribute("autocomplete", "off");
    select.parentNode.insertBefore(box, select);
    var timer = null;
    box.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { search(box, select); }, 250);
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); window.clearTimeout(timer); search(box, select); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-search-url]").forEach(attach);
  });
})();
