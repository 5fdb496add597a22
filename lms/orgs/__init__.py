from flask import Blueprint

bp = Blueprint("orgs", __name__, url_prefix="/orgs", template_folder="templates")

from lms.orgs import import_views, roster_views, views  # noqa: E402,F401
