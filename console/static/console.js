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
