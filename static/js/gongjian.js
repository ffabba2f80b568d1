/* Small behaviours every page may use, declared with data attributes instead of inline script (the
   Content-Security-Policy allows scripts only from static files):
   - data-gj-print: a button that opens the print dialog;
   - data-gj-confirm="question": a button or link that goes ahead only when the question is confirmed;
   - data-gj-mirror="id" on a range input: kept in step with the number input of that id, and with the
     <output> named by data-gj-mirror-output. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    var printer = target.closest("[data-gj-print]");
    if (printer) {
      window.print();
      return;
    }
    var asker = target.closest("[data-gj-confirm]");
    if (asker && !window.confirm(asker.getAttribute("data-gj-confirm"))) {
      event.preventDefault();
    }
  });

  function mirror(range) {
    var number = document.getElementById(range.getAttribute("data-gj-mirror"));
    var output = document.getElementById(range.getAttribute("data-gj-mirror-output") || "");
    if (!number) return;
    function show(value) {
      if (output) output.textContent = value + "%";
    }
    range.addEventListener("input", function () {
      number.value = range.value;
      show(range.value);
    });
    number.addEventListener("input", function () {
      range.value = number.value;
      show(number.value);
    });
  }

  function start() {
    document.querySelectorAll("input[type=range][data-gj-mirror]").forEach(mirror);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
