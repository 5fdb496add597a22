from flask import Blueprint, Flask

bp = Blueprint("certificates", __name__, template_folder="templates",
               static_folder="static", static_url_path="/certificates/static")


def init_app(app: Flask) -> None:
    """Register the blueprint, check for HarfBuzz subsetting (loud warning when missing), and have
    every ledger correction checked against the certificates it may leave short."""
    from lms.certificates import review
    from lms.certificates.render import check_harfbuzz

    app.register_blueprint(bp)
    check_harfbuzz(app)
    review.register()
