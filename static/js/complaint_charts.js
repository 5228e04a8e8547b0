// 投诉统计 charts: the figures come from the page's <script id="chart-data" type="application/json">
// (json_script); the same figures are in the tables under each chart. No inline script (CSP).
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var palette = ["#0d6efd", "#198754", "#ffc107", "#dc3545", "#6f42c1", "#20c997", "#fd7e14", "#6c757d"];
  // on time, late, overdue, missed
  var clockColours = ["#198754", "#ffc107", "#dc3545", "#6c757d"];

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) {
      config.options = Object.assign({ responsive: true, maintainAspectRatio: true, animation: false },
                                     config.options || {});
      return new window.Chart(canvas, config);
    }
    return null;
  }

  function datasets(series, colours) {
    return series.map(function (s, i) {
      return { label: s.label, data: s.values, backgroundColor: colours[i % colours.length] };
    });
  }

  function total(values) {
    return values.reduce(function (sum, v) { return sum + v; }, 0);
  }

  var count = { beginAtZero: true, ticks: { precision: 0 } };

  draw("chart-per-month", {
    type: "bar",
    data: { labels: data.perMonth.labels, datasets: datasets(data.perMonth.series, palette) },
    options: { scales: { x: { stacked: true }, y: Object.assign({ stacked: true }, count) } }
  });

  draw("chart-clocks", {
    type: "bar",
    data: { labels: data.clocks.labels, datasets: datasets(data.clocks.series, clockColours) },
    options: {
      indexAxis: "y",
      scales: { x: Object.assign({ stacked: true }, count), y: { stacked: true } },
      plugins: {
        tooltip: {
          callbacks: {
            footer: function (items) {
              var rate = items.length ? data.clocks.rates[items[0].dataIndex] : null;
              return rate === null || rate === undefined ? "" : data.clocks.rateLabel + ": " + rate;
            }
          }
        }
      }
    }
  });

  if (data.departments.labels.length) {
    draw("chart-departments", {
      type: "bar",
      data: { labels: data.departments.labels, datasets: datasets(data.departments.series, [palette[0], palette[3]]) },
      options: { indexAxis: "y", scales: { x: count } }
    });
  }

  [["chart-responsibilities", data.responsibilities], ["chart-corrections", data.corrections]].forEach(function (pair) {
    if (total(pair[1].values)) {
      draw(pair[0], {
        type: "doughnut",
        data: { labels: pair[1].labels, datasets: [{ data: pair[1].values, backgroundColor: palette }] },
        options: { aspectRatio: 1.6, plugins: { legend: { position: "right" } } }
      });
    }
  });

  if (data.products.labels.length) {
    draw("chart-products", {
      type: "bar",
      data: { labels: data.products.labels,
               datasets: [{ label: data.products.label, data: data.products.values, backgroundColor: palette[4] }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: count } }
    });
  }
})();
