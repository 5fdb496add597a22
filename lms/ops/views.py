from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app, jsonify, send_from_directory

from lms.db import engine
from lms.extensions import csrf, limiter
from lms.ops import bp

log = logging.getLogger(__name__)


@bp.route("/healthz")
@limiter.exempt
@csrf.exempt
def healthz():
    """200 when the database answers; 503 otherwise. No session, no login."""
    try:
        with engine().connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any database failure means "not healthy"
        log.warning("health check failed: %s", exc)
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/favicon.ico")
@limiter.exempt
def favicon():
    """The site icon at the address browsers ask for by default (base.html also links the SVG)."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=7 * 24 * 3600)
