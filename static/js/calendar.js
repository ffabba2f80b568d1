/*
 * Gongjian — the activity calendar page and the calendar-subscription card of the profile page.
 *
 * Everything is wired from data attributes (no inline scripts):
 *   #gj-calendar[data-events-url][data-locale][data-error-text]  the FullCalendar page (needs the vendor bundles)
 *   #gj-calendar[data-time-zone]                                   the project's zone (Asia/Shanghai): times show in it
 *                                                                  whatever the browser's zone
 *   #gj-calendar-truncated                                         shown when the feed says it left events out
 *                                                                  (response header X-Events-Truncated: 1)
 *   #gj-calendar-filters                                           its filter form: a change refetches the events
 *   [data-gj-copy="#input"][data-gj-copied="Copied"]               copy an input's value to the clipboard
 */
(function () {
  "use strict";

  if (window.gjCalendarLoaded) {
    return; // the profile card and a page may both include this file
  }
  window.gjCalendarLoaded = true;

  var FILTERS = ["agreement", "organization", "type"];
  var PHONE = "(max-width: 575.98px)";

  function filterValues(form) {
    var values = {};
    if (!form) {
      return values;
    }
    FILTERS.forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && field.value) {
        values[name] = field.value;
      }
    });
    return values;
  }

  function rememberFilters(values) {
    // Keep the filters in the address so a reload or a shared link shows the same selection.
    if (!window.history || !window.history.replaceState) {
      return;
    }
    var params = new URLSearchParams(values);
    var query = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
  }

  function toolbars(isPhone) {
    if (isPhone) {
      return {
        headerToolbar: { left: "prev,next", center: "title", right: "today" },
        footerToolbar: { center: "dayGridMonth,timeGridWeek,listMonth" },
      };
    }
    return {
      headerToolbar: { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,listMonth" },
      footerToolbar: false,
    };
  }

  // FullCalendar's named time zones need a plugin; this one asks the browser's Intl for the zone's wall clock.
  function IntlZone(name) {
    this.timeZoneName = name;
    this.format = new Intl.DateTimeFormat("en-US", {
      timeZone: name,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  }
  IntlZone.prototype.timestampToArray = function (ms) {
    var parts = {};
    this.format.formatToParts(new Date(ms)).forEach(function (part) {
      parts[part.type] = parseInt(part.value, 10);
    });
    return [parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second, ms % 1000];
  };
  IntlZone.prototype.offsetForArray = function (a) {
    var wall = Date.UTC.apply(null, a);
    var offset = (Date.UTC.apply(null, this.timestampToArray(wall)) - wall) / 60000;
    var moment = wall - offset * 60000;
    return (Date.UTC.apply(null, this.timestampToArray(moment)) - moment) / 60000;
  };

  function zonePlugin() {
    var fc = window.FullCalendar;
    if (!fc.createPlugin || !window.Intl || !Intl.DateTimeFormat.prototype.formatToParts) {
      return []; // without it a named zone still shows the server's wall-clock times (its +08:00 offsets)
    }
    return [fc.createPlugin({ name: "gj-intl-zone", namedTimeZonedImpl: IntlZone })];
  }

  // FullCalendar draws its arrows as role="img" icons without a name inside buttons named by their title: the icon
  // is decoration, the button carries the name (as aria-label too, which screen readers announce reliably).
  function quietIcons(element) {
    element.querySelectorAll(".fc-icon[role=img]").forEach(function (icon) {
      icon.removeAttribute("role");
      icon.setAttribute("aria-hidden", "true");
    });
    element.querySelectorAll(".fc-button[title]:not([aria-label])").forEach(function (button) {
      button.setAttribute("aria-label", button.getAttribute("title"));
    });
  }

  function initCalendar(element) {
    if (typeof window.FullCalendar === "undefined") {
      return;
    }
    var form = document.getElementById("gj-calendar-filters");
    var errorBox = document.getElementById("gj-calendar-error");
    var loading = document.getElementById("gj-calendar-loading");
    var isPhone = window.matchMedia(PHONE).matches;
    var bars = toolbars(isPhone);

    var truncatedBox = document.getElementById("gj-calendar-truncated");

    function showTruncated(response) {
      // The JSON feed is capped by count; it says so in a header because FullCalendar wants a plain array.
      if (!truncatedBox) {
        return;
      }
      var truncated = !!(response && response.headers && response.headers.get("X-Events-Truncated") === "1");
      truncatedBox.classList.toggle("d-none", !truncated);
    }

    function showError(message) {
      if (!errorBox) {
        return;
      }
      errorBox.textContent = message || "";
      errorBox.classList.toggle("d-none", !message);
    }

    var calendar = new window.FullCalendar.Calendar(element, {
      locale: element.dataset.locale || "en",
      // Beijing times whatever the browser's zone: events, "today", the now line and the windows asked for.
      timeZone: element.dataset.timeZone || "local",
      plugins: zonePlugin(),
      initialView: isPhone ? "listMonth" : "dayGridMonth",
      // ?date=YYYY-MM-DD opens the month of that day (links from an activity's page).
      initialDate: /^\d{4}-\d{2}-\d{2}$/.test(new URLSearchParams(window.location.search).get("date") || "")
        ? new URLSearchParams(window.location.search).get("date")
        : undefined,
      headerToolbar: bars.headerToolbar,
      footerToolbar: bars.footerToolbar,
      height: "auto",
      dayMaxEvents: true,
      nowIndicator: true,
      // Blocks, not dots: the type's colour is the point of the month view.
      eventDisplay: "block",
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      // On a phone a month cell is too narrow for time and title: keep the title.
      views: { dayGridMonth: { displayEventTime: !isPhone } },
      navLinks: true,
      // The arrows are named after the view (上一月, 下一周…; the zh-cn locale ships no hints of its own); 今天 by its text.
      buttonHints: /^zh/.test(element.dataset.locale || "")
        ? { prev: "上一$0", next: "下一$0", today: "今天" }
        : { prev: "Previous $0", next: "Next $0", today: "Today" },
      // A day cell named only by its date hides its events from a screen reader's name of the cell: let the cell
      // speak its content (the day number link keeps the full date as its own name).
      dayCellDidMount: function (info) {
        info.el.removeAttribute("aria-labelledby");
      },
      datesSet: function () {
        quietIcons(element);
      },
      eventSources: [
        {
          id: "activities",
          url: element.dataset.eventsUrl,
          extraParams: function () {
            return filterValues(form);
          },
          failure: function () {
            showError(element.dataset.errorText);
          },
        },
      ],
      eventSourceSuccess: function (content, response) {
        showError("");
        showTruncated(response);
        return content;
      },
      eventDidMount: function (info) {
        var props = info.event.extendedProps || {};
        info.el.setAttribute("data-testid", "calendar-event");
        info.el.setAttribute("data-activity-id", info.event.id);
        info.el.setAttribute("data-kind", props.kind || "activity");
        info.el.setAttribute("data-status", props.status || "");
        info.el.title = [info.event.title, props.typeName, props.lead, props.place, props.statusLabel]
          .filter(Boolean)
          .join(" · ");
      },
      loading: function (isLoading) {
        if (loading) {
          loading.classList.toggle("d-none", !isLoading);
        }
      },
    });
    calendar.render();
    quietIcons(element);

    // Crossing the phone breakpoint (rotation, resizing) swaps the toolbars; the chosen view stays.
    var query = window.matchMedia(PHONE);
    var onChange = function (event) {
      var next = toolbars(event.matches);
      calendar.setOption("headerToolbar", next.headerToolbar);
      calendar.setOption("footerToolbar", next.footerToolbar);
      quietIcons(element);
    };
    if (query.addEventListener) {
      query.addEventListener("change", onChange);
    }

    if (form) {
      form.addEventListener("change", function () {
        rememberFilters(filterValues(form));
        calendar.refetchEvents();
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        rememberFilters(filterValues(form));
        calendar.refetchEvents();
      });
    }
    element.gjCalendar = calendar; // for browser tests and debugging
  }

  function copyFrom(button) {
    var input = document.querySelector(button.getAttribute("data-gj-copy"));
    if (!input) {
      return;
    }
    var label = button.querySelector("span") || button;
    var original = label.textContent;
    var done = function () {
      label.textContent = button.getAttribute("data-gj-copied") || original;
      window.setTimeout(function () {
        label.textContent = original;
      }, 2000);
    };
    var fallback = function () {
      input.focus();
      input.select();
      try {
        if (document.execCommand("copy")) {
          done();
        }
      } catch (error) {
        /* the address stays selected for a manual copy */
      }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, fallback);
    } else {
      fallback();
    }
  }

  function init() {
    var element = document.getElementById("gj-calendar");
    if (element) {
      initCalendar(element);
    }
    document.querySelectorAll("[data-gj-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        copyFrom(button);
      });
    });
    document.querySelectorAll("[data-gj-select-on-focus]").forEach(function (input) {
      input.addEventListener("focus", function () {
        input.select();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
