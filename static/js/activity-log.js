/* The activity log form (templates/activities/activities/log_form.html), one-handed on a phone:
   - each participating organization's block (data-gj-org) gets a 全选 toggle (data-gj-select-all, hidden without
     JavaScript) and its headcount (data-gj-headcount) follows the ticked names: the number ticked, or what the user
     typed when that is more (guests who are not on a roster), never less than the ticked names;
   - photos (data-gj-photos) upload as soon as they are picked; each becomes a thumbnail holding a hidden
     pending_photos input, so a validation error does not lose it; "Remove" drops it from the form. A photo larger
     than 1600 px is first made smaller on the phone (canvas, JPEG). Picked without a signal (or when the upload
     finds no network), it stays on the phone (zone.gjLocalPhotos) for the offline draft (static/js/offline-log.js).
   Without JavaScript the plain checkboxes, number inputs and file input work as before. */
(function () {
  "use strict";

  function setupOrganization(block) {
    var boxes = Array.prototype.slice.call(block.querySelectorAll("input[data-gj-member]"));
    var headcount = block.querySelector("input[data-gj-headcount]");
    var allLabel = block.querySelector("[data-gj-select-all]");
    var all = allLabel ? allLabel.querySelector("input") : null;

    function ticked() {
      return boxes.filter(function (box) {
        return box.checked;
      }).length;
    }
    // What the user typed (or the saved headcount): a total that the ticks can raise but never lower.
    var typed = headcount ? parseInt(headcount.value, 10) : NaN;

    function sync() {
      var n = ticked();
      if (headcount) {
        headcount.min = String(n);
        var total = isNaN(typed) ? n : Math.max(typed, n);
        if (n > 0 || !isNaN(typed)) {
          headcount.value = String(total);
        } else {
          headcount.value = "";
        }
      }
      if (all) {
        all.checked = n > 0 && n === boxes.length;
        all.indeterminate = n > 0 && n < boxes.length;
      }
      groups.forEach(function (group) {
        var on = group.boxes.filter(function (box) {
          return box.checked;
        }).length;
        group.toggle.checked = on > 0 && on === group.boxes.length;
        group.toggle.indeterminate = on > 0 && on < group.boxes.length;
      });
    }

    // Each 党小组 heading becomes its own select-all (the plain heading stays without JavaScript).
    var groups = [];
    block.querySelectorAll("[data-gj-bucket]").forEach(function (bucket) {
      var label = bucket.querySelector("[data-gj-select-group]");
      if (!label) return;
      var group = {
        toggle: label.querySelector("input"),
        boxes: Array.prototype.slice.call(bucket.querySelectorAll("input[data-gj-member]")),
      };
      var plain = bucket.querySelector("[data-gj-group-name]");
      if (plain) plain.hidden = true;
      label.hidden = false;
      group.toggle.addEventListener("change", function () {
        group.boxes.forEach(function (box) {
          box.checked = group.toggle.checked;
        });
        sync();
      });
      groups.push(group);
    });

    boxes.forEach(function (box) {
      box.addEventListener("change", sync);
    });
    if (all) {
      allLabel.hidden = false;
      all.addEventListener("change", function () {
        boxes.forEach(function (box) {
          box.checked = all.checked;
        });
        sync();
      });
    }
    if (headcount) {
      headcount.addEventListener("input", function () {
        typed = parseInt(headcount.value, 10);
      });
      headcount.addEventListener("change", function () {
        // Below the ticked names is never right: back up to them (the server refuses it too).
        if (!isNaN(typed) && typed < ticked()) {
          typed = ticked();
          headcount.value = String(typed);
        }
      });
    }
    if (all || groups.length) {
      var value = headcount ? headcount.value : "";
      sync();
      if (headcount) headcount.value = value; // opening the page never changes the saved headcount
    }
  }

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function pendingCard(zone, photo) {
    var card = document.createElement("div");
    card.className = "col-4 col-sm-3";
    card.setAttribute("data-gj-pending-photo", "");
    card.setAttribute("data-testid", "pending-photo");
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = "pending_photos";
    hidden.value = String(photo.id);
    var image = document.createElement("img");
    image.className = "img-fluid rounded border";
    image.src = photo.thumbnail;
    image.alt = photo.name;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-outline-danger btn-sm w-100 mt-1";
    button.setAttribute("data-gj-remove-pending", "");
    button.textContent = zone.getAttribute("data-remove-label") || "";
    var hiddenName = document.createElement("span");
    hiddenName.className = "visually-hidden";
    hiddenName.textContent = " " + photo.name;
    button.appendChild(hiddenName);
    card.appendChild(hidden);
    card.appendChild(image);
    card.appendChild(button);
    return card;
  }

  var MAX_SIDE = 1600;

  // The photo made at most MAX_SIDE px on its longer side (JPEG), or the file itself when it is small enough, is
  // not an image the browser can draw, or the browser cannot do it.
  function resized(file) {
    if (!/^image\//.test(file.type || "") || typeof window.createImageBitmap !== "function") {
      return Promise.resolve({ blob: file, name: file.name });
    }
    return createImageBitmap(file)
      .then(function (bitmap) {
        var side = Math.max(bitmap.width, bitmap.height);
        if (side <= MAX_SIDE) return { blob: file, name: file.name };
        var scale = MAX_SIDE / side;
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        return new Promise(function (resolve) {
          canvas.toBlob(
            function (blob) {
              resolve(blob ? { blob: blob, name: file.name.replace(/\.[^.]*$/, "") + ".jpg" } : { blob: file, name: file.name });
            },
            "image/jpeg",
            0.85
          );
        });
      })
      .catch(function () {
        return { blob: file, name: file.name };
      });
  }

  function localCard(zone, photo) {
    var card = pendingCard(zone, { id: "", name: photo.name, thumbnail: URL.createObjectURL(photo.blob) });
    card.querySelector("input[type=hidden]").remove();
    card.setAttribute("data-gj-local-photo", photo.id);
    card.setAttribute("data-testid", "local-photo");
    var note = document.createElement("div");
    note.className = "small text-muted";
    note.textContent = zone.getAttribute("data-local-label") || "";
    card.insertBefore(note, card.querySelector("button"));
    return card;
  }

  function setupPhotos(zone) {
    var form = zone.closest("form");
    var input = zone.querySelector("input[type=file]");
    var list = zone.querySelector("[data-gj-pending]");
    var status = zone.querySelector("[data-gj-upload-status]");
    var url = zone.getAttribute("data-upload-url");
    if (!form || !input || !list || !url || typeof window.fetch !== "function") return;
    var busy = 0;
    var counter = 0;
    zone.gjLocalPhotos = [];

    function say(text) {
      if (status) status.textContent = text;
    }

    // Keep a photo on the phone until the connection returns (it goes with the offline draft).
    function keepLocal(photo) {
      var kept = { id: photo.id || "local-" + Date.now() + "-" + (counter += 1), blob: photo.blob, name: photo.name };
      zone.gjLocalPhotos.push(kept);
      list.appendChild(localCard(zone, kept));
    }
    zone.gjKeepLocal = keepLocal;
    zone.gjAddPending = function (photo) {
      if (list.querySelector("input[name=pending_photos][value='" + String(photo.id) + "']")) return;
      list.appendChild(pendingCard(zone, photo));
    };

    function upload(photo) {
      if (navigator.onLine === false) {
        keepLocal(photo);
        return Promise.resolve("");
      }
      var body = new FormData();
      body.append("photo", photo.blob, photo.name);
      busy += 1;
      say(zone.getAttribute("data-uploading-label") || "");
      return fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(form), Accept: "application/json" },
      })
        .then(function (response) {
          return response.json().then(
            function (data) {
              return { ok: response.ok, data: data };
            },
            function () {
              return { ok: false, data: {} };
            }
          );
        })
        .then(function (result) {
          if (result.ok && result.data.id) {
            list.appendChild(pendingCard(zone, result.data));
            return "";
          }
          return (result.data.errors || [zone.getAttribute("data-failed-label") || ""]).join(" ");
        })
        .catch(function () {
          // No network: the photo waits on the phone with the rest of the log.
          keepLocal(photo);
          return "";
        })
        .then(function (problem) {
          busy -= 1;
          return problem;
        });
    }

    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      if (!files.length) return;
      busy += 1; // resizing counts as busy too: the form waits for it
      Promise.all(files.map(resized))
        .then(function (photos) {
          busy -= 1;
          return Promise.all(photos.map(upload));
        })
        .then(function (problems) {
          say(
            problems
              .filter(function (problem) {
                return problem;
              })
              .join(" ")
          );
        });
      // The files now travel as pending uploads: the form must not send them a second time.
      input.value = "";
    });

    list.addEventListener("click", function (event) {
      var button = event.target instanceof Element ? event.target.closest("[data-gj-remove-pending]") : null;
      if (!button) return;
      var card = button.closest("[data-gj-pending-photo]");
      if (card) {
        var local = card.getAttribute("data-gj-local-photo");
        if (local) {
          zone.gjLocalPhotos = zone.gjLocalPhotos.filter(function (photo) {
            return photo.id !== local;
          });
        }
        card.remove();
      }
      input.focus();
    });

    form.addEventListener("submit", function (event) {
      if (busy > 0) {
        // Wait for the uploads to finish, then send the form with their ids.
        event.preventDefault();
        event.stopImmediatePropagation();
        var wait = window.setInterval(function () {
          if (busy === 0) {
            window.clearInterval(wait);
            form.requestSubmit ? form.requestSubmit() : form.submit();
          }
        }, 200);
      }
    });
  }

  function start() {
    document.querySelectorAll("[data-gj-participants] [data-gj-org]").forEach(setupOrganization);
    document.querySelectorAll("[data-gj-photos]").forEach(setupPhotos);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
