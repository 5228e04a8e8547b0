// 隔离品处置及时率: the figures come from <script id="chart-data" type="application/json"> (json_script); the same
// figures are in the table under the chart. No inline script (CSP).
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  var canvas = document.getElementById("chart-isolation-rate");
  if (!source || !canvas || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var label = canvas.getAttribute("aria-label");
  new window.Chart(canvas, {
    type: "bar",
    data: { labels: data.labels, datasets: [{ label: label + " (%)", data: data.rates, backgroundColor: "#198754" }] },
    options: { responsive: true, maintainAspectRatio: true, animation: false,
               scales: { y: { beginAtZero: true, max: 100, ticks: { precision: 0 } } } }
  });
})();
