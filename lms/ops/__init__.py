"""Operations: health check, backup and restore."""

from flask import Blueprint

bp = Blueprint("ops", __name__)

from lms.ops import views  # noqa: E402,F401
