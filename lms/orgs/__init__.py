from flask import Blueprint

bp = Blueprint("orgs", __name__, url_prefix="/orgs")

from lms.orgs import views  # noqa: E402,F401
