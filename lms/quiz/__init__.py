from flask import Blueprint

bp = Blueprint("quiz", __name__, url_prefix="/quiz", template_folder="templates",
               static_folder="static", static_url_path="/static")
