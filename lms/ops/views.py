from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import jsonify

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
