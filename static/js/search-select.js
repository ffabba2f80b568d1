/* Search-as-you-type selects (portal/widgets.py): a <select data-search-url> holds only its selected option(s);
   Tom Select asks the scoped endpoint for at most 20 matches as the user types. Selects without the attribute
   (small scopes) stay plain, except a multi-select marked data-gj-chips, which becomes chips over its own options.
   Runs on page load and on every htmx swap. */
(function () {
  "use strict";

  function fetchOptions(url, query, callback) {
    var separator = url.indexOf("?") === -1 ? "?" : "&";
    fetch(url + separator + "q=" + encodeURIComponent(query), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : { results: [] };
      })
      .then(function (data) {
        callback(data.results);
      })
      .catch(function () {
        callback();
      });
  }

  function keepLabel(select) {
    // Tom Select points the <label for> at its own input; the hidden <select> keeps its name through the label too.
    var control = select.tomselect;
    var input = control && control.control_input;
    var label = input && input.id ? document.querySelector('label[for="' + input.id + '"]') : null;
    if (!label) return;
    if (!label.id) label.id = select.id + "-label";
    select.setAttribute("aria-labelledby", label.id);
    select.removeAttribute("title");
  }

  function chips(select) {
    // A many-option multi-select whose choices are all on the page (data-gj-chips, no search URL): removable chips
    // with type-to-filter, instead of a ctrl-click list box a phone cannot use.
    new window.TomSelect(select, {
      plugins: ["remove_button"],
      maxOptions: null,
      hidePlaceholder: true,
      placeholder: select.getAttribute("data-placeholder") || "",
      render: {
        no_results: function () {
          var div = document.createElement("div");
          div.className = "no-results";
          div.textContent = select.getAttribute("data-no-results") || "";
          return div;
        },
      },
    });
    keepLabel(select);
  }

  function enhance(select) {
    if (select.tomselect || typeof window.TomSelect === "undefined") {
      return;
    }
    var url = select.getAttribute("data-search-url");
    if (!url) {
      chips(select);
      return;
    }
    var noResults = select.getAttribute("data-no-results") || "";
    var settings = {
      valueField: "id",
      labelField: "text",
      searchField: ["text"],
      maxOptions: 50,
      loadThrottle: 250,
      preload: "focus",
      allowEmptyOption: true,
      placeholder: select.getAttribute("data-placeholder") || "",
      // The server already matched (name, short name, number…): show what it sent, in its order; the empty
      // choice ("all") only while nothing is typed, so Enter picks the first match.
      score: function (search) {
        return function (item) {
          return item.id === "" && search ? 0 : 1;
        };
      },
      load: function (query, callback) {
        var control = this;
        fetchOptions(url, query, function (results) {
          control.clearOptions(); // keeps the selected and the empty option; drops the previous query's matches
          callback(results);
        });
      },
      render: {
        no_results: function () {
          var div = document.createElement("div");
          div.className = "no-results";
          div.textContent = noResults;
          return div;
        },
      },
    };
    if (select.multiple) {
      settings.plugins = ["remove_button"];
    }
    new window.TomSelect(select, settings);
  }

  function enhanceAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll("select[data-search-url], select[multiple][data-gj-chips]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      enhanceAll(document);
    });
  } else {
    enhanceAll(document);
  }
  document.addEventListener("htmx:load", function (event) {
    enhanceAll(event.target);
  });
})();
