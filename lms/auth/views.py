from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user

from lms import clock, units
from lms.auth import bp, login_cookies, login_sessions, services
from lms.auth.claims import ClaimedUser
from lms.auth.forms import ChangePasswordForm, LoginForm
from lms.auth.models import User
from lms.db import get_session
from lms.extensions import limiter, login_manager
from lms.web import safe_local_path

FAILED_LOGIN = "账号或密码不正确。"
WARN_WHEN_LEFT = 2  # from this many attempts left, a failed login says how many remain


@login_manager.user_loader
def load_user(ident: str) -> User | ClaimedUser | None:
    return login_cookies.load_user(ident)  # the login must still hold (lms/auth/login_sessions.py)


def _account_key() -> str:
    return "login:" + (request.form.get("login") or "").strip().lower()


def _login_failed(response) -> bool:
    # A failed login re-renders the form (200); success redirects.
    return response.status_code == 200


def _account_limit():
    """This request's per-account login limit (Flask-Limiter's RequestLimit), or None when off."""
    key = _account_key()
    return next((rl for rl in limiter.current_limits if rl.key.endswith(key) or f"/{key}/" in rl.key), None)


def _failed_login_message() -> str:
    """账号或密码不正确, and, near the limit, how many tries are left and what happens next."""
    limit = _account_limit()
    if limit is None:
        return FAILED_LOGIN
    left = max(0, limit.remaining - 1)  # this failure is deducted after the response
    window = units.minutes_up_text(limit.limit.get_expiry())
    if left == 0:
        return f"{FAILED_LOGIN}尝试次数已用完，请 {window}后再试。"
    if left <= WARN_WHEN_LEFT:
        return f"{FAILED_LOGIN}还可尝试 {left} 次；再错 {left} 次将锁定 {window}。"
    return FAILED_LOGIN


def _safe_next(target: str | None) -> str:
    return safe_local_path(target) or url_for("content.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_account_key, methods=["POST"], deduct_when=_login_failed
)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=_login_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("content.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        session = get_session()
        user = services.authenticate(session=session, login=form.login.data, password=form.password.data)
        if user is not None:
            login_cookies.sign_in(session=session, user=user, remember=form.remember.data)
            session.commit()
            if user.must_change_password:
                flash("这是首次登录或密码已被重置，请先设置新密码。", "info")
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next")))
        flash(_failed_login_message(), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    session = get_session()
    login_cookies.sign_out(session=session)  # ends this login on the server, not only in the browser
    session.commit()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


def _password_change_key() -> str:
    return f"password-change:{current_user.id if current_user.is_authenticated else '-'}"


def _old_password_wrong(response) -> bool:
    return bool(g.get("old_password_wrong"))


# Changing the password asks for the current one: a guess there counts like a failed login, so a
# session left open on a shared computer cannot be used to find the password by trying.
@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_password_change_key, methods=["POST"],
    deduct_when=_old_password_wrong,
)
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            services.change_password(session=session, user=current_user, old=form.old_password.data, new=form.new_password.data)
        except services.PasswordError as exc:
            g.old_password_wrong = isinstance(exc, services.WrongOldPassword)
            field = form.old_password if g.old_password_wrong else form.new_password
            field.errors = [*field.errors, str(exc)]
        else:
            login_sessions.keep_after_password_change(session=session, user=current_user,
                                                      login_id=current_user.login_id, at=clock.now())
            session.commit()
            login_user(current_user)  # the session version changed; keep this device signed in
            flash("密码已修改。", "success")
            return redirect(url_for("content.dashboard"))
    return render_template("auth/change_password.html", form=form)


@bp.before_app_request
def force_password_change():
    if (
        not _skips_password_check(request.endpoint)  # first: no user query for these
        and current_user.is_authenticated
        and current_user.must_change_password
    ):
        return redirect(url_for("auth.change_password"))
    return None


def _skips_password_check(endpoint: str | None) -> bool:
    """Changing the password, logging out and static files (the app's and each slice's)."""
    if endpoint is None:
        return False
    return endpoint in {"auth.change_password", "auth.logout", "static"} or endpoint.endswith(".static")
