"""学习档案: a member's study record over one or more years, as a PDF (not a certificate)."""

from flask import Blueprint

bp = Blueprint("records", __name__, url_prefix="/records", template_folder="templates")
