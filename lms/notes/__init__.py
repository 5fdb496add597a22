"""学习心得: written answers to each lesson's 思考题, saved as drafts and submitted by the member."""

from flask import Blueprint

bp = Blueprint("notes", __name__, url_prefix="/notes", template_folder="templates",
               static_folder="static", static_url_path="/static")
