/* The activity log form without a signal (templates/activities/activities/log_form.html, static/js/offline.js):
   - gives the form its idempotency key (client_key) when it opens, unless it already has one (a form shown again
     after an error keeps its key);
   - on 保存: keeps the whole form (fields, ticked participants, uploaded photos' ids, photos still on the phone) as
     a draft in IndexedDB first, then sends it through the same URL asking for JSON. Sent → the activity's page.
     No network → the draft waits in 待同步 and a notice says so. Refused by validation → the form is posted the
     ordinary way so the errors show next to their fields (the draft's photos go with it as uploaded photos).
     The activity may no longer be logged by this user → the reason is shown and the draft stays in 待同步;
   - opened as …/log/#draft=<key> (from 待同步), fills the form from that draft to fix it. */
(function () {
  "use strict";

  var form = document.querySelector("form[data-gj-offline-log]");
  var offline = window.gjOffline;
  if (!form || !offline) return;
  var keyInput = form.querySelector("input[name=client_key]");
  var zone = form.querySelector("[data-gj-photos]");
  var notice = document.querySelector("[data-gj-offline-notice]");
  var words = form.dataset;

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map
      .call(bytes, function (b) {
        return (b < 16 ? "0" : "") + b.toString(16);
      })
      .join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  if (keyInput && !keyInput.value) keyInput.value = newKey();

  function show(kind, text, withLink) {
    if (!notice) return;
    notice.className = "alert alert-" + kind;
    notice.replaceChildren(document.createTextNode(text + " "));
    if (withLink) {
      var link = document.createElement("a");
      link.href = offline.data.outboxUrl;
      link.className = "alert-link";
      link.textContent = words.outboxLabel;
      notice.appendChild(link);
    }
    notice.hidden = false;
    // The answer to 保存 is shown where the thumb is; a draft filled in on opening leaves the page at its top.
    if (withLink) notice.scrollIntoView({ block: "center" });
  }

  function fields() {
    var pairs = [];
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || element.disabled || element.name === "csrfmiddlewaretoken") return;
      if (element.type === "file" || element.type === "submit" || element.type === "button") return;
      if ((element.type === "checkbox" || element.type === "radio") && !element.checked) return;
      pairs.push([element.name, element.value]);
    });
    return pairs;
  }

  function draftNow() {
    return {
      key: keyInput.value,
      user: offline.user,
      url: window.location.pathname,
      title: words.activityTitle,
      fields: fields(),
      photos: (zone && zone.gjLocalPhotos ? zone.gjLocalPhotos : []).map(function (photo) {
        return { id: photo.id, blob: photo.blob, name: photo.name, uploadedId: photo.uploadedId || null };
      }),
      state: "waiting",
      message: "",
      errors: [],
      savedAt: Date.now(),
    };
  }

  function fill(draft) {
    var pairs = draft.fields || [];
    var values = {};
    pairs.forEach(function (pair) {
      (values[pair[0]] = values[pair[0]] || []).push(pair[1]);
    });
    var later = [];
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || element.name === "csrfmiddlewaretoken" || element.name === "pending_photos") return;
      if (element.type === "file" || element.type === "submit" || element.type === "button") return;
      var wanted = values[element.name] || [];
      if (element.type === "checkbox" || element.type === "radio") {
        var on = wanted.indexOf(element.value) !== -1;
        if (element.checked !== on) {
          element.checked = on;
          element.dispatchEvent(new Event("change", { bubbles: true }));
        }
      } else {
        later.push([element, wanted.length ? wanted[0] : ""]);
      }
    });
    // Text and numbers after the ticks, so the headcounts the draft holds win over the ones the ticks suggest.
    later.forEach(function (item) {
      item[0].value = item[1];
      item[0].dispatchEvent(new Event("input", { bubbles: true }));
    });
    if (zone) {
      var thumb = zone.getAttribute("data-thumb-url") || "";
      (values.pending_photos || []).forEach(function (id) {
        if (zone.gjAddPending) zone.gjAddPending({ id: id, name: "", thumbnail: thumb.replace("/0/", "/" + id + "/") });
      });
      (draft.photos || []).forEach(function (photo) {
        if (photo.uploadedId && zone.gjAddPending) {
          zone.gjAddPending({ id: photo.uploadedId, name: photo.name, thumbnail: thumb.replace("/0/", "/" + photo.uploadedId + "/") });
        } else if (!photo.uploadedId && zone.gjKeepLocal) {
          zone.gjKeepLocal(photo);
        }
      });
    }
  }

  var match = /^#draft=([0-9a-f-]{36})$/.exec(window.location.hash);
  if (match) {
    offline.getDraft(match[1]).then(function (draft) {
      if (!draft || draft.user !== offline.user || draft.url !== window.location.pathname) return;
      fill(draft);
      show("info", words.draftLoaded, false);
    });
  }

  // Photos the sync uploaded become the form's uploaded photos before the form is posted the ordinary way.
  function adoptUploaded(draft) {
    (draft.photos || []).forEach(function (photo) {
      if (!photo.uploadedId) return;
      var card = zone && zone.querySelector("[data-gj-local-photo='" + photo.id + "']");
      if (card) card.remove();
      if (zone) {
        zone.gjLocalPhotos = zone.gjLocalPhotos.filter(function (kept) {
          return kept.id !== photo.id;
        });
        zone.gjAddPending({ id: photo.uploadedId, name: photo.name, thumbnail: photo.thumbnail || "" });
      }
    });
  }

  var sending = false;
  form.addEventListener("submit", function (event) {
    if (event.defaultPrevented || form.gjPlainSubmit) return;
    event.preventDefault();
    if (sending) return;
    sending = true;
    var button = form.querySelector("[type=submit]");
    if (button) button.disabled = true;
    var draft = draftNow();
    offline
      .putDraft(draft)
      .then(function () {
        if (navigator.onLine === false) return draft;
        return offline.syncOne(draft);
      })
      .then(function (result) {
        sending = false;
        if (button) button.disabled = false;
        if (result.state === "synced") {
          window.location.assign(result.activityUrl);
        } else if (result.state === "refused") {
          // The server shows its errors next to the fields: post the form itself (same key, same photos).
          adoptUploaded(result);
          return offline.deleteDraft(result.key).then(function () {
            form.gjPlainSubmit = true;
            form.submit();
          });
        } else if (result.state === "gone") {
          show("danger", result.message, true);
        } else {
          show("warning", words.savedOffline + (result.message ? " " + result.message : ""), true);
        }
      })
      .catch(function () {
        // IndexedDB refused (private mode, no space): post the form the ordinary way.
        sending = false;
        form.gjPlainSubmit = true;
        form.submit();
      });
  });
})();
