// 装修管理看板 chart: the figures come from <script id="chart-data" type="application/json"> (json_script); the
// same figures are in the table under the chart. No inline script (CSP).
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  var canvas = document.getElementById("chart-violations");
  if (!source || !canvas || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var palette = ["#dc3545", "#ffc107", "#0d6efd", "#6c757d"];
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.months,
      datasets: data.violations.map(function (s, i) {
        return { label: s.label, data: s.values, backgroundColor: palette[i % palette.length] };
      })
    },
    options: { responsive: true, maintainAspectRatio: true, animation: false,
               scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
  });
}());
