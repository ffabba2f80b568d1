/*
 * Gongjian — rows added to and removed from a Django formset on the page (the minutes' decisions), without inline
 * scripts (the CSP allows none):
 *   [data-gj-formset="NAME"]            the rows' container; its rows are [data-gj-formset-row]
 *   template[data-gj-formset-template="NAME"]  one blank row (the formset's empty_form, "__prefix__" for its index)
 *   [data-gj-formset-add="NAME"]        appends a blank row, numbered from the management form's TOTAL_FORMS
 *   [data-gj-formset-remove]            removes a row added on the page (its index is left unused: the server
 *                                        reads a missing row as an empty one and ignores it)
 *   [data-gj-ruling] select             choosing a ruling opens its details
 *   #error-summary                      focused when the page shows one, so it is read first
 */
(function () {
  "use strict";

  function totalInput(name) {
    return document.querySelector('input[name="' + name + '-TOTAL_FORMS"]');
  }

  function maxForms(name) {
    var input = document.querySelector('input[name="' + name + '-MAX_NUM_FORMS"]');
    return input ? parseInt(input.value, 10) || 1000 : 1000;
  }

  function syncAddButton(name) {
    var button = document.querySelector('[data-gj-formset-add="' + name + '"]');
    var total = totalInput(name);
    if (button && total) {
      button.disabled = parseInt(total.value, 10) >= maxForms(name);
    }
  }

  function addRow(name) {
    var container = document.querySelector('[data-gj-formset="' + name + '"]');
    var template = document.querySelector('template[data-gj-formset-template="' + name + '"]');
    var total = totalInput(name);
    if (!container || !template || !total) {
      return;
    }
    var index = parseInt(total.value, 10) || 0;
    if (index >= maxForms(name)) {
      return;
    }
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.firstElementChild;
    while (row && !row.hasAttribute("data-gj-formset-row")) {
      row = row.nextElementSibling;
    }
    if (!row) {
      return;
    }
    container.appendChild(row);
    total.value = String(index + 1);
    syncAddButton(name);
    var first = row.querySelector("textarea, input:not([type=hidden]), select");
    if (first) {
      first.focus();
    }
  }

  function removeRow(button) {
    var row = button.closest("[data-gj-formset-row]");
    var container = row && row.parentElement;
    if (!row) {
      return;
    }
    var next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    var name = container && container.getAttribute("data-gj-formset");
    var add = name && document.querySelector('[data-gj-formset-add="' + name + '"]');
    var target = next ? next.querySelector("textarea, input:not([type=hidden]), select") : add;
    if (target) {
      target.focus();
    }
  }

  function init() {
    document.addEventListener("click", function (event) {
      var add = event.target.closest("[data-gj-formset-add]");
      if (add) {
        addRow(add.getAttribute("data-gj-formset-add"));
        return;
      }
      var remove = event.target.closest("[data-gj-formset-remove]");
      if (remove) {
        removeRow(remove);
      }
    });
    document.addEventListener("change", function (event) {
      var ruling = event.target.closest("[data-gj-ruling]");
      if (ruling && event.target.tagName === "SELECT" && event.target.value) {
        var details = ruling.querySelector("details");
        if (details) {
          details.open = true;
        }
      }
    });
    document.querySelectorAll("[data-gj-formset-add]").forEach(function (button) {
      syncAddButton(button.getAttribute("data-gj-formset-add"));
    });
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
