// The console works without JavaScript; this only adds conveniences. It never inserts HTML: text is
// copied with textContent/value, so user or FAQ text cannot become markup.
"use strict";
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-fill-target]");
  if (!button) return;
  var target = document.getElementById(button.getAttribute("data-fill-target"));
  var source = document.getElementById(button.getAttribute("data-fill-source"));
  if (!target || !source) return;
  if (target.value.trim() && !window.confirm("用知识库答案替换答复框中已有的内容？")) return;
  target.value = source.textContent.trim();
  target.focus();
});
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.classList.contains("answer")) {
    var button = form.querySelector("button[type=submit]");
    if (button) {
      // A second click while the first post is on its way would only meet the version check; say so early.
      if (button.disabled) { event.preventDefault(); return; }
      window.setTimeout(function () { button.disabled = true; }, 0);
    }
  }
});
// Forms whose action cannot be undone (approving or cancelling a greeting) ask first.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
}, true);
// A 简体 greeting edited while its 繁體 text stays as it was: say so next to the 繁體 box.
document.addEventListener("input", function (event) {
  var hans = event.target.closest("textarea[data-pair]");
  if (!hans) return;
  var hant = document.getElementById(hans.getAttribute("data-pair"));
  var warning = document.getElementById(hans.getAttribute("data-pair") + "-stale");
  if (!hant || !warning) return;
  warning.hidden = hans.value === hans.defaultValue || hant.value !== hant.defaultValue;
});
document.addEventListener("input", function (event) {
  var hant = event.target;
  if (!hant.id || !document.getElementById(hant.id + "-stale")) return;
  document.getElementById(hant.id + "-stale").hidden = true;
});
// A canned reply (常用回复) goes in at the cursor, on its own paragraph, keeping what is already written.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-insert-target]");
  if (!button) return;
  var target = document.getElementById(button.getAttribute("data-insert-target"));
  var source = document.getElementById(button.getAttribute("data-insert-source"));
  if (!target || !source) return;
  var text = source.textContent.trim();
  var start = target.selectionStart, end = target.selectionEnd;
  if (document.activeElement !== target && start === 0 && end === 0) start = end = target.value.length;
  var before = target.value.slice(0, start), after = target.value.slice(end);
  if (before && !/\n$/.test(before)) text = "\n" + text;
  if (after && !/^\n/.test(after)) text = text + "\n";
  target.value = before + text + after;
  var caret = before.length + text.length;
  target.focus();
  target.setSelectionRange(caret, caret);
});
// Live badges and queue: every 3 s (while the tab is visible) ask /api/notices for the counts; on the
// queue page, when any ticket changed, fetch the same page again and swap in its table and summary. The swapped
// nodes come from the server's own escaped page (DOMParser runs no scripts), never from text made into HTML.
(function () {
  var badge = document.getElementById("new-tickets-badge");
  if (!badge || !window.fetch) return;
  var unread = document.getElementById("unread-badge");
  var table = document.getElementById("queue-table");
  var every = 3000;  // a new ticket shows within a few seconds; /api/notices is two counts and a key maximum
  function show(element, count) {
    if (!element) return;
    element.textContent = String(count);
    element.hidden = !count;
  }
  function refreshQueue(marker) {
    return fetch(window.location.href, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) return;
      return response.text().then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var freshTable = fresh.getElementById("queue-table");
        if (!freshTable) return;
        table.replaceWith(document.importNode(freshTable, true));
        table = document.getElementById("queue-table");
        table.setAttribute("data-live-marker", String(marker));
        var summary = document.querySelector("p.summary"), freshSummary = fresh.querySelector("p.summary");
        if (summary && freshSummary) summary.replaceWith(document.importNode(freshSummary, true));
        var note = document.getElementById("queue-live");
        if (note) note.textContent = "队列已更新（" + new Date().toTimeString().slice(0, 5) + "）";
      });
    });
  }
  function check() {
    if (document.visibilityState === "hidden") return;
    fetch("/api/notices", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (notices) {
        if (!notices) return;
        show(badge, notices.new_tickets);
        show(unread, notices.unread);
        if (table && String(notices.marker) !== table.getAttribute("data-live-marker")) return refreshQueue(notices.marker);
      })
      .catch(function () { /* offline for a moment: the next check tries again */ });
  }
  window.setInterval(check, every);
  document.addEventListener("visibilitychange", check);
})();
// A file over its form's limit (data-max-bytes, e.g. an answer's image) is refused here, before a long upload.
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) return;
  var limit = Number(input.getAttribute("data-max-bytes"));
  var file = input.files && input.files[0];
  var tooBig = file && limit && file.size > limit;
  input.setCustomValidity(tooBig ? "图片 " + (file.size / 1048576).toFixed(1) + " MB，超过上限 " + (limit / 1048576).toFixed(0) + " MB，请压缩后再附上" : "");
  if (tooBig) input.reportValidity();
});
