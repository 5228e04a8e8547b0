// 满意度调查 charts: the figures come from the page's <script id="chart-data" type="application/json">
// (json_script); the same figures are in the tables beside each chart. No inline script (CSP).
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  // 1 (red) … 5 (green)
  var scoreColours = ["#dc3545", "#fd7e14", "#ffc107", "#20c997", "#198754"];

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) {
      config.options = Object.assign({ responsive: true, maintainAspectRatio: true, animation: false }, config.options || {});
      return new window.Chart(canvas, config);
    }
    return null;
  }

  var distribution = data.questions.distribution.map(function (series, index) {
    return { type: "bar", label: series.label, data: series.values, backgroundColor: scoreColours[index],
             stack: "scores", yAxisID: "y" };
  });
  distribution.push({ type: "line", label: data.questions.averageLabel, data: data.questions.averages,
                      borderColor: "#0d6efd", backgroundColor: "#0d6efd", yAxisID: "y1", tension: 0.2 });
  draw("chart-questions", {
    data: { labels: data.questions.labels, datasets: distribution },
    options: { scales: { y: { stacked: true, beginAtZero: true, position: "left", ticks: { precision: 0 } },
                         y1: { min: 0, max: 5, position: "right", grid: { drawOnChartArea: false } } } }
  });

  draw("chart-grades", {
    type: "bar",
    data: { labels: data.grades.labels,
            datasets: [
              { label: data.grades.averageLabel, data: data.grades.averages, backgroundColor: "#0d6efd", yAxisID: "y" },
              { label: data.grades.rateLabel, data: data.grades.rates, backgroundColor: "#6c757d", yAxisID: "y1" }
            ] },
    options: { scales: { y: { min: 0, max: 5, position: "left" },
                         y1: { min: 0, max: 100, position: "right", grid: { drawOnChartArea: false } } } }
  });
})();
