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
