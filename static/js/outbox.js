/* 待同步 (templates/activities/activities/outbox.html): the signed-in user's offline activity logs from IndexedDB
   (static/js/offline.js), each with its state — waiting, refused (the reasons, and a link that opens the form
   filled from the draft), cannot be sent (the reason, and the text to copy), sent — and 立即同步. */
(function () {
  "use strict";

  var root = document.querySelector("[data-gj-outbox]");
  var offline = window.gjOffline;
  if (!root || !offline) return;
  var words = root.dataset;
  var list = root.querySelector("[data-gj-outbox-list]");
  var empty = root.querySelector("[data-gj-outbox-empty]");
  var status = root.querySelector("[data-gj-outbox-status]");
  var syncButton = root.querySelector("[data-gj-sync-now]");
  var BADGES = { waiting: "text-bg-warning", refused: "text-bg-danger", gone: "text-bg-secondary", synced: "text-bg-success" };

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function field(draft, name) {
    var pair = (draft.fields || []).filter(function (item) {
      return item[0] === name;
    })[0];
    return pair ? pair[1] : "";
  }

  function plainText(draft) {
    return [draft.title, field(draft, "summary"), field(draft, "outcomes")]
      .filter(function (part) {
        return part;
      })
      .join("\n\n");
  }

  function when(timestamp) {
    var date = new Date(timestamp);
    function two(n) {
      return (n < 10 ? "0" : "") + n;
    }
    return date.getFullYear() + "-" + two(date.getMonth() + 1) + "-" + two(date.getDate()) + " " + two(date.getHours()) + ":" + two(date.getMinutes());
  }

  function row(draft) {
    var item = element("div", "list-group-item py-3");
    item.setAttribute("data-testid", "outbox-item");
    item.setAttribute("data-state", draft.state);
    var head = element("div", "d-flex justify-content-between align-items-start gap-2");
    var title = element("a", "fw-semibold", draft.title);
    title.href = draft.state === "synced" && draft.activityUrl ? draft.activityUrl : draft.url + "#draft=" + draft.key;
    head.appendChild(title);
    var badge = element("span", "badge " + (BADGES[draft.state] || "text-bg-light"), words["state" + draft.state.charAt(0).toUpperCase() + draft.state.slice(1)]);
    badge.setAttribute("data-testid", "outbox-state");
    head.appendChild(badge);
    item.appendChild(head);
    var photos = (draft.photos || []).length;
    item.appendChild(
      element("div", "small text-muted", words.savedLabel + " " + when(draft.savedAt) + (photos ? " · " + photos + " " + words.photosLabel : ""))
    );
    if (draft.state !== "synced" && field(draft, "summary")) {
      item.appendChild(element("div", "small text-truncate", field(draft, "summary")));
    }
    if (draft.message) {
      var message = element("div", "small mt-1 " + (draft.state === "gone" ? "text-danger" : "text-muted"), draft.message);
      message.setAttribute("data-testid", "outbox-message");
      item.appendChild(message);
    }
    if (draft.errors && draft.errors.length) {
      var errors = element("ul", "small text-danger mb-0 mt-1 ps-3");
      errors.setAttribute("data-testid", "outbox-errors");
      draft.errors.forEach(function (error) {
        errors.appendChild(element("li", "", (error.label ? error.label + "：" : "") + error.messages.join(" ")));
      });
      item.appendChild(errors);
    }
    var actions = element("div", "d-flex flex-wrap gap-2 mt-2");
    if (draft.state === "refused" || draft.state === "waiting") {
      var fix = element("a", "btn btn-sm " + (draft.state === "refused" ? "btn-primary" : "btn-outline-primary"), words.fixLabel);
      fix.href = draft.url + "#draft=" + draft.key;
      fix.setAttribute("data-testid", "outbox-fix");
      actions.appendChild(fix);
    }
    if (draft.state === "gone") {
      var copy = element("button", "btn btn-sm btn-outline-primary", words.copyLabel);
      copy.type = "button";
      copy.setAttribute("data-testid", "outbox-copy");
      copy.addEventListener("click", function () {
        var text = plainText(draft);
        var box = item.querySelector("textarea") || element("textarea", "form-control form-control-sm mt-2");
        box.readOnly = true;
        box.rows = 4;
        box.value = text;
        box.setAttribute("aria-label", words.copyLabel);
        item.appendChild(box);
        box.select();
        if (navigator.clipboard) {
          navigator.clipboard.writeText(text).then(function () {
            copy.textContent = words.copiedLabel;
          }, function () {});
        }
      });
      actions.appendChild(copy);
    }
    if (draft.state === "synced" && draft.activityUrl) {
      var view = element("a", "btn btn-sm btn-outline-secondary", words.viewLabel);
      view.href = draft.activityUrl;
      actions.appendChild(view);
    }
    var remove = element("button", "btn btn-sm btn-outline-danger", words.deleteLabel);
    remove.type = "button";
    remove.setAttribute("data-testid", "outbox-delete");
    if (draft.state !== "synced") remove.setAttribute("data-gj-confirm", words.deleteQuestion);
    remove.addEventListener("click", function () {
      offline.deleteDraft(draft.key);
    });
    actions.appendChild(remove);
    item.appendChild(actions);
    return item;
  }

  function render() {
    offline.allDrafts().then(function (drafts) {
      var mine = drafts.filter(function (draft) {
        return draft.user === offline.user;
      });
      var others = drafts.length - mine.length;
      list.replaceChildren.apply(list, mine.map(row));
      empty.hidden = mine.length > 0;
      var notes = [];
      if (navigator.onLine === false) notes.push(words.offlineLabel);
      if (others > 0) notes.push(words.otherUsersLabel);
      status.textContent = notes.join(" ");
    });
  }

  offline.onChange(render);
  window.addEventListener("online", render);
  window.addEventListener("offline", render);
  syncButton.addEventListener("click", function () {
    syncButton.disabled = true;
    // The waiting drafts are sent now; a refused one is sent again from its form once fixed.
    offline.syncAll().then(function () {
      syncButton.disabled = false;
      render();
    });
  });
  render();
})();
