// Quiz and exam pages: save each answer as it is given; in an exam, show the server-computed time left.
// Without JavaScript the form still works: a normal submit saves every answer and grades.
(function () {
  "use strict";
  var form = document.querySelector("form[data-save-url]");
  if (!form) return;
  var saveUrl = form.getAttribute("data-save-url");
  var attemptUrl = form.getAttribute("data-attempt-url");
  var tokenInput = form.querySelector("input[name=csrf_token]");
  var token = tokenInput ? tokenInput.value : "";
  var closed = false;

  function status(fieldset, text, isError) {
    var el = fieldset.querySelector(".save-status");
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("is-error", !!isError);
  }

  function isChoice(field) {
    return field.type === "checkbox" || field.type === "radio";
  }

  function save(fieldset) {
    if (closed) return;
    var qid = fieldset.getAttribute("data-question");
    var body = new URLSearchParams();
    body.append("question", qid);
    // Whatever the question type's partial renders: boxes and buttons send their checked
    // values, lists their selected options, text fields their text.
    var any = false;
    fieldset.querySelectorAll("input, select, textarea").forEach(function (field) {
      if (isChoice(field)) {
        if (field.checked) { body.append("value", field.value); any = true; }
      } else if (field.tagName === "SELECT") {
        Array.prototype.forEach.call(field.selectedOptions, function (opt) {
          if (opt.value) { body.append("value", opt.value); any = true; }
        });
      } else if (field.value.trim()) {
        body.append("value", field.value); any = true;
      }
    });
    if (!any) { status(fieldset, "尚未作答", false); return; }
    status(fieldset, "正在保存…", false);
    fetch(saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString()
    }).then(function (resp) {
      return resp.json().then(function (data) { return { ok: resp.ok, data: data }; });
    }).then(function (r) {
      if (r.ok && r.data.ok) {
        status(fieldset, "已保存 " + (r.data.saved_at || ""), false);
      } else {
        status(fieldset, r.data.message || "保存失败，请重试。", true);
        if (r.data.expired) finish();
      }
    }).catch(function () {
      status(fieldset, "网络中断，答案未保存；恢复连接后请重新选择或交卷。", true);
    });
  }

  var timers = {};
  form.addEventListener("change", function (ev) {
    var fs = ev.target.closest("fieldset[data-question]");
    if (fs) save(fs);
  });
  form.addEventListener("input", function (ev) {
    // Typing is saved once it pauses; boxes, buttons and lists are saved on "change".
    if (isChoice(ev.target) || ev.target.tagName === "SELECT") return;
    var fs = ev.target.closest("fieldset[data-question]");
    if (!fs) return;
    var qid = fs.getAttribute("data-question");
    clearTimeout(timers[qid]);
    timers[qid] = setTimeout(function () { save(fs); }, 1200);
  });

  function finish() {
    if (closed) return;
    closed = true;
    var t = document.getElementById("exam-timer");
    if (t) t.querySelector(".timer-value").textContent = "时间到";
    // A moment's grace so the server's clock has passed the deadline too; it grades the attempt.
    setTimeout(function () { window.location.assign(attemptUrl); }, 1500);
  }

  var timer = document.getElementById("exam-timer");
  if (timer) {
    // The server computed the seconds left; counting from our own clock avoids client clock skew.
    var remaining = parseInt(timer.getAttribute("data-remaining"), 10) || 0;
    var end = Date.now() + remaining * 1000;
    var value = timer.querySelector(".timer-value");
    var tick = function () {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      value.textContent = m + ":" + (s < 10 ? "0" : "") + s;
      timer.classList.toggle("is-urgent", left <= 60);
      if (left <= 0) { finish(); return; }
      setTimeout(tick, 1000);
    };
    tick();
  }
})();
