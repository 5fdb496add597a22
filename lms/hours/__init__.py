"""学时: the study tracker (heartbeats), the ledger, annual totals, self-reports and adjustments."""

from flask import Blueprint

bp = Blueprint("hours", __name__, url_prefix="/hours")

from lms.hours import views  # noqa: E402,F401
