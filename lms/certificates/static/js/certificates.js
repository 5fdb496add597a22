// Certificates: "select all" on the batch page; live progress on a batch job page.
// Without JavaScript the batch page still works, and the job page refreshes itself (meta refresh).
(function () {
  "use strict";

  document.querySelectorAll("input.select-all").forEach(function (box) {
    var name = box.getAttribute("data-target");
    var form = box.form || document;
    var items = function () { return form.querySelectorAll('input[type=checkbox][name="' + name + '"]'); };
    box.addEventListener("change", function () {
      items().forEach(function (item) { item.checked = box.checked; });
    });
    form.addEventListener("change", function (ev) {
      if (ev.target.name !== name) return;
      var all = items(), on = 0;
      all.forEach(function (item) { if (item.checked) on += 1; });
      box.checked = all.length > 0 && on === all.length;
      box.indeterminate = on > 0 && on < all.length;
    });
  });

  var job = document.getElementById("job");
  if (!job) return;
  var status = job.getAttribute("data-status");
  if (status !== "queued" && status !== "running") return;
  // Take over from the meta refresh: poll the JSON status and reload once finished.
  var meta = document.querySelector('meta[http-equiv="refresh"]');
  if (meta) meta.parentNode.removeChild(meta);
  var url = job.getAttribute("data-status-url");
  var bar = job.querySelector(".job-bar");
  var count = job.querySelector(".job-progress");
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401) { window.location.reload(); return null; }  // logged out: the page asks to log in
        if (!r.ok) throw new Error(r.status);
        return r.json();
      })
      .then(function (s) {
        if (!s) return;
        if (bar) { bar.max = s.total; bar.value = s.progress; }
        if (count) count.textContent = s.progress;
        if (s.status === "done" || s.status === "failed") { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
