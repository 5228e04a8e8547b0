// QMS Portal layout: a wide table scrolls inside its own box, never the page. Lists already come in such a box
// (includes/table.html); the other tables (dashboards, analysis, detail pages) are given one here. The box
// takes the keyboard focus so that it can be scrolled without a mouse (WCAG 2.1.1).
(function () {
  function wrapWideTables() {
    Array.prototype.forEach.call(document.querySelectorAll("main table.table"), function (table) {
      if (table.closest(".table-responsive")) { return; }
      var box = document.createElement("div");
      box.className = "table-responsive table-scroll";
      box.tabIndex = 0;
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    });
    Array.prototype.forEach.call(document.querySelectorAll("main .table-responsive:not([tabindex])"), function (box) {
      box.tabIndex = 0;
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wrapWideTables);
  } else {
    wrapWideTables();
  }
})();
