// The verification page checks the signed statement in the QR code's fragment (#s=…) in the
// browser, with WebCrypto Ed25519 and the public keys published on the page: no request is made.
// The same rules as lms/certificates/offline.py (check_qr); the fragment never reaches the server.
(function () {
  "use strict";

  var box = document.getElementById("offline-check");
  if (!box) return;

  var FIELDS = ["kind", "holder", "hours", "issued_on", "issuer"];  // the code is the one in the URL
  var KINDS = { c: "课程结业证书", a: "年度学习培训合格证明" };
  var status = box.querySelector(".offline-status");
  var facts = box.querySelector(".offline-facts");
  var note = box.querySelector(".offline-note");

  function show(state, message, statement, key) {
    box.className = "offline-check " + state;
    status.textContent = message;
    facts.textContent = "";
    note.hidden = !(statement && state === "invalid");
    if (!statement) return;
    var d = statement.issued_on;
    var code = statement.code.replace(/(.{4})(?=.)/g, "$1-");
    var rows = [["验证码", code], ["证书类别", KINDS[statement.kind]],
      ["持证人", statement.holder], ["学时", statement.hours + " 学时"],
      ["签发日期", Number(d.slice(0, 4)) + "年" + Number(d.slice(4, 6)) + "月" + Number(d.slice(6)) + "日"],
      ["发证单位", statement.issuer]];
    if (key) rows.push(["签名密钥", key.id]);
    rows.forEach(function (row) {
      var dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = row[0];
      dd.textContent = row[1];
      facts.appendChild(dt);
      facts.appendChild(dd);
    });
  }

  function unb64u(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function decode(data, code) {
    var lines = new TextDecoder("utf-8", { fatal: true }).decode(data).split("\n");
    if (lines.length !== FIELDS.length + 1 || lines[0] !== "1") throw new Error("format");
    var statement = { code: code };
    FIELDS.forEach(function (name, i) { statement[name] = lines[i + 1]; });
    if (!KINDS[statement.kind] || !/^\d{8}$/.test(statement.issued_on)) throw new Error("kind or date");
    return statement;
  }

  // What was signed: the code, a line break, the statement bytes (lms/certificates/offline.py).
  function signedBytes(code, data) {
    var out = new Uint8Array(code.length + 1 + data.length);
    for (var i = 0; i < code.length; i++) out[i] = code.charCodeAt(i);
    out[code.length] = 10;
    out.set(data, code.length + 1);
    return out;
  }

  // The code in this page's URL (/verify/ABCD-EFGH-…), in its canonical form.
  function pathCode() {
    var last = window.location.pathname.replace(/\/+$/, "").split("/").pop();
    try { last = decodeURIComponent(last); } catch (e) { return ""; }
    return last.replace(/[\s-]/g, "").toUpperCase();
  }

  var keys = {};
  document.querySelectorAll("#signing-keys [data-kid]").forEach(function (li) {
    keys[li.getAttribute("data-kid")] = { id: li.getAttribute("data-kid"), raw: li.getAttribute("data-public"),
      created: li.getAttribute("data-created"), retired: li.getAttribute("data-retired") };
  });

  // Check the fragment now, and again whenever it changes (an edited address does not reload the page).
  var runs = 0;
  function check() {
    var run = ++runs;
    var hash = window.location.hash || "";
    box.hidden = hash.indexOf("#s=") !== 0;
    if (box.hidden) return;
    var parts = hash.slice(3).split("."), code = pathCode(), data, signature, statement, key;
    if (!/^[23456789ABCDEFGHJKMNPQRSTVWXYZ]{18}$/.test(code)) {
      show("invalid", "签名无效：网址中没有有效的证书验证码。");
      return;
    }
    try {
      if (parts.length !== 3) throw new Error("parts");
      data = unb64u(parts[0]);
      signature = unb64u(parts[1]);
      statement = decode(data, code);
    } catch (e) {
      show("invalid", "签名无效：二维码中的签名内容已损坏或被改动，无法读取。");
      return;
    }
    key = keys[parts[2]];
    if (!key) {
      show("invalid", "签名无效：签名所用的密钥（编号 " + parts[2] + "）不是本平台公布的密钥，不能证明证书由本平台签发。", statement);
      return;
    }
    if (!window.crypto || !window.crypto.subtle) {
      show("unsupported", "本浏览器无法离线核验签名（不支持 WebCrypto，或页面不是经 HTTPS 打开的）。请以上方联网核验结果为准，或用离线核验脚本。", statement);
      return;
    }
    show("checking", "正在核验签名……", statement);
    window.crypto.subtle.importKey("raw", unb64u(key.raw), { name: "Ed25519" }, false, ["verify"]).then(function (publicKey) {
      return window.crypto.subtle.verify({ name: "Ed25519" }, publicKey, signature, signedBytes(code, data)).then(function (good) {
        if (run !== runs) return;  // the fragment changed meanwhile: that check reports
        if (!good) {
          show("invalid", "签名无效：网址中的验证码或二维码中的内容与签名不符，可能被改动过，或不是用本平台的密钥签署的。", statement, key);
        } else if (key.retired && statement.issued_on > key.retired.replace(/-/g, "")) {
          show("invalid", "签名无效：密钥 " + key.id + " 已于 " + key.retired + " 停用，不能证明此后签发的证书。", statement, key);
        } else {
          show("valid", "签名有效：以下内容由本平台的密钥签署，未被改动（本项核验在浏览器内完成，无需联网）。", statement, key);
        }
      });
    }, function () {
      if (run !== runs) return;
      show("unsupported", "本浏览器不支持 Ed25519 签名，无法离线核验。请以上方联网核验结果为准，或用离线核验脚本。", statement);
    });
  }

  check();
  window.addEventListener("hashchange", check);
})();
