"""Audit log: who did what to whom, and when — every secretary and admin action."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit", template_folder="templates")
