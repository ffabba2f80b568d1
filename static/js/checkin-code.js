/* The check-in code page: a 全屏 button that shows the code alone, filling the screen, where the browser can. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("[data-gj-fullscreen]");
    var target = document.querySelector("[data-gj-fullscreen-target]");
    if (!button || !target || !target.requestFullscreen) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      target.requestFullscreen().catch(function () {});
    });
    target.addEventListener("click", function () {
      if (document.fullscreenElement) document.exitFullscreen();
    });
  });
})();
