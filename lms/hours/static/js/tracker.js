/* 学习计时 — the lesson page's study tracker. No framework.
 *
 * The browser only says "still here": every BEAT_INTERVAL seconds, while the page is visible and
 * the member has scrolled, typed or touched within IDLE_TIMEOUT, it posts the session token the
 * server issued. The server measures the time and answers with what it credited. A final beat
 * goes out with navigator.sendBeacon when the page is hidden. The server also decides when a
 * 防挂机 presence check is due; the dialog asks for one click.
 *
 * When the network or the server fails (a 503 while the database restarts, a dropped connection),
 * the beat is retried with exponential backoff and jitter (1 s, 2 s, 4 s … never more often than
 * that, never less often than once per interval), so a short outage loses no study time and a long
 * one does not turn every open page into a stream of requests.
 */
(function () {
  "use strict";

  var root = document.getElementById("study-tracker");
  if (!root || !window.fetch) { return; }
  var d = root.dataset;
  var interval = Math.max(1, Number(d.interval) || 30) * 1000;
  var idleLimit = Math.max(1, Number(d.idle) || 300) * 1000;
  var csrf = d.csrf;
  var statusEl = root.querySelector("[data-role=status]");
  var creditedEl = root.querySelector("[data-role=credited]");
  var progressEl = root.querySelector("[data-role=progress]");
  var resumeBtn = root.querySelector("[data-role=resume]");
  var dialog = document.getElementById("presence-dialog");
  var confirmBtn = dialog && dialog.querySelector("[data-role=presence-confirm]");

  var token = null;
  var lastActivity = Date.now();
  var serverState = "starting";
  var superseded = false;
  var inFlight = false;
  var failures = 0;
  var retryTimer = null;
  var cap = Number(d.cap) || 0;

  var TEXT = {
    starting: "正在开始计时…",
    studying: "学习中：正在计时",
    new_segment: "学习中：正在计时",
    capped: "本课本年度学时已计满",
    check_due: "学习中：请确认您仍在学习",
    paused_presence: "已暂停：请点击“我在学习”后继续计时",
    superseded: "已暂停：在其他页面学习",
    hidden: "已暂停：页面不在前台",
    idle: "已暂停：长时间无操作，滚动或点击页面即可继续",
    error: "已暂停：网络异常，正在重试",
    unavailable: "已暂停：服务器繁忙，正在重试",
    login: "已暂停：登录已失效，请重新登录"
  };

  // When the tracker last changed its own text. On a phone a status that wraps to another number
  // of lines changes the panel's height, and the browser's scroll anchoring then scrolls the page:
  // that scroll event is the tracker's own doing, not the reader's, and must not count as activity
  // (else an idle page would wake itself up with every status change).
  var ownChangeAt = 0;

  function setStatus(key) {
    if (statusEl.getAttribute("data-state") === key) { return; }
    ownChangeAt = Date.now();
    statusEl.setAttribute("data-state", key);
    statusEl.textContent = TEXT[key] || key;
    root.classList.toggle("is-paused", /^(paused_presence|superseded|hidden|idle|error|unavailable|login)$/.test(key));
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clockText(s) {
    s = Math.max(0, Math.floor(s));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return h ? h + ":" + pad(m) + ":" + pad(sec) : m + ":" + pad(sec);
  }

  function showCredited(seconds) {
    ownChangeAt = Date.now();
    creditedEl.textContent = clockText(seconds);
    if (progressEl) { progressEl.value = Math.min(seconds, cap || seconds); }
  }

  function openCheck() {
    if (dialog && !dialog.open) {
      if (dialog.showModal) { dialog.showModal(); } else { dialog.setAttribute("open", ""); }
    }
  }
  function closeCheck() {
    if (dialog && dialog.open) {
      if (dialog.close) { dialog.close(); } else { dialog.removeAttribute("open"); }
    }
  }

  function handle(body) {
    if (!body || !body.state) { setStatus("error"); return; }
    serverState = body.state;
    if (typeof body.cap_seconds === "number" && body.cap_seconds > 0) { cap = body.cap_seconds; }
    if (typeof body.lesson_seconds === "number" && body.state !== "superseded") { showCredited(body.lesson_seconds); }
    if (body.state === "superseded") {
      superseded = true;
      closeCheck();
      resumeBtn.hidden = false;
      setStatus("superseded");
      return;
    }
    if (body.state === "check_due" || body.state === "paused_presence") { openCheck(); } else { closeCheck(); }
    setStatus(document.hidden && body.state !== "paused_presence" ? "hidden" : body.state);
  }

  function post(url, data) {
    var form = new URLSearchParams();
    Object.keys(data).forEach(function (k) { form.append(k, data[k]); });
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
      body: form
    }).then(function (resp) {
      if (resp.status === 401) { return { state: "login" }; }
      if (!resp.ok && resp.status !== 404) {
        var err = new Error("HTTP " + resp.status);
        err.status = resp.status;
        throw err;
      }
      return resp.json();
    });
  }

  // Exponential backoff with jitter from 0.5 s; from one interval on, an interval plus up to a
  // quarter, so an outage never draws more requests than normal beating does.
  function backoff() {
    var base = 500 * Math.pow(2, Math.min(failures, 16) - 1);
    if (base >= interval) { return Math.round(interval * (1 + Math.random() / 4)); }
    return Math.round(base / 2 + Math.random() * base / 2);
  }

  function failed(err, retry) {
    failures += 1;
    setStatus(err && err.status >= 500 ? "unavailable" : "error");
    if (retryTimer) { window.clearTimeout(retryTimer); }
    retryTimer = window.setTimeout(function () { retryTimer = null; retry(); }, backoff());
  }

  function succeeded() {
    failures = 0;
    if (retryTimer) { window.clearTimeout(retryTimer); retryTimer = null; }
  }

  function start() {
    superseded = false;
    resumeBtn.hidden = true;
    setStatus("starting");
    post(d.startUrl, { lesson_id: d.lessonId }).then(function (body) {
      succeeded();
      if (body.token) { token = body.token; }
      handle(body);
    }).catch(function (err) { failed(err, start); });
  }

  function active() { return Date.now() - lastActivity <= idleLimit; }

  function beat() {
    if (!token || superseded || inFlight) { return; }
    if (retryTimer) { window.clearTimeout(retryTimer); retryTimer = null; }
    inFlight = true;
    post(d.beatUrl, { token: token }).then(function (body) { succeeded(); handle(body); })
      .catch(function (err) { failed(err, tick); })
      .then(function () { inFlight = false; });
  }

  function tick() {
    if (superseded) { return; }
    if (retryTimer) { return; }  // a retry is already scheduled
    if (!token) { start(); return; }
    if (document.hidden) { setStatus("hidden"); return; }
    if (!active()) { setStatus("idle"); return; }
    beat();
  }

  function finalBeat() {
    if (!token || superseded || !navigator.sendBeacon) { return; }
    var form = new FormData();
    form.append("token", token);
    form.append("csrf_token", csrf);
    navigator.sendBeacon(d.beatUrl, form);
  }

  function onActivity(e) {
    if (e && e.type === "scroll" && Date.now() - ownChangeAt < 300) { return; }
    var wasIdle = !active();
    lastActivity = Date.now();
    if (wasIdle && !document.hidden) { beat(); }  // re-anchor at once; the idle gap counts nothing
  }

  // "input" too: text typed through an IME, pasted or dictated into the 学习心得 boxes may send no keydown.
  ["scroll", "keydown", "input", "touchstart", "pointerdown", "wheel"].forEach(function (type) {
    window.addEventListener(type, onActivity, { passive: true, capture: true });
  });

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      finalBeat();
      setStatus("hidden");
    } else {
      lastActivity = Date.now();
      if (!superseded) { setStatus(serverState === "paused_presence" ? "paused_presence" : "studying"); }
      beat();
    }
  });
  window.addEventListener("pagehide", finalBeat);

  if (confirmBtn) {
    confirmBtn.addEventListener("click", function () {
      lastActivity = Date.now();
      closeCheck();
      if (!token) { return; }
      post(d.presenceUrl, { token: token }).then(handle).catch(function () { setStatus("error"); });
    });
  }
  if (dialog) {
    // Escape must not dismiss the check without answering it.
    dialog.addEventListener("cancel", function (e) { e.preventDefault(); });
  }
  resumeBtn.addEventListener("click", function () { lastActivity = Date.now(); start(); });

  start();
  window.setInterval(tick, interval);
}());
