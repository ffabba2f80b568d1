/* Offline activity logs (PWA), on every signed-in page (templates/includes/offline.html holds the URLs and words):
   - registers the service worker (/sw.js) that keeps the shell and the pages needed to log;
   - keeps the drafts of activity logs in IndexedDB ("gongjian" / "drafts", keyed by the form's client_key, the
     idempotency key the server enforces), each tagged with its user: only the signed-in user's drafts are sent;
   - syncs the waiting drafts on page load, when the connection returns and on 立即同步: uploads their photos
     through the photo upload endpoint, then posts the log through the log form's own URL asking for JSON.
     200 → synced; 400 → refused with the field errors (kept to fix); 403/404/409 with a reason → the activity can
     no longer be logged by this user (kept, with the text to copy); a CSRF refusal → a fresh token, tried once
     more; no network, a lapsed sign-in or a server error → still waiting, tried again later;
   - shows the number waiting on the 待同步 links, and asks before 退出 when drafts would be deleted (sign-out clears
     the drafts and the caches; the server also sends Clear-Site-Data).
   Exposes window.gjOffline for static/js/offline-log.js (the log form) and static/js/outbox.js (the 待同步 list). */
(function () {
  "use strict";

  var config = document.getElementById("gj-offline");
  if (!config || !window.indexedDB) return;
  var data = config.dataset;
  var USER = data.user;
  var SYNCED_KEEP_MS = 24 * 3600 * 1000;
  var listeners = [];

  // --- IndexedDB -------------------------------------------------------------------------------------------
  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var open = indexedDB.open("gongjian", 1);
        open.onupgradeneeded = function () {
          open.result.createObjectStore("drafts", { keyPath: "key" });
        };
        open.onsuccess = function () {
          resolve(open.result);
        };
        open.onerror = function () {
          reject(open.error);
        };
      });
    }
    return dbPromise;
  }

  function store(mode, work) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var tx = database.transaction("drafts", mode);
        var result = work(tx.objectStore("drafts"));
        tx.oncomplete = function () {
          resolve(result && "result" in result ? result.result : undefined);
        };
        tx.onerror = function () {
          reject(tx.error);
        };
        tx.onabort = function () {
          reject(tx.error);
        };
      });
    });
  }

  function allDrafts() {
    return store("readonly", function (drafts) {
      return drafts.getAll();
    }).then(function (list) {
      return (list || []).sort(function (a, b) {
        return a.savedAt - b.savedAt;
      });
    });
  }

  function myDrafts() {
    return allDrafts().then(function (list) {
      return list.filter(function (draft) {
        return draft.user === USER;
      });
    });
  }

  function getDraft(key) {
    return store("readonly", function (drafts) {
      return drafts.get(key);
    });
  }

  function putDraft(draft) {
    draft.user = draft.user || USER;
    return store("readwrite", function (drafts) {
      drafts.put(draft);
    }).then(function () {
      changed();
      return draft;
    });
  }

  function deleteDraft(key) {
    return store("readwrite", function (drafts) {
      drafts.delete(key);
    }).then(changed);
  }

  function changed() {
    refreshCount();
    listeners.forEach(function (listener) {
      listener();
    });
  }

  function unsent(draft) {
    return draft.state !== "synced";
  }

  // --- sync --------------------------------------------------------------------------------------------------
  function freshToken() {
    return fetch(data.csrfUrl, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
      function (response) {
        if (response.redirected || !response.ok) throw { waiting: data.msgSignin };
        return response.json().then(function (body) {
          return body.token;
        });
      }
    );
  }

  function jsonOf(response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") !== 0) return Promise.resolve(null);
    return response.json().catch(function () {
      return null;
    });
  }

  function uploadPhotos(draft, token) {
    var waiting = (draft.photos || []).filter(function (photo) {
      return !photo.uploadedId;
    });
    return waiting.reduce(function (chain, photo) {
      return chain.then(function () {
        var body = new FormData();
        body.append("photo", photo.blob, photo.name || "photo.jpg");
        return fetch(data.uploadUrl, {
          method: "POST",
          body: body,
          credentials: "same-origin",
          headers: { "X-CSRFToken": token, Accept: "application/json" },
        }).then(function (response) {
          return jsonOf(response).then(function (answer) {
            if (response.status === 201 && answer && answer.id) {
              photo.uploadedId = answer.id;
              photo.thumbnail = answer.thumbnail;
              return putDraft(draft);
            }
            if (response.status === 400 && answer) {
              throw { refused: [{ field: "photos", label: data.labelPhotos, messages: answer.errors || [] }] };
            }
            if (response.status === 403 && answer === null) throw { csrf: true };
            if (response.status === 403) throw { gone: data.msgGone };
            throw { waiting: response.redirected ? data.msgSignin : data.msgServer };
          });
        });
      });
    }, Promise.resolve());
  }

  function postLog(draft, token) {
    var body = new FormData();
    (draft.fields || []).forEach(function (pair) {
      body.append(pair[0], pair[1]);
    });
    (draft.photos || []).forEach(function (photo) {
      if (photo.uploadedId) body.append("pending_photos", String(photo.uploadedId));
    });
    body.set("client_key", draft.key);
    return fetch(draft.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, Accept: "application/json" },
    }).then(function (response) {
      return jsonOf(response).then(function (answer) {
        if (response.ok && answer && answer.ok) return answer;
        if (response.status === 400 && answer && answer.errors) throw { refused: answer.errors };
        if (answer && answer.gone) throw { gone: answer.gone };
        if (response.status === 403) throw { csrf: true };
        if (response.status === 404) throw { gone: data.msgGone };
        throw { waiting: response.redirected ? data.msgSignin : data.msgServer };
      });
    });
  }

  function attempt(draft, token) {
    return uploadPhotos(draft, token).then(function () {
      return postLog(draft, token);
    });
  }

  // Sends one draft; resolves with the draft as it now stands (state: synced / refused / gone / waiting).
  function syncOne(draft) {
    return freshToken()
      .then(function (token) {
        return attempt(draft, token).catch(function (problem) {
          if (!problem || !problem.csrf) throw problem;
          // The token rotated (a sign-in elsewhere, a new session): ask for a new one and try once more.
          return freshToken().then(function (again) {
            return attempt(draft, again).catch(function (second) {
              throw second && second.csrf ? { gone: data.msgGone } : second;
            });
          });
        });
      })
      .then(function (answer) {
        draft.state = "synced";
        draft.message = answer.replayed ? data.msgReplayed : "";
        draft.errors = [];
        draft.activityUrl = answer.url;
        draft.syncedAt = Date.now();
        draft.photos = [];
        return putDraft(draft);
      })
      .catch(function (problem) {
        problem = problem || {};
        if (problem.refused) {
          draft.state = "refused";
          draft.errors = problem.refused;
          draft.message = "";
        } else if (problem.gone) {
          draft.state = "gone";
          draft.message = problem.gone;
          draft.errors = [];
        } else {
          // No network (fetch rejects with a TypeError), a lapsed sign-in or a server error: try again later.
          draft.state = "waiting";
          draft.message = problem.waiting || (navigator.onLine ? data.msgNetwork : "");
        }
        return putDraft(draft);
      });
  }

  var running = null;
  // Sends every waiting draft of the signed-in user, one at a time (one tab at a time where the browser can).
  function syncAll() {
    if (running) return running;
    var work = function () {
      return myDrafts().then(function (list) {
        var due = list.filter(function (draft) {
          return draft.state === "waiting";
        });
        return due.reduce(function (chain, draft) {
          return chain.then(function () {
            return syncOne(draft);
          });
        }, Promise.resolve());
      });
    };
    var run = navigator.locks ? navigator.locks.request("gj-sync", work) : work();
    running = run.then(
      function () {
        running = null;
      },
      function () {
        running = null;
      }
    );
    return running;
  }

  function pruneSynced() {
    return myDrafts().then(function (list) {
      var old = list.filter(function (draft) {
        return draft.state === "synced" && Date.now() - (draft.syncedAt || 0) > SYNCED_KEEP_MS;
      });
      return Promise.all(
        old.map(function (draft) {
          return deleteDraft(draft.key);
        })
      );
    });
  }

  // --- the count on the 待同步 links, the question before 退出 -----------------------------------------------
  function refreshCount() {
    allDrafts().then(function (list) {
      var mine = list.filter(function (draft) {
        return draft.user === USER && unsent(draft);
      }).length;
      var anyone = list.filter(unsent).length;
      document.querySelectorAll("[data-gj-outbox-count]").forEach(function (badge) {
        badge.textContent = String(mine);
        badge.hidden = mine === 0;
      });
      document.querySelectorAll("form[data-gj-logout]").forEach(function (form) {
        if (anyone > 0) {
          form.setAttribute("data-gj-confirm", data.msgLogout.replace("{n}", String(anyone)));
        } else {
          form.removeAttribute("data-gj-confirm");
        }
      });
    });
  }

  // After the question (static/js/gongjian.js asks it first, in the capture phase), clear this browser's copy of
  // the site before the sign-out is sent; the server's Clear-Site-Data does the same where the browser honours it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-gj-logout") || form.gjClearing) return;
    event.preventDefault();
    form.gjClearing = true;
    clearAll().then(
      function () {
        form.submit();
      },
      function () {
        form.submit();
      }
    );
  });

  function clearAll() {
    var drafts = store("readwrite", function (drafts) {
      drafts.clear();
    });
    var cached = window.caches
      ? caches.keys().then(function (names) {
          return Promise.all(
            names
              .filter(function (name) {
                return name.indexOf("gj-") === 0;
              })
              .map(function (name) {
                return caches.delete(name);
              })
          );
        })
      : Promise.resolve();
    return Promise.all([drafts, cached]);
  }

  // Pages another account cached on this browser are not this user's to see: drop them when the user changes.
  function forgetOtherUsersPages() {
    var last = null;
    try {
      last = window.localStorage.getItem("gj-user");
      window.localStorage.setItem("gj-user", USER);
    } catch (error) {
      return;
    }
    if (last && last !== USER && window.caches) caches.delete("gj-pages");
  }

  // The to-log list marks its log forms (data-gj-offline-warm): those not kept yet are fetched once while there is
  // a signal, so each can be opened and filled in later without one (the worker reads them from "gj-pages").
  function warmPages() {
    if (!window.caches || navigator.onLine === false) return;
    var links = Array.prototype.slice.call(document.querySelectorAll("a[data-gj-offline-warm]"), 0, 20);
    if (!links.length) return;
    caches.open("gj-pages").then(function (cache) {
      links.reduce(function (chain, link) {
        return chain.then(function () {
          return cache.match(link.href).then(function (hit) {
            if (hit) return;
            return fetch(link.href, { credentials: "same-origin" }).then(function (response) {
              if (response.ok && !response.redirected) return cache.put(link.href, response);
            });
          });
        });
      }, Promise.resolve()).catch(function () {});
    });
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator) || !data.sw) return;
    navigator.serviceWorker.register(data.sw, { scope: "/" }).catch(function () {
      /* Without a worker the site works online as before; drafts are still kept. */
    });
  }

  window.gjOffline = {
    user: USER,
    data: data,
    allDrafts: allDrafts,
    myDrafts: myDrafts,
    getDraft: getDraft,
    putDraft: putDraft,
    deleteDraft: deleteDraft,
    syncOne: syncOne,
    syncAll: syncAll,
    onChange: function (listener) {
      listeners.push(listener);
    },
  };

  forgetOtherUsersPages();
  registerWorker();
  refreshCount();
  warmPages();
  window.addEventListener("online", function () {
    syncAll();
  });
  pruneSynced().then(function () {
    if (navigator.onLine !== false) syncAll();
  });
})();
