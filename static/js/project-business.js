/*
 * Gongjian — 党建+业务 on a key project's page: one ECharts chart, month by month, of the business progress (%)
 * as a line beside the joint party work as bars (activities held, zone checks, action items closed).
 *
 * Wired from the page, no inline scripts:
 *   script#gj-project-business-data   the chart's series (Django's json_script), one value per month
 *   [data-chart="project-business"]   where the chart goes
 * The tables beside the chart show the same figures, so nothing is lost without JavaScript.
 */
(function () {
  "use strict";

  var RED = "#c8161d";
  var PHONE = window.matchMedia ? window.matchMedia("(max-width: 575.98px)") : { matches: false };

  function readData() {
    var node = document.getElementById("gj-project-business-data");
    if (!node) {
      return null;
    }
    try {
      return JSON.parse(node.textContent);
    } catch (error) {
      return null;
    }
  }

  function draw() {
    var node = document.querySelector('[data-chart="project-business"]');
    var data = readData();
    if (!node || !data || !window.echarts || !data.months.length) {
      return;
    }
    var labels = data.labels;
    var chart = window.echarts.init(node, null, { renderer: "canvas" });
    function bar(name, values, colour) {
      return { name: name, type: "bar", yAxisIndex: 1, data: values, itemStyle: { color: colour }, barMaxWidth: 14 };
    }
    chart.setOption({
      color: [RED, "#f6c343", "#2b6cb0", "#2f855a"],
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, type: "scroll" },
      grid: { left: PHONE.matches ? 36 : 48, right: PHONE.matches ? 30 : 48, top: 36, bottom: 64 },
      xAxis: { type: "category", data: data.months },
      yAxis: [
        { type: "value", name: labels.progress_axis, min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
        { type: "value", name: labels.work_axis, minInterval: 1, splitLine: { show: false } },
      ],
      series: [
        {
          name: labels.progress,
          type: "line",
          yAxisIndex: 0,
          data: data.progress,
          connectNulls: true,
          symbolSize: 6,
          lineStyle: { width: 3 },
          itemStyle: { color: RED },
        },
        bar(labels.activities, data.activities, "#f6c343"),
        bar(labels.zone_checks, data.zone_checks, "#2b6cb0"),
        bar(labels.items_closed, data.items_closed, "#2f855a"),
      ],
    });
    node.setAttribute("data-chart-drawn", "true");
    var pending = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        chart.resize();
      }, 100);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
