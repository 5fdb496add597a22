"""学时异常: what the study tracker's evidence says about a member's online study, and a
secretary's review of it (不予认定 a stretch through a compensating ledger row, or clear it)."""

from flask import Blueprint

bp = Blueprint("integrity", __name__, url_prefix="/integrity", template_folder="templates")
