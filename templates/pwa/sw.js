/* Gongjian's service worker (served by portal.views.pwa.service_worker at /sw.js, scope "/").
   - Install: precache the shell (CSS, JS, fonts, icons) and the offline page under this version's cache names; a
     new version (a deploy changed a shell file) replaces the old caches when it activates.
   - Static files: cache first, then the network (a file first loaded online is there offline too).
   - Pages: only GET navigations to the pages needed to log offline (CONFIG.pages) are kept: network first, the
     last good copy when the network fails, else the offline page. Redirects, errors and every POST go straight
     to the network and are never stored. Sign-out clears all of it (Clear-Site-Data, static/js/offline.js). */
"use strict";
var CONFIG = {{ config|safe }};
var SHELL = "gj-shell-" + CONFIG.version;
var PAGES = "gj-pages";
var PAGE_PATTERNS = CONFIG.pages.map(function (source) {
  return new RegExp(source);
});

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches
      .open(SHELL)
      .then(function (cache) {
        return cache.addAll(CONFIG.shell.concat([CONFIG.offline]));
      })
      .then(function () {
        return self.skipWaiting();
      })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) {
              return name.indexOf("gj-shell-") === 0 && name !== SHELL;
            })
            .map(function (name) {
              return caches.delete(name);
            })
        );
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

function keepable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

function fromStatic(request) {
  return caches.match(request, { ignoreSearch: true }).then(function (hit) {
    if (hit) return hit;
    return fetch(request).then(function (response) {
      if (keepable(response)) {
        var copy = response.clone();
        caches.open(SHELL).then(function (cache) {
          cache.put(request, copy);
        });
      }
      return response;
    });
  });
}

function fromPage(request) {
  return fetch(request)
    .then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (keepable(response) && type.indexOf("text/html") === 0) {
        var copy = response.clone();
        caches.open(PAGES).then(function (cache) {
          cache.put(request.url, copy);
        });
      }
      return response;
    })
    .catch(function () {
      return caches.open(PAGES).then(function (cache) {
        return cache.match(request.url).then(function (hit) {
          return hit || caches.match(CONFIG.offline);
        });
      });
    });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf(CONFIG.static) === 0) {
    event.respondWith(fromStatic(request));
    return;
  }
  if (request.mode !== "navigate") return;
  var wanted = PAGE_PATTERNS.some(function (pattern) {
    return pattern.test(url.pathname);
  });
  if (wanted) {
    event.respondWith(fromPage(request));
  } else {
    event.respondWith(
      fetch(request).catch(function () {
        return caches.match(CONFIG.offline);
      })
    );
  }
});
