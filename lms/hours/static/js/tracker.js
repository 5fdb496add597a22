/* 学习计时 — the lesson page's study tracker. No framework.
 *
 * The browser only says "still here": every BEAT_INTERVAL seconds, while the page is visible and
 * the member has scrolled, typed or touched within IDLE_TIMEOUT, it posts the session token the
 * server issued. The server measures the time and answers with what it credited. A final beat
 * goes out with navigator.sendBeacon when the page is hidden. The beats are spaced at random
 * (0.85–1.15 of the interval): a page's rhythm is not a script's clockwork, which the server
 * notices (学时异常). The server also decides when a 防挂机 presence check is due and sends its
 * challenge (a number and the buttons to choose from); the dialog shows them and the click sends
 * the chosen number.
 *
 * Starting needs the study ticket this page view was given (data-ticket); it opens one session.
 * To take the session back from another tab, or when the ticket is refused, the page reloads.
 *
 * When the network or the server fails (a 503 while the database restarts, a dropped connection),
 * the beat is retried with exponential backoff and jitter (1 s, 2 s, 4 s … never more often than
 * that, never less often than once per interval), so a short outage loses no study time and a long
 * one does not turn every open page into a stream of requests.
 *
 * Between beats the shown time ticks once a second while the page is studying, and stops when it
 * pauses; this is display only, and every server answer resets it to what the server credited
 * (it never runs more than the time since that answer ahead of it, nor past the lesson's 学时).
 * A pause always says why.
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
  var remainingEl = root.querySelector("[data-role=remaining]");
  var dialog = document.getElementById("presence-dialog");
  var reloadBtn = root.querySelector("[data-role=reload]");
  var numberEl = dialog && dialog.querySelector("[data-role=presence-number]");
  var optionsEl = dialog && dialog.querySelector("[data-role=presence-options]");
  var noteEl = dialog && dialog.querySelector("[data-role=presence-note]");
  var ticket = d.ticket;
  var shownCheck = null;  // the challenge the dialog shows (its number)

  var token = null;
  var lastActivity = Date.now();
  var serverState = "starting";
  var superseded = false;
  var inFlight = false;
  var failures = 0;
  var retryTimer = null;
  var cap = Number(d.cap) || 0;
  var serverSeconds = Number(d.credited) || 0;  // what the server last said it credited
  var serverAt = Date.now();  // when it said so
  var shownSeconds = serverSeconds;

  var TEXT = {
    starting: "正在开始计时…",
    studying: "学习中：正在计时",
    new_segment: "学习中：正在计时",
    capped: "已停止计时：本课学时已满",
    day_capped: "已停止计时：今日学时已达上限",
    check_due: "学习中：请确认您仍在学习",
    paused_presence: "已暂停：等待确认在学，请点击“我在学习”后继续计时",
    superseded: "已暂停：已在其他页面学习",
    hidden: "已暂停：页面不在前台",
    idle: "已暂停：长时间无操作，滚动或点击页面即可继续",
    error: "已暂停：网络异常，正在重试",
    unavailable: "已暂停：服务器繁忙，正在重试",
    login: "已暂停：登录已失效，请重新登录",
    no_ticket: "已暂停：请刷新页面后继续计时",
    too_many: "已暂停：请求过于频繁，稍后自动继续"
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
    root.classList.toggle("is-paused",
      /^(paused_presence|superseded|hidden|idle|error|unavailable|login|no_ticket|too_many)$/.test(key));
    root.classList.toggle("is-capped", key === "capped" || key === "day_capped");
  }

  function ticking() {
    var key = statusEl.getAttribute("data-state");
    return (key === "studying" || key === "new_segment") && !document.hidden && active() && !superseded;
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clockText(s) {
    s = Math.max(0, Math.floor(s));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return h ? h + ":" + pad(m) + ":" + pad(sec) : m + ":" + pad(sec);
  }

  function showCredited(seconds) {
    ownChangeAt = Date.now();
    shownSeconds = cap ? Math.min(seconds, cap) : seconds;
    creditedEl.textContent = clockText(shownSeconds);
    if (progressEl) { progressEl.value = shownSeconds; }
    if (remainingEl && cap) {
      var left = Math.max(0, cap - shownSeconds);
      remainingEl.textContent = left ? "还需 " + Math.ceil(left / 60) + " 分钟" : "本课学时已满";
    }
  }

  function fromServer(seconds) {
    serverSeconds = seconds;
    serverAt = Date.now();
    showCredited(seconds);
  }

  // Once a second: advance the shown time while studying (display only).
  function secondTick() {
    if (!ticking()) { return; }
    var ahead = Math.round((Date.now() - serverAt) / 1000);
    var next = Math.min(shownSeconds + 1, serverSeconds + ahead);
    if (next > shownSeconds) { showCredited(next); }
  }

  function showChallenge(check, note) {
    if (!dialog) { return; }
    if (!check) {
      // The check is pending but its challenge never reached this page (it went out with a lost
      // answer): a new page view gets it again.
      if (shownCheck === null && !optionsEl.querySelector("[data-reload]")) {
        numberEl.textContent = "";
        optionsEl.textContent = "";
        var again = document.createElement("button");
        again.type = "button";
        again.className = "button primary";
        again.textContent = "刷新页面继续学习";
        again.setAttribute("data-reload", "");
        optionsEl.appendChild(again);
        noteEl.textContent = "确认信息未能送达，请刷新页面后确认。";
        noteEl.hidden = false;
      }
      return;
    }
    if (shownCheck !== check.number) {
      shownCheck = check.number;
      numberEl.textContent = check.number;
      optionsEl.textContent = "";
      check.options.forEach(function (n) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "button";
        b.textContent = n;
        b.setAttribute("data-number", n);
        optionsEl.appendChild(b);
      });
    }
    noteEl.textContent = note || "";
    noteEl.hidden = !note;
  }

  function openCheck() {
    if (dialog && !dialog.open) {
      if (dialog.showModal) { dialog.showModal(); } else { dialog.setAttribute("open", ""); }
    }
  }
  function closeCheck() {
    shownCheck = null;
    if (dialog && dialog.open) {
      if (dialog.close) { dialog.close(); } else { dialog.removeAttribute("open"); }
    }
  }

  function handle(body) {
    if (!body || !body.state) { setStatus("error"); return; }
    if (body.state === "check_wrong" || body.state === "check_too_fast") {
      noteEl.textContent = body.state === "check_wrong" ? "选的数字不对，请点击写有上面数字的按钮。" : "请看清数字后再点击。";
      noteEl.hidden = false;
      openCheck();
      return;
    }
    if (body.state === "no_ticket") {
      superseded = true;
      token = null;
      closeCheck();
      reloadBtn.hidden = false;
      setStatus("no_ticket");
      return;
    }
    serverState = body.state;
    if (typeof body.cap_seconds === "number" && body.cap_seconds > 0) { cap = body.cap_seconds; }
    if (typeof body.lesson_seconds === "number" && body.state !== "superseded") { fromServer(body.lesson_seconds); }
    if (body.state === "superseded") {
      superseded = true;
      closeCheck();
      resumeBtn.hidden = false;
      setStatus("superseded");
      return;
    }
    if (body.state === "check_due" || body.state === "paused_presence") {
      showChallenge(body.check);
      openCheck();
    } else {
      closeCheck();
    }
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
      if (!resp.ok && resp.status !== 404 && resp.status !== 409) {
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
    setStatus(err && err.status >= 500 ? "unavailable" : err && err.status === 429 ? "too_many" : "error");
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
    post(d.startUrl, { lesson_id: d.lessonId, ticket: ticket }).then(function (body) {
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

  // The idle pause shows as soon as it starts, not at the next beat.
  function idleWatch() {
    if (token && !superseded && !document.hidden && !active() && !retryTimer &&
        /^(studying|new_segment)$/.test(statusEl.getAttribute("data-state"))) {
      setStatus("idle");
    }
  }

  function finalBeat() {
    if (!token || superseded || !navigator.sendBeacon) { return; }
    var form = new FormData();
    form.append("token", token);
    form.append("final", "1");  // nobody reads this answer: the server delivers no check with it
    form.append("csrf_token", csrf);
    navigator.sendBeacon(d.beatUrl, form);
  }

  function onActivity(e) {
    if (e && e.type === "scroll" && Date.now() - ownChangeAt < 300) { return; }
    var wasIdle = !active();
    lastActivity = Date.now();
    if (wasIdle && !document.hidden) {  // re-anchor at once; the idle gap counts nothing
      serverAt = Date.now();
      serverSeconds = shownSeconds;
      beat();
    }
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
      serverAt = Date.now();  // the hidden time does not count: no catching up on display either
      serverSeconds = shownSeconds;
      if (!superseded) {
        setStatus(/^(paused_presence|capped|day_capped)$/.test(serverState) ? serverState : "studying");
      }
      beat();
    }
  });
  window.addEventListener("pagehide", finalBeat);

  if (optionsEl) {
    optionsEl.addEventListener("click", function (e) {
      if (e.target.closest && e.target.closest("[data-reload]")) { reload(); return; }
      var b = e.target.closest && e.target.closest("[data-number]");
      if (!b) { return; }
      lastActivity = Date.now();
      if (!token) { return; }
      post(d.presenceUrl, { token: token, answer: b.getAttribute("data-number") })
        .then(handle).catch(function () { setStatus("error"); });
    });
  }
  if (dialog) {
    // Escape must not dismiss the check without answering it.
    dialog.addEventListener("cancel", function (e) { e.preventDefault(); });
  }
  // Taking the session back needs a new page view (a ticket opens one session).
  function reload() { window.location.reload(); }
  resumeBtn.addEventListener("click", reload);
  reloadBtn.addEventListener("click", reload);

  // The next beat at a random 0.85–1.15 of the interval.
  function scheduleTick() {
    window.setTimeout(function () { tick(); scheduleTick(); }, Math.round(interval * (0.85 + Math.random() * 0.3)));
  }

  start();
  scheduleTick();
  window.setInterval(function () { idleWatch(); secondTick(); }, 1000);
}());
