/*
 * Gongjian — a brand page's chart (品牌联创): activities (bars) and headcounts (line) month by month.
 *
 * Wired from the page, no inline scripts:
 *   script#gj-brand-data     {months: [...], activities: [...], headcounts: [...], labels: {activities, headcounts}}
 *   [data-brand-chart]       where the chart goes
 * The table under the chart shows the same numbers, so nothing is lost without JavaScript.
 */
(function () {
  "use strict";

  var RED = "#c8161d";
  var GOLD = "#d69e2e";

  function readData() {
    var node = document.getElementById("gj-brand-data");
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
    var node = document.querySelector("[data-brand-chart]");
    var data = readData();
    if (!node || !data || !window.echarts) {
      return;
    }
    var chart = window.echarts.init(node, null, { renderer: "canvas" });
    chart.setOption({
      color: [RED, GOLD],
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 36, right: 40, top: 32, bottom: 24 },
      xAxis: { type: "category", data: data.months.map(function (m) { return m.slice(2); }) },
      yAxis: [
        { type: "value", minInterval: 1, name: "" },
        { type: "value", minInterval: 1, name: "", splitLine: { show: false } },
      ],
      series: [
        { name: data.labels.activities, type: "bar", data: data.activities, barMaxWidth: 24 },
        { name: data.labels.headcounts, type: "line", yAxisIndex: 1, data: data.headcounts, smooth: false },
      ],
    });
    window.addEventListener("resize", function () {
      chart.resize();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
