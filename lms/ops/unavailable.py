"""The database is unreachable (PostgreSQL restarting, SQLite locked too long): a clean 503.

The study tracker's JSON endpoints answer 503 JSON with a Chinese message and Retry-After, so
tracker.js backs off and retries; pages answer a Chinese 503 page. Nothing becomes a 500, and the
next request after the database is back succeeds without restarting the app (the engine's pool
checks connections before use and discards a broken one).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask, g, jsonify, make_response, render_template, request

from lms.extensions import login_manager

log = logging.getLogger("lms")

RETRY_AFTER_SECONDS = 5
MESSAGE = "服务器暂时无法连接数据库，请稍后重试。"
PAGE_TEXT = "服务器暂时无法连接数据库，请稍后刷新页面重试。已计入的学时不受影响。"
# Called by tracker.js: they answer JSON.
JSON_ENDPOINTS = {"hours.start", "hours.beat", "hours.presence"}


def _wants_json() -> bool:
    return request.endpoint in JSON_ENDPOINTS or request.accept_mimetypes.best == "application/json"


def database_unavailable(exc: Exception):
    log.warning("database unavailable on %s %s: %s", request.method, request.path,
                (str(exc).splitlines() or [type(exc).__name__])[0])
    # The request's session is unusable (its transaction failed, its user may be expired): drop it
    # here, and render the page as for a visitor, so nothing touches the database again.
    session = g.pop("_lms_session", None)
    if session is not None:
        try:
            session.close()
        except Exception:  # noqa: BLE001 - the connection is gone; nothing more to release
            log.debug("closing the session after a database error failed", exc_info=True)
    if _wants_json():
        resp = jsonify(state="unavailable", message=MESSAGE)
        resp.status_code = 503
    else:
        g._login_user = login_manager.anonymous_user()
        html = render_template("errors/error.html", code=503, title="服务暂时不可用", text=PAGE_TEXT)
        resp = make_response(html, 503)
    resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return resp


def register(app: Flask) -> None:
    app.register_error_handler(sa.exc.OperationalError, database_unavailable)
    app.register_error_handler(sa.exc.DisconnectionError, database_unavailable)
