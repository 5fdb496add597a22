// On a narrow screen the month chart scrolls sideways: bring the month it names (data-focus,
// a fraction of the chart's width; this month in the current year) into view.
(function () {
  "use strict";
  document.querySelectorAll(".chart-wrap").forEach(function (wrap) {
    var chart = wrap.querySelector("[data-focus]");
    if (!chart || wrap.scrollWidth <= wrap.clientWidth) { return; }
    var focus = parseFloat(chart.getAttribute("data-focus"));
    if (isNaN(focus)) { return; }
    wrap.scrollLeft = Math.max(0, focus * wrap.scrollWidth - wrap.clientWidth / 2);
  });
})();
