"""学时: the study tracker (heartbeats), the ledger, annual totals, self-reports and adjustments."""

from flask import Blueprint

bp = Blueprint("hours", __name__, url_prefix="/hours", template_folder="templates",
               static_folder="static", static_url_path="/static")
