// The activity page: while entries are on their way (pending, sending, sent) the page
// reloads every few seconds, unless the user is typing or the tab is hidden (Drop asks
// first: app.js answers `data-confirm`).
(function () {
  "use strict";
  var box = document.querySelector("[data-refresh-s]");
  if (box) {
    var seconds = Number(box.getAttribute("data-refresh-s")) || 3;
    setInterval(function () {
      var busy = document.activeElement && /INPUT|SELECT|TEXTAREA/.test(document.activeElement.tagName);
      if (document.visibilityState === "visible" && !busy) window.location.reload();
    }, seconds * 1000);
  }
})();
