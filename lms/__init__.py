"""党员在线学习平台 — the application factory."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError

from lms import clock, db, hooks, units
from lms.config import PROJECT_ROOT, load_config
from lms.extensions import csrf, limiter, login_manager

log = logging.getLogger("lms")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    instance_path = Path(
        (config or {}).get("INSTANCE_PATH") or os.environ.get("LMS_INSTANCE_PATH") or PROJECT_ROOT / "instance"
    )
    app = Flask(__name__, instance_path=str(instance_path), instance_relative_config=True)
    app.config.from_mapping(load_config(instance_path, config))
    clock.set_zone(app.config["TIMEZONE"])
    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    from lms.web import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter  # before any route: ids past INT_MAX are 404s
    db.init_app(app)
    hooks.init_app(app)  # before the blueprints, whose slices register their panels
    login_manager.init_app(app)
    csrf.init_app(app)
    app.config["RATELIMIT_ENABLED"] = app.config.get("RATELIMIT_ENABLED", True)
    limiter.init_app(app)

    _register_slices(app)

    from lms.cli import register_cli

    register_cli(app)
    _register_template_helpers(app)
    _register_error_pages(app)
    _register_security_headers(app)
    return app


# The feature slices, in the order their blueprints are registered. Each package's __init__ only
# creates its Blueprint; its routes (and the template-hook panels it provides) are in the view
# modules imported here, so importing a slice's models never drags in its views.
SLICES: dict[str, tuple[str, ...]] = {
    "auth": ("views", "device_views"),
    "content": ("views",),
    "orgs": ("views", "roster_views", "import_views"),
    "ops": ("views",),
    "quiz": ("views",),
    "certificates": ("views", "reissue_views", "key_views"),
    "hours": ("views",),
    "audit": ("views",),
    "offline": ("views",),
    "reports": ("views",),
    "notes": ("views",),
    "integrity": ("views",),
    "records": ("views",),
}


def _register_slices(app: Flask) -> None:
    import importlib

    for name, view_modules in SLICES.items():
        package = importlib.import_module(f"lms.{name}")
        for module in view_modules:
            importlib.import_module(f"lms.{name}.{module}")
        if hasattr(package, "init_app"):
            package.init_app(app)  # certificates: the blueprint and the HarfBuzz check
        else:
            app.register_blueprint(package.bp)


def _register_template_helpers(app: Flask) -> None:
    from lms import formatting

    app.jinja_env.filters.update(formatting.FILTERS)
    app.jinja_env.globals.update(formatting.GLOBALS)
    app.jinja_env.globals["site_name"] = app.config["SITE_NAME"]


def _register_error_pages(app: Flask) -> None:
    messages = {
        400: ("请求有误", "提交的内容无法处理，请返回后重试。"),
        403: ("没有权限", "您没有访问此页面的权限。如有疑问，请联系本支部书记或管理员。"),
        404: ("页面不存在", "您要找的页面不存在，或者不在您的查看范围内。"),
        405: ("请求方式不支持", "该页面不支持这种请求方式。"),
        413: ("提交的内容过大", "上传的文件或提交的内容超过了大小上限，请分批提交后重试。"),
        429: ("操作过于频繁", "尝试次数过多，请稍后再试。"),
        500: ("服务器出错了", "系统暂时出现问题，我们已记录。请稍后再试。"),
    }

    def render(code: int):
        title, text = messages[code]
        return render_template("errors/error.html", code=code, title=title, text=text), code

    for code in messages:
        app.register_error_handler(code, lambda e, code=code: render(code))

    @app.errorhandler(429)
    def _too_many(e):
        # Says how long to wait; an anonymous visitor gets no link (every way back is the locked form).
        from flask_login import current_user

        limit = limiter.current_limit
        wait = units.minutes_up_text(limit.reset_at - time.time()) if limit is not None else None
        text = f"尝试次数过多，请 {wait}后再试。" if wait else messages[429][1]
        if not current_user.is_authenticated:
            text += "如忘记密码，请联系本支部书记重置。"
        return render_template("errors/error.html", code=429, title=messages[429][0], text=text,
                               no_home_link=not current_user.is_authenticated), 429

    @app.errorhandler(CSRFError)
    def _csrf(e):
        title, text = "页面已过期", "表单已失效或来源不明，请刷新页面后重新提交。"
        return render_template("errors/error.html", code=400, title=title, text=text), 400

    from lms.ops.unavailable import register as register_unavailable

    register_unavailable(app)


# Responses a shared cache or the browser's history may keep: static files and the public
# certificate verification (the same for everyone). Everything else may be someone's own page.
CACHEABLE_ENDPOINTS = frozenset({"certificates.verify", "certificates.verify_form"})


def _cacheable(endpoint: str | None) -> bool:
    if endpoint == "static" or (endpoint or "").endswith(".static"):
        return True
    if endpoint in CACHEABLE_ENDPOINTS:
        from flask_login import current_user

        return not current_user.is_authenticated
    return False


NUL_MESSAGE = "提交的内容或网址中含有空字符（U+0000），无法处理。请删除后重试。"


def _has_nul() -> bool:
    """A NUL in the path, a query argument or a form field (names included; not uploaded files)."""
    fields = [request.args] + ([request.form] if request.method in ("POST", "PUT", "PATCH", "DELETE") else [])
    return "\x00" in request.path or any("\x00" in k or "\x00" in v for f in fields for k, v in f.items(multi=True))


def _register_security_headers(app: Flask) -> None:
    @app.before_request
    def _refuse_nul():
        # No NUL reaches a query or a row: PostgreSQL refuses it in text (a 500), and nobody types
        # one (the other invisible characters are refused field by field, lms.textcheck).
        if not _has_nul():
            return None
        if request.accept_mimetypes.best == "application/json" or "X-CSRFToken" in request.headers:
            return jsonify(ok=False, message=NUL_MESSAGE), 400
        return render_template("errors/error.html", code=400, title="请求有误", text=NUL_MESSAGE), 400

    @app.after_request
    def _headers(resp):
        if not _cacheable(request.endpoint) and "no-store" not in resp.headers.get("Cache-Control", ""):
            # Personal pages, the login page, downloads: not kept by a proxy, nor shown again by
            # the Back button after logout on a shared computer.
            resp.headers["Cache-Control"] = "no-store"
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        return resp
