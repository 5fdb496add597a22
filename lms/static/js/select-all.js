// "全选" for checkbox lists (集中学习 attendees, batch approval). No framework; progressive:
// without JavaScript the list still works, only the select-all box stays hidden.
(function () {
  "use strict";

  function scopeOf(el) {
    return el.closest("[data-select-all-scope]") || document;
  }

  function boxes(master) {
    var name = master.getAttribute("data-select-all");
    return Array.prototype.filter.call(
      scopeOf(master).querySelectorAll('input[type="checkbox"][name="' + name + '"]'),
      function (b) { return !b.disabled; }
    );
  }

  function refresh(master) {
    var all = boxes(master);
    var n = all.filter(function (b) { return b.checked; }).length;
    master.checked = all.length > 0 && n === all.length;
    master.indeterminate = n > 0 && n < all.length;
    var counter = scopeOf(master).querySelector("[data-selected-count]");
    if (counter) {
      counter.textContent = "已选 " + n + " " + (counter.getAttribute("data-selected-count") || "人");
    }
  }

  document.querySelectorAll("[data-select-all]").forEach(function (master) {
    var label = master.closest("[hidden]");
    if (label) label.hidden = false;
    master.addEventListener("change", function () {
      boxes(master).forEach(function (b) { b.checked = master.checked; });
      refresh(master);
    });
    boxes(master).forEach(function (b) {
      b.addEventListener("change", function () { refresh(master); });
    });
    refresh(master);
  });
})();
