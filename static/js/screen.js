/*
 * Gongjian — the committee's big screen (大屏): keeps the page current without reloading it.
 *
 * Wired from the page, no inline scripts:
 *   body[data-gj-screen]        data-url: the screen's JSON; data-refresh: seconds between polls
 *   script#gj-screen-data       the data the page was drawn with (the first paint, also without JavaScript)
 *   [data-field="a.b"]          text set from that value of the JSON (numbers, the quarter, the update time)
 *   [data-list="ranking|heat|photos"], [data-empty=…]   lists rebuilt from the JSON, their "nothing yet" notes
 *   [data-chart="trend"]        the average total of the last eight quarters (ECharts, canvas)
 *   [data-gj-offline]           shown while a poll fails; the last data stays on screen and the next poll retries
 * Every list is bounded by the server (ten ranks, eight units, eight photos). Names are set as text, never HTML.
 */
(function () {
  "use strict";

  var GOLD = "#f6c343";
  var body = document.body;
  var trendChart = null;

  function readInitial() {
    var node = document.getElementById("gj-screen-data");
    try {
      return node ? JSON.parse(node.textContent) : null;
    } catch (error) {
      return null;
    }
  }

  function valueAt(data, path) {
    return path.split(".").reduce(function (found, key) {
      return found === null || found === undefined ? found : found[key];
    }, data);
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function replaceChildren(list, children) {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    children.forEach(function (child) {
      list.appendChild(child);
    });
  }

  function showEmpty(name, empty) {
    var note = document.querySelector('[data-empty="' + name + '"]');
    if (note) {
      note.hidden = !empty;
    }
  }

  function heatLevel(n) {
    if (n === 0) {
      return 0;
    }
    return n < 3 ? 1 : n < 10 ? 2 : 3;
  }

  var builders = {
    ranking: function (data) {
      return data.ranking.map(function (row) {
        var item = element("li");
        item.appendChild(element("span", "gj-rank", String(row.rank)));
        item.appendChild(element("span", "gj-rank-name", row.name));
        item.appendChild(element("span", "gj-rank-total", row.total.toFixed(1)));
        return item;
      });
    },
    heat: function (data) {
      return data.heat.rows.map(function (row) {
        var line = element("tr");
        var head = element("th", "", row.unit);
        head.scope = "row";
        line.appendChild(head);
        row.counts.forEach(function (n) {
          line.appendChild(element("td", "gj-heat-" + heatLevel(n), String(n)));
        });
        return line;
      });
    },
    photos: function (data) {
      return data.photos.map(function (photo) {
        // The caption names the photo; the image itself repeats nothing (alt="").
        var item = element("li");
        var figure = element("figure");
        var image = element("img");
        image.src = photo.url;
        image.alt = "";
        figure.appendChild(image);
        figure.appendChild(element("figcaption", "", photo.title));
        item.appendChild(figure);
        return item;
      });
    },
  };

  // The photos change rarely: the wall is rebuilt only when its photos do, so the images are not fetched again.
  var shownPhotos = null;

  function photoKey(data) {
    return data.photos
      .map(function (photo) {
        return photo.id + ":" + photo.title;
      })
      .join("|");
  }

  function renderLists(data) {
    Object.keys(builders).forEach(function (name) {
      var list = document.querySelector('[data-list="' + name + '"]');
      if (!list) {
        return;
      }
      if (name === "photos") {
        var key = photoKey(data);
        if (key === shownPhotos) {
          return;
        }
        shownPhotos = key;
      }
      var children = builders[name](data);
      replaceChildren(list, children);
      showEmpty(name, children.length === 0);
    });
  }

  function renderFields(data) {
    document.querySelectorAll("[data-field]").forEach(function (node) {
      var value = valueAt(data, node.getAttribute("data-field"));
      node.textContent = value === null || value === undefined ? "" : String(value);
    });
  }

  function renderTrend(data) {
    var target = document.querySelector('[data-chart="trend"]');
    if (!target || !window.echarts) {
      return;
    }
    if (!trendChart) {
      trendChart = window.echarts.init(target, null, { renderer: "canvas" });
    }
    trendChart.setOption({
      animation: false,
      textStyle: { fontSize: 22, color: "#fff" },
      grid: { left: 70, right: 30, top: 40, bottom: 70 },
      xAxis: {
        type: "category",
        data: data.trend.periods,
        // "2026年第1季度" as "26年" over "1季度": eight quarters fit side by side at a size read across the room.
        axisLabel: {
          color: "#fde8c8",
          fontSize: 18,
          interval: 0,
          formatter: function (value) {
            var found = /^\d\d(\d\d)年第(\d)季度$/.exec(String(value));
            return found ? found[1] + "年\n" + found[2] + "季度" : String(value);
          },
        },
        axisLine: { lineStyle: { color: "#fde8c8" } },
      },
      yAxis: {
        type: "value",
        min: 0,
        max: 100,
        axisLabel: { color: "#fde8c8", fontSize: 20 },
        splitLine: { lineStyle: { color: "rgba(255,255,255,0.15)" } },
      },
      series: [
        {
          name: data.labels.average,
          type: "line",
          data: data.trend.average,
          connectNulls: true,
          symbolSize: 14,
          lineStyle: { width: 5, color: GOLD },
          itemStyle: { color: GOLD },
          label: { show: true, color: "#fff", fontSize: 22, position: "top" },
        },
      ],
    });
  }

  function render(data) {
    renderFields(data);
    renderLists(data);
    renderTrend(data);
  }

  function setOffline(offline) {
    var note = document.querySelector("[data-gj-offline]");
    if (note) {
      note.hidden = !offline;
    }
  }

  function poll() {
    var request = new XMLHttpRequest();
    request.open("GET", body.getAttribute("data-url"));
    request.setRequestHeader("Accept", "application/json");
    request.timeout = 20000;
    request.onload = function () {
      var data = null;
      if (request.status === 200) {
        try {
          data = JSON.parse(request.responseText);
        } catch (error) {
          data = null;
        }
      }
      setOffline(data === null);
      if (data) {
        render(data);
      }
    };
    request.onerror = request.ontimeout = function () {
      setOffline(true);
    };
    request.send();
  }

  if (!body.hasAttribute("data-gj-screen")) {
    return;
  }
  var initial = readInitial();
  if (initial) {
    shownPhotos = photoKey(initial);
    renderTrend(initial);
  }
  var seconds = parseInt(body.getAttribute("data-refresh"), 10) || 30;
  window.setInterval(poll, seconds * 1000);
  window.addEventListener("resize", function () {
    if (trendChart) {
      trendChart.resize();
    }
  });
})();
