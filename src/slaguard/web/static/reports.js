// The reports page: charts from the page's <script type="application/json"> blocks, and
// the filter form. Rates arrive from 0 to 1 and durations in seconds (the tables' and the
// CSV's numbers); they are scaled here for the axes only.
(function () {
  "use strict";

  var locale = document.body.dataset.locale || "en";
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
  var decimal = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  var whole = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  // Colour is never the only signal: each series also has its legend text, line dash or
  // point style, and the table beside the chart.
  var colours = ["#0b5cad", "#a3121b", "#1d6b34", "#7a4d00", "#5b4a8a", "#00707a"];
  var dashes = [[], [6, 4], [2, 3], [10, 3, 2, 3]];
  var points = ["circle", "triangle", "rect", "rectRot", "star", "crossRot"];

  function scaled(unit, value) {
    if (value === null || value === undefined) { return null; }
    return unit === "seconds" ? value / 3600 : value;
  }

  function shown(unit, value) {
    if (value === null || value === undefined) { return "\u2013"; }
    if (unit === "rate") { return percent.format(value); }
    if (unit === "seconds") { return decimal.format(value) + " h"; }
    return whole.format(value);
  }

  function config(spec) {
    var horizontal = !!spec.horizontal;
    var datasets = spec.datasets.map(function (d, i) {
      var line = d.kind === "line";
      return {
        type: line ? "line" : "bar",
        label: d.label,
        unit: d.unit,
        data: d.data.map(function (v) { return scaled(d.unit, v); }),
        backgroundColor: colours[i % colours.length],
        borderColor: colours[i % colours.length],
        borderDash: line ? dashes[i % dashes.length] : undefined,
        pointStyle: points[i % points.length],
        pointRadius: line ? 4 : undefined,
        spanGaps: false,
        yAxisID: spec.type === "pareto" ? (line ? "share" : "y") : undefined,
        order: line ? 0 : 1
      };
    });
    var value = horizontal ? "x" : "y";
    var unit = spec.datasets.length ? spec.datasets[0].unit : "count";
    var scales = {};
    scales[value] = {
      beginAtZero: true,
      stacked: !!spec.stacked,
      ticks: { callback: function (v) { return unit === "rate" ? percent.format(v) : decimal.format(v); } }
    };
    if (unit === "rate") { scales[value].max = 1; }
    if (spec.axis) { scales[value].title = { display: true, text: spec.axis }; }
    scales[horizontal ? "y" : "x"] = { stacked: !!spec.stacked };
    if (spec.type === "pareto") {
      scales.share = {
        position: "right", beginAtZero: true, max: 1, grid: { drawOnChartArea: false },
        ticks: { callback: function (v) { return percent.format(v); } }
      };
    }
    return {
      type: spec.type === "line" ? "line" : "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: reduced ? false : { duration: 300 },
        scales: scales,
        plugins: {
          legend: { labels: { usePointStyle: true } },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var d = spec.datasets[ctx.datasetIndex];
                return d.label + ": " + shown(d.unit, d.data[ctx.dataIndex]);
              }
            }
          }
        }
      }
    };
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof window.Chart === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    if (!spec.labels.length) { return; }
    var box = canvas.parentNode;
    if (spec.horizontal) {  // a bar per group: as tall as they need
      box.style.height = Math.max(200, 28 * spec.labels.length + 80) + "px";
    }
    new window.Chart(canvas, config(spec));
  }

  function filters() {
    var form = document.getElementById("report-filters");
    if (!form) { return; }
    var days = form.elements.days;
    ["from", "to"].forEach(function (name) {
      form.elements[name].addEventListener("change", function () { days.value = "custom"; });
    });
    // Only the fields that count go in the URL that is shared.
    form.addEventListener("submit", function () {
      if (days.value !== "custom") {
        form.elements.from.disabled = true;
        form.elements.to.disabled = true;
      }
      if (!form.elements.metric.value) { form.elements.metric.disabled = true; }
    });
    window.addEventListener("pageshow", function () {
      form.elements.from.disabled = false;
      form.elements.to.disabled = false;
      form.elements.metric.disabled = false;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    filters();
    var canvases = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i++) { draw(canvases[i]); }
  });
})();
