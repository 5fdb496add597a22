from flask import Blueprint

bp = Blueprint("content", __name__, template_folder="templates")

from lms.content import views  # noqa: E402,F401
