// The Products page: check every variant of the page, and count the checked ones.
(function () {
  "use strict";
  var all = document.getElementById("check-page");
  var count = document.getElementById("selected-count");
  var picks = Array.prototype.slice.call(document.querySelectorAll("input.pick"));
  function update() {
    var n = picks.filter(function (p) { return p.checked; }).length;
    if (count) { count.textContent = n ? n + " checked on this page;" : "Select variants below, or"; }
    if (all) { all.checked = n > 0 && n === picks.length; all.indeterminate = n > 0 && n < picks.length; }
  }
  if (all) {
    all.addEventListener("change", function () {
      picks.forEach(function (p) { p.checked = all.checked; });
      update();
    });
  }
  picks.forEach(function (p) { p.addEventListener("change", update); });
  update();
})();
