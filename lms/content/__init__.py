from flask import Blueprint

bp = Blueprint("content", __name__)

from lms.content import views  # noqa: E402,F401
