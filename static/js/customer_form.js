// Customer form (customers/form.html): province → city cascade, owner search, pool checkbox.
// No inline scripts: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  function optionFor(value, label) {
    var option = document.createElement("option");
    option.value = value;
    option.textContent = label;
    return option;
  }

  function loadCities(province, city) {
    var url = province.getAttribute("data-cities-url");
    var keep = city.value;
    if (!url) { return; }
    if (!province.value) {
      city.replaceChildren(optionFor("", "---------"));
      return;
    }
    fetch(url + "?province=" + encodeURIComponent(province.value), {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : {cities: []}; })
      .then(function (data) {
        var options = [optionFor("", "---------")];
        data.cities.forEach(function (row) {
          var option = optionFor(row.code, row.name);
          option.selected = row.code === keep;
          options.push(option);
        });
        city.replaceChildren.apply(city, options);
      });
  }

  function filterOwners(search) {
    var select = document.getElementById(search.getAttribute("data-target"));
    if (!select) { return; }
    var words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var firstVisible = null;
    Array.prototype.forEach.call(select.options, function (option) {
      var text = option.textContent.toLowerCase();
      var shown = !option.value || words.every(function (w) { return text.indexOf(w) !== -1; });
      option.hidden = !shown;
      if (shown && option.value && firstVisible === null) { firstVisible = option; }
    });
    if (select.selectedOptions.length && select.selectedOptions[0].hidden && firstVisible) {
      firstVisible.selected = true;
    }
  }

  function syncPool(pool) {
    var owner = document.getElementById("id_owner");
    var search = document.getElementById("owner-search");
    [owner, search].forEach(function (el) { if (el) { el.disabled = pool.checked; } });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var province = document.querySelector("select.js-province");
    var city = document.querySelector("select.js-city");
    if (province && city) {
      province.addEventListener("change", function () { loadCities(province, city); });
    }
    var search = document.querySelector(".js-owner-search");
    if (search) {
      search.addEventListener("input", function () { filterOwners(search); });
    }
    var pool = document.getElementById("id_to_pool");
    if (pool) {
      pool.addEventListener("change", function () { syncPool(pool); });
      syncPool(pool);
    }
  });
})();
