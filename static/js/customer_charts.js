// 客户分析 charts: the figures come from the page's <script id="chart-data" type="application/json">
// (json_script); the same figures are in the tables under each chart. No inline script (CSP).
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var palette = ["#0d6efd", "#198754", "#ffc107", "#dc3545", "#6f42c1", "#20c997", "#fd7e14", "#6c757d"];

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) {
      config.options = Object.assign({ responsive: true, maintainAspectRatio: true, animation: false }, config.options || {});
      return new window.Chart(canvas, config);
    }
    return null;
  }

  draw("chart-new-per-month", {
    type: "bar",
    data: { labels: data.newPerMonth.labels,
            datasets: [{ label: data.newPerMonth.label, data: data.newPerMonth.values, backgroundColor: palette[0] }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });

  draw("chart-follow-ups", {
    type: "bar",
    data: { labels: data.followUps.labels,
            datasets: [{ label: data.followUps.label, data: data.followUps.values, backgroundColor: palette[1] }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } },
               scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
  });

  draw("chart-grades", {
    type: "bar",
    data: { labels: data.grades.labels,
            datasets: [
              { label: data.grades.customersLabel, data: data.grades.customers, backgroundColor: palette[0], yAxisID: "y" },
              { label: data.grades.revenueLabel, data: data.grades.revenueShare, backgroundColor: palette[2], yAxisID: "y1" }
            ] },
    options: { scales: { y: { beginAtZero: true, position: "left", ticks: { precision: 0 } },
                         y1: { beginAtZero: true, max: 100, position: "right", grid: { drawOnChartArea: false } } } }
  });

  if (data.pareto.labels.length) {
    draw("chart-pareto", {
      type: "line",
      data: { labels: data.pareto.labels,
              datasets: [{ label: data.pareto.label, data: data.pareto.values, borderColor: palette[3],
                           backgroundColor: palette[3], fill: false, tension: 0.2 }] },
      options: { scales: { x: { title: { display: true, text: data.pareto.xLabel } },
                           y: { beginAtZero: true, max: 100, title: { display: true, text: data.pareto.label } } } }
    });
  }

  draw("chart-visits", {
    type: "bar",
    data: { labels: data.visits.labels,
            datasets: [
              { label: data.visits.plannedLabel, data: data.visits.planned, backgroundColor: palette[7] },
              { label: data.visits.recordedLabel, data: data.visits.recorded, backgroundColor: palette[1] }
            ] },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });

  if (data.contractsPerMonth) {
    draw("chart-contract-month", {
      type: "bar",
      data: { labels: data.contractsPerMonth.labels,
              datasets: [{ label: data.contractsPerMonth.label, data: data.contractsPerMonth.values,
                           backgroundColor: palette[4] }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } }
    });
    draw("chart-contract-owner", {
      type: "bar",
      data: { labels: data.contractsPerOwner.labels,
              datasets: [{ label: data.contractsPerOwner.label, data: data.contractsPerOwner.values,
                           backgroundColor: palette[5] }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true } } }
    });
  }
})();
