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
