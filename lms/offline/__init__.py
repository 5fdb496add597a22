"""集中学习: offline study sessions recorded by a secretary, credited to attendees through the ledger."""

from flask import Blueprint

bp = Blueprint("offline", __name__, url_prefix="/sessions", template_folder="templates")
