/* Small behaviours every page may use, declared with data attributes instead of inline script (the
   Content-Security-Policy allows scripts only from static files):
   - data-gj-print: a button that opens the print dialog;
   - data-gj-confirm="question" on a button, a link or a form: goes ahead only when the question is confirmed in
     the page's dialog (#gj-confirm in base.html, a Bootstrap modal: focus moves into it and comes back, Esc
     cancels). Its confirm button says the action: data-gj-confirm-label, else the button's or link's own text;
     window.gjConfirm(question, label) returns a Promise of true/false for other scripts;
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
    // A form asks when it is submitted (the submit listener below), whichever button or key submits it.
    if (!asker || asker.tagName === "FORM" || confirmed.has(asker)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    ask(asker.getAttribute("data-gj-confirm"), actionLabel(asker), asker).then(function (yes) {
      if (!yes) return;
      if (asker.tagName === "A" && asker.href) {
        window.location.assign(asker.href);
      } else if (asker.form && asker.type === "submit") {
        confirmed.add(asker);
        asker.form.requestSubmit(asker);
      } else {
        confirmed.add(asker);
        asker.click();
      }
      confirmed.delete(asker);
    });
  }, true); // capture: asked before the element's own handlers (htmx's hx-post) see the click

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-gj-confirm")) return;
    var submitter = event.submitter || null;
    if (confirmed.has(form) || (submitter && confirmed.has(submitter))) {
      confirmed.delete(form);
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    ask(form.getAttribute("data-gj-confirm"), actionLabel(submitter || form), submitter).then(function (yes) {
      if (!yes) return;
      confirmed.add(form);
      if (submitter) {
        form.requestSubmit(submitter);
      } else {
        form.requestSubmit();
      }
    });
  }, true);

  // Buttons, links and forms whose question was just answered yes: their repeated click or submit goes through.
  var confirmed = new Set();

  function actionLabel(element) {
    if (!element) return "";
    var label = element.getAttribute("data-gj-confirm-label");
    if (!label && element.tagName !== "FORM") {
      label = element.getAttribute("aria-label") || element.textContent || element.value || "";
    }
    if (!label && element.tagName === "FORM") {
      var button = element.querySelector("button[type=submit], button:not([type]), input[type=submit]");
      label = button ? button.textContent || button.value : "";
    }
    return (label || "").replace(/\s+/g, " ").trim();
  }

  // One question at a time in the page's modal; resolves true on the confirm button, false on cancel, Esc,
  // the close button or a click outside. Without Bootstrap or the modal (a print page), the browser's confirm.
  function ask(question, label, returnTo) {
    var node = document.getElementById("gj-confirm");
    if (!node || !window.bootstrap || !window.bootstrap.Modal) {
      return Promise.resolve(window.confirm(question));
    }
    var body = node.querySelector("[data-gj-confirm-question]");
    var ok = node.querySelector("[data-gj-confirm-ok]");
    body.textContent = question;
    ok.textContent = label || ok.getAttribute("data-gj-default-label");
    var back = returnTo || document.activeElement;
    var modal = window.bootstrap.Modal.getOrCreateInstance(node);
    return new Promise(function (resolve) {
      var answer = false;
      function yes() {
        answer = true;
        modal.hide();
      }
      function shown() {
        ok.focus();
      }
      function hidden() {
        ok.removeEventListener("click", yes);
        node.removeEventListener("shown.bs.modal", shown);
        node.removeEventListener("hidden.bs.modal", hidden);
        if (back && typeof back.focus === "function" && document.contains(back)) back.focus();
        resolve(answer);
      }
      ok.addEventListener("click", yes);
      node.addEventListener("shown.bs.modal", shown);
      node.addEventListener("hidden.bs.modal", hidden);
      modal.show();
    });
  }

  window.gjConfirm = function (question, label) {
    return ask(question, label, document.activeElement);
  };

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

  // A part of the page that refreshes itself through htmx (a live count, a progress bar, a tree level) answered
  // 401: the session has ended (portal/middleware.py). The page keeps what it shows; the notice says it no longer
  // updates and links to the sign-in page. A later refresh that succeeds (signed in again elsewhere) hides it.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var notice = document.querySelector("[data-gj-session-ended]");
    if (xhr && xhr.status === 401 && notice) notice.hidden = false;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var notice = document.querySelector("[data-gj-session-ended]");
    if (notice && !notice.hidden && event.detail && event.detail.successful) notice.hidden = true;
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
