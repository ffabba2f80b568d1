/*
 * Gongjian — the committee's assessment dashboard (考核看板): draws the charts with ECharts (canvas).
 *
 * Wired from the page, no inline scripts:
 *   script#gj-dashboard-data           every chart's data, one JSON blob (Django's json_script)
 *   [data-chart="ranking|distribution|trend|radar|overdue|heat"]   where each chart goes; a missing element skips
 *                                      its chart (the distribution of totals shows for a scope larger than a page)
 *   select[data-gj-autosubmit]         the quarter picker: changing it reloads the page (the button does without JS)
 * Clicking a bar of the ranking or of the overdue chart, or a line of the trend, opens that result's page.
 * Every series is bounded by the server: the ranking's bars and the heat rows are the page of the ranking shown.
 * The tables on the page show the same numbers, so nothing is lost without JavaScript.
 */
(function () {
  "use strict";

  var RED = "#c8161d";
  var PALETTE = [RED, "#f6c343", "#2b6cb0", "#2f855a", "#805ad5", "#dd6b20", "#718096"];
  var PHONE = window.matchMedia ? window.matchMedia("(max-width: 575.98px)") : { matches: false };

  function readData() {
    var node = document.getElementById("gj-dashboard-data");
    if (!node) {
      return null;
    }
    try {
      return JSON.parse(node.textContent);
    } catch (error) {
      return null;
    }
  }

  function labelWidth() {
    return PHONE.matches ? 90 : 150;
  }

  // Charts label subjects by a short name (a brand, an agreement's number) and name them in full on hover.
  // The tooltips are HTML: every name in them is escaped.
  function esc(text) {
    return String(text === null || text === undefined ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function fullName(rows, index, fallback) {
    var row = rows[index];
    return esc((row && (row.full || row.name)) || fallback);
  }

  function barTooltip(rows) {
    return {
      trigger: "axis",
      axisPointer: { type: "shadow" },
      formatter: function (params) {
        var p = params[0];
        return fullName(rows, p.dataIndex, p.name) + "<br>" + p.marker + esc(p.seriesName) + " " + esc(p.value);
      },
    };
  }

  function openUrl(url) {
    if (url) {
      window.location.href = url;
    }
  }

  function ranking(data) {
    // Best at the top: a category axis draws its first item at the bottom.
    var rows = data.ranking.slice().reverse();
    return {
      height: Math.max(300, rows.length * 26 + 60),
      option: {
        color: [RED],
        tooltip: barTooltip(rows),
        grid: { left: 8, right: 40, top: 10, bottom: 24 },
        xAxis: { type: "value", max: 100 },
        yAxis: {
          type: "category",
          data: rows.map(function (r) { return r.name; }),
          axisLabel: { width: labelWidth(), overflow: "truncate" },
        },
        series: [{
          type: "bar",
          name: data.labels.total,
          data: rows.map(function (r) { return { value: r.value, url: r.url }; }),
          label: { show: true, position: "right" },
          cursor: "pointer",
        }],
      },
      click: function (params) { openUrl(params.data && params.data.url); },
    };
  }

  function distribution(data) {
    return {
      option: {
        color: [RED],
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        grid: { left: 8, right: 16, top: 20, bottom: 24, containLabel: true },
        xAxis: { type: "category", data: data.distribution.map(function (b) { return b.name; }),
                 axisLabel: { interval: 0, fontSize: PHONE.matches ? 9 : 11 } },
        yAxis: { type: "value", minInterval: 1 },
        series: [{
          type: "bar",
          name: data.labels.subjects,
          data: data.distribution.map(function (b) { return b.value; }),
          label: { show: !PHONE.matches, position: "top" },
        }],
      },
    };
  }

  function trend(data) {
    var series = [{
      type: "line",
      name: data.labels.average,
      data: data.trend.average,
      lineStyle: { type: "dashed", width: 2 },
      symbol: "circle",
      connectNulls: true,
    }];
    var firstLine = 1;
    if (data.trend.median && data.trend.median.length) {
      series.push({
        type: "line",
        name: data.labels.median,
        data: data.trend.median,
        lineStyle: { type: "dotted", width: 2 },
        symbol: "diamond",
        connectNulls: true,
      });
      firstLine = 2;
    }
    data.trend.series.forEach(function (s) {
      series.push({ type: "line", name: s.name, data: s.values, url: s.url, symbol: "circle", connectNulls: false });
    });
    return {
      option: {
        color: ["#718096"].concat(firstLine === 2 ? ["#4a5568"] : [], PALETTE),
        tooltip: {
          trigger: "axis",
          formatter: function (params) {
            var lines = [params.length ? esc(params[0].axisValueLabel) : ""];
            params.forEach(function (p) {
              var s = data.trend.series[p.seriesIndex - firstLine];
              var value = p.value === null || p.value === undefined ? "—" : p.value;
              lines.push(p.marker + esc(s ? (s.full || s.name) : p.seriesName) + " " + esc(value));
            });
            return lines.join("<br>");
          },
        },
        legend: { type: "scroll", top: 0, tooltip: { show: true } },
        grid: { left: 8, right: 16, top: 40, bottom: 24 },
        xAxis: { type: "category", data: data.trend.periods, boundaryGap: false },
        yAxis: { type: "value", min: 0, max: 100 },
        series: series,
      },
      click: function (params) {
        var s = data.trend.series[params.seriesIndex - firstLine];
        openUrl(s && s.url);
      },
    };
  }

  function radar(data) {
    return {
      option: {
        color: ["#718096"].concat(PALETTE),
        tooltip: {
          trigger: "item",
          formatter: function (p) {
            var s = data.radar.series[p.dataIndex] || {};
            return esc(s.full || p.name) + "<br>" + data.radar.indicators.map(function (indicator, i) {
              return esc(indicator.name) + " " + esc(p.value[i] === null ? "—" : p.value[i]);
            }).join("<br>");
          },
        },
        legend: { type: "scroll", bottom: 0, tooltip: { show: true } },
        radar: {
          indicator: data.radar.indicators,
          radius: PHONE.matches ? "55%" : "65%",
          axisName: { color: "#333", fontSize: PHONE.matches ? 10 : 12 },
        },
        series: [{
          type: "radar",
          data: data.radar.series.map(function (s, i) {
            return { name: s.name, value: s.values, areaStyle: i === 0 ? { opacity: 0.15 } : undefined };
          }),
        }],
      },
    };
  }

  function overdue(data) {
    var rows = data.overdue.slice().reverse();
    return {
      height: Math.max(200, rows.length * 26 + 50),
      option: {
        color: ["#dd6b20"],
        tooltip: barTooltip(rows),
        grid: { left: 8, right: 30, top: 10, bottom: 24 },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: {
          type: "category",
          data: rows.map(function (r) { return r.name; }),
          axisLabel: { width: labelWidth(), overflow: "truncate" },
        },
        series: [{
          type: "bar",
          name: data.labels.overdue,
          data: rows.map(function (r) { return { value: r.value, url: r.url }; }),
          label: { show: true, position: "right" },
          cursor: "pointer",
        }],
      },
      click: function (params) { openUrl(params.data && params.data.url); },
    };
  }

  function heat(data) {
    var subjects = data.heat.subjects.slice().reverse();
    var fullNames = (data.heat.full || data.heat.subjects).slice().reverse();
    var last = subjects.length - 1;
    var cells = data.heat.cells.map(function (c) {
      // [month index, subject index, rate or null (not due yet), planned, done]
      return { value: [c[0], last - c[1], c[2] === null ? "-" : c[2]], planned: c[3], done: c[4] };
    });
    return {
      height: Math.max(260, subjects.length * 24 + 110),
      option: {
        tooltip: {
          formatter: function (p) {
            var d = p.data;
            return esc(fullNames[d.value[1]]) + " · " + esc(data.heat.months[d.value[0]]) + "<br>" +
              data.labels.done + " " + d.done + " / " + data.labels.planned + " " + d.planned +
              (d.value[2] === "-" ? "" : "<br>" + data.labels.rate + " " + d.value[2] + "%");
          },
        },
        grid: { left: 8, right: 8, top: 10, bottom: 70 },
        xAxis: { type: "category", data: data.heat.months, splitArea: { show: true },
                 axisLabel: { interval: 0, rotate: PHONE.matches ? 45 : 0, fontSize: PHONE.matches ? 9 : 11 } },
        yAxis: { type: "category", data: subjects, splitArea: { show: true },
                 axisLabel: { width: labelWidth(), overflow: "truncate" } },
        visualMap: {
          min: 0, max: 100, calculable: false, orient: "horizontal", left: "center", bottom: 0,
          itemHeight: PHONE.matches ? 100 : 140, text: ["100%", "0%"],
          inRange: { color: ["#fbe9ea", "#f4b9bc", "#e4787c", RED] },
        },
        series: [{ type: "heatmap", data: cells, label: { show: !PHONE.matches, fontSize: 10 } }],
      },
    };
  }

  var BUILDERS = { ranking: ranking, distribution: distribution, trend: trend, radar: radar, overdue: overdue, heat: heat };

  // Charts are drawn when they come on screen (not before: the first ECharts drawing alone blocks a phone's main
  // thread for ~0.7 s at Lighthouse's CPU slowdown), one per task and without the entry animation: drawing six
  // charts (and animating them) at once kept a phone's main thread busy for most of a second after the page showed
  // (Lighthouse's total blocking time). Each chart's height is set at once, so nothing moves when it is drawn.
  function draw(data) {
    var charts = [];
    var specs = new Map();
    var queue = [];
    var busy = false;
    document.querySelectorAll("[data-chart]").forEach(function (node) {
      var build = BUILDERS[node.getAttribute("data-chart")];
      if (!build) {
        return;
      }
      var spec = build(data);
      if (spec.height) {
        node.style.height = spec.height + "px";
      }
      specs.set(node, spec);
    });

    function drawOne(node) {
      var spec = specs.get(node);
      var chart = window.echarts.init(node, null, { renderer: "canvas" });
      spec.option.animation = false;
      chart.setOption(spec.option);
      if (spec.click) {
        chart.on("click", spec.click);
      }
      charts.push(chart);
    }

    function drawNext() {
      var node = queue.shift();
      if (!node) {
        busy = false;
        return;
      }
      drawOne(node);
      window.setTimeout(drawNext, 0);
    }

    function enqueue(node) {
      queue.push(node);
      if (!busy) {
        busy = true;
        window.setTimeout(drawNext, 0);
      }
    }

    if ("IntersectionObserver" in window) {
      var observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) {
            observer.unobserve(entry.target);
            enqueue(entry.target);
          }
        });
      }, { rootMargin: "0px" });
      specs.forEach(function (spec, node) {
        observer.observe(node);
      });
    } else {
      specs.forEach(function (spec, node) {
        enqueue(node);
      });
    }
    var pending = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        charts.forEach(function (chart) { chart.resize(); });
      }, 100);
    });
    // A chart inside a closed <details> or a hidden tab gets its size when it appears.
    document.addEventListener("toggle", function () {
      charts.forEach(function (chart) { chart.resize(); });
    }, true);
  }

  function autosubmit() {
    document.querySelectorAll("select[data-gj-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.form) {
          select.form.submit();
        }
      });
    });
  }

  function start() {
    autosubmit();
    var data = readData();
    if (data && window.echarts) {
      draw(data);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
