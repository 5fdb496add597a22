"""Operations: health check, backup and restore."""

from flask import Blueprint

bp = Blueprint("ops", __name__)
