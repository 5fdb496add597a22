"""报表: branch tables, the committee roll-up, charts and exports — SQL aggregations over the ledger."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")
