/* 学习心得 — answers to a lesson's 思考题, saved as the member writes. No framework.
 *
 * Every change is kept in localStorage at once and posted as a draft once typing pauses (and at
 * least every few seconds while it goes on), and again when the page is hidden or left. The
 * local copy is removed only when the server confirms it holds that very text, so a dropped
 * connection, a closed tab or an expired login loses nothing: the next visit restores it. A
 * failed save is retried with backoff (and at once when the browser comes back online).
 * Submitting posts the current text; a submitted answer is read-only until it is withdrawn.
 */
(function () {
  "use strict";

  var root = document.getElementById("notes");
  if (!root || !window.fetch) { return; }
  var csrf = root.dataset.csrf;
  var max = Number(root.dataset.max) || 2000;
  var storePrefix = root.dataset.store;
  var PAUSE = 1500;     // save this long after the last keystroke
  var MAX_WAIT = 8000;  // and at least this often while typing goes on

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function chars(text) { return Array.from(text.replace(/\r\n?/g, "\n")).length; }

  function post(url, data, keepalive) {
    var body = new URLSearchParams();
    Object.keys(data).forEach(function (k) { body.append(k, data[k]); });
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
      body: body
    }).then(function (resp) {
      return resp.json().then(
        function (json) { return { status: resp.status, json: json }; },
        function () { return { status: resp.status, json: null }; }
      );
    });
  }

  // What a failed request means for the member; `retry` says whether trying again may help.
  function failure(r) {
    if (r.status === 401) {
      return { text: "登录已失效，请重新登录后继续；内容已暂存在本机浏览器。", retry: false };
    }
    if (r.json && r.json.message) { return { text: r.json.message, retry: false }; }
    if (r.status === 400) {
      return { text: "页面已过期，请刷新页面；内容已暂存在本机浏览器。", retry: false };
    }
    return { text: "保存失败，正在重试（内容已暂存在本机浏览器）", retry: true };
  }

  function setup(el) {
    var area = el.querySelector("textarea");
    var edit = el.querySelector("[data-role=edit]");
    var done = el.querySelector("[data-role=done]");
    var countEl = el.querySelector("[data-role=count]");
    var statusEl = el.querySelector("[data-role=note-status]");
    var submitBtn = el.querySelector("[data-role=submit]");
    var withdrawBtn = el.querySelector("[data-role=withdraw]");
    var doneStatus = el.querySelector("[data-role=done-status]");
    var key = storePrefix + ":" + el.dataset.item;
    var dirty = false, inFlight = false, stopped = false;
    var timer = null, retryTimer = null, firstChange = 0, failures = 0;

    function status(text, isError) {
      statusEl.textContent = text;
      statusEl.classList.toggle("is-error", !!isError);
    }

    function count() {
      var n = chars(area.value);
      countEl.textContent = n > max ? n + "/" + max + " 字，超出 " + (n - max) + " 字" : n + "/" + max + " 字";
      countEl.classList.toggle("is-over", n > max);
      return n;
    }

    function remember() {
      var s = storage();
      if (!s) { return; }
      try { s.setItem(key, JSON.stringify({ text: area.value, at: Date.now() })); } catch (e) { /* full */ }
    }
    function recalled() {
      var s = storage();
      if (!s) { return null; }
      try {
        var v = JSON.parse(s.getItem(key));
        return v && typeof v.text === "string" ? v.text : null;
      } catch (e) { return null; }
    }
    function forget(text) {
      var s = storage();
      if (!s) { return; }
      var v = recalled();
      if (v === null || text === undefined || v === text) { s.removeItem(key); }
    }

    function clearTimers() {
      if (timer) { window.clearTimeout(timer); timer = null; }
      if (retryTimer) { window.clearTimeout(retryTimer); retryTimer = null; }
    }

    function showSubmitted(json) {
      el.dataset.state = "submitted";
      done.querySelector("[data-role=body]").textContent = json.body;
      done.querySelector("[data-role=submitted-at]").textContent = json.submitted_at || "";
      edit.hidden = true;
      done.hidden = false;
    }

    function save(keepalive) {
      if (!dirty || stopped || el.dataset.state === "submitted") { return; }
      if (inFlight && !keepalive) { return; }  // saved again when the current request returns
      clearTimers();
      if (count() > max) {
        status("超出 " + max + " 字，删减后才会保存到服务器（内容已暂存在本机浏览器）", true);
        return;
      }
      var text = area.value;
      inFlight = true;
      if (!keepalive) { status("正在保存…", false); }
      post(el.dataset.draftUrl, { body: text }, keepalive).then(function (r) {
        inFlight = false;
        if (r.status === 200 && r.json && r.json.ok) {
          failures = 0;
          forget(text);
          if (area.value === text) {
            dirty = false;
            firstChange = 0;
            status("已保存 " + (r.json.saved_at || ""), false);
          } else {
            schedule();  // typed on while it was saving
          }
          return;
        }
        if (el.dataset.state === "submitted") { return; }  // a late draft after the submit: ignore
        var f = failure(r);
        status(f.text, true);
        if (f.retry) { retryLater(); } else if (r.status === 401 || r.status === 400 && !r.json) { stopped = true; }
      }).catch(function () {
        inFlight = false;
        status("保存失败，正在重试（内容已暂存在本机浏览器）", true);
        retryLater();
      });
    }

    function retryLater() {
      failures += 1;
      var delay = Math.min(30000, 1000 * Math.pow(2, Math.min(failures, 5))) * (0.75 + Math.random() / 2);
      if (retryTimer) { window.clearTimeout(retryTimer); }
      retryTimer = window.setTimeout(function () { retryTimer = null; save(false); }, delay);
    }

    function schedule() {
      if (timer) { window.clearTimeout(timer); }
      var now = Date.now();
      if (!firstChange) { firstChange = now; }
      var wait = Math.max(0, Math.min(PAUSE, firstChange + MAX_WAIT - now));
      timer = window.setTimeout(function () { timer = null; save(false); }, wait);
    }

    area.addEventListener("input", function () {
      dirty = true;
      stopped = false;
      remember();
      count();
      schedule();
    });

    submitBtn.addEventListener("click", function () {
      var n = count();
      if (!area.value.trim()) { status("请先写下您的回答，再点击提交。", true); area.focus(); return; }
      if (n > max) { status("每题回答最多 " + max + " 字，请删减 " + (n - max) + " 字后再提交。", true); return; }
      var text = area.value;
      clearTimers();
      submitBtn.disabled = true;
      status("正在提交…", false);
      post(el.dataset.submitUrl, { body: text }).then(function (r) {
        submitBtn.disabled = false;
        if (r.status === 200 && r.json && r.json.ok) {
          dirty = false;
          forget(text);
          status("", false);
          showSubmitted(r.json);
          withdrawBtn.focus();
          return;
        }
        status(failure(r).retry ? "提交失败，请检查网络后再点“提交”（内容已暂存在本机浏览器）" : failure(r).text, true);
      }).catch(function () {
        submitBtn.disabled = false;
        status("提交失败，请检查网络后再点“提交”（内容已暂存在本机浏览器）", true);
      });
    });

    function withdrawFailed(text) {
      doneStatus.textContent = text || "撤回失败，请检查网络后重试。";
      doneStatus.classList.add("is-error");
    }

    withdrawBtn.addEventListener("click", function () {
      withdrawBtn.disabled = true;
      doneStatus.textContent = "";
      post(el.dataset.withdrawUrl, {}).then(function (r) {
        withdrawBtn.disabled = false;
        if (r.status === 200 && r.json && r.json.ok) {
          el.dataset.state = "draft";
          area.value = r.json.body;
          count();
          done.hidden = true;
          edit.hidden = false;
          status("已撤回为草稿，修改后请重新提交", false);
          area.focus();
          return;
        }
        withdrawFailed(failure(r).retry ? null : failure(r).text);
      }).catch(function () {
        withdrawBtn.disabled = false;
        withdrawFailed(null);
      });
    });

    // What the server has not confirmed yet comes back from this browser's copy.
    if (el.dataset.state === "submitted") {
      forget();
    } else {
      var local = recalled();
      if (local !== null && local !== area.value) {
        area.value = local;
        dirty = true;
        status("已恢复本机暂存的内容，正在保存…", false);
        save(false);
      }
    }
    count();

    return {
      flush: function () { if (dirty) { save(true); } },
      retryNow: function () { if (dirty && !inFlight) { failures = 0; save(false); } }
    };
  }

  var items = Array.prototype.map.call(root.querySelectorAll(".note-item"), setup);

  function flushAll() { items.forEach(function (it) { it.flush(); }); }
  document.addEventListener("visibilitychange", function () { if (document.hidden) { flushAll(); } });
  window.addEventListener("pagehide", flushAll);
  window.addEventListener("online", function () { items.forEach(function (it) { it.retryNow(); }); });
}());
