from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user

from lms import clock
from lms.auth import bp, login_cookies, login_sessions, services, throttle
from lms.auth.claims import ClaimedUser
from lms.auth.forms import ChangePasswordForm, LoginForm
from lms.auth.models import User
from lms.db import get_session
from lms.extensions import login_manager
from lms.web import safe_local_path


@login_manager.user_loader
def load_user(ident: str) -> User | ClaimedUser | None:
    return login_cookies.load_user(ident)  # the login must still hold (lms/auth/login_sessions.py)


def _safe_next(target: str | None) -> str:
    return safe_local_path(target) or url_for("content.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("content.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        session = get_session()
        # A slot is reserved before the password is checked (lms/auth/throttle.py).
        known = services.find_by_login(session=session, login=form.login.data)
        attempt = throttle.reserve(account=throttle.account_ref(form.login.data, known and known.id),
                                   address=request.remote_addr)
        if attempt.refused:
            flash(attempt.locked_message, "error")
            return render_template("auth/login.html", form=form), 429
        user = services.authenticate(session=session, login=form.login.data, password=form.password.data)
        if user is not None:
            throttle.succeeded(attempt)
            login_cookies.sign_in(session=session, user=user, remember=form.remember.data)
            session.commit()
            if user.must_change_password:
                flash("这是首次登录或密码已被重置，请先设置新密码。", "info")
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next")))
        flash(throttle.failure_message(attempt), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    session = get_session()
    login_cookies.sign_out(session=session)  # ends this login on the server, not only in the browser
    session.commit()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


# Changing the password asks for the current one: a guess there counts like a failed login, so a
# session left open on a shared computer cannot be used to find the password by trying.
@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        session = get_session()
        attempt = throttle.reserve(account=throttle.account_ref("", current_user.id), address=request.remote_addr)
        if attempt.refused:
            form.old_password.errors = [*form.old_password.errors, attempt.locked_message]
            return render_template("auth/change_password.html", form=form), 429
        try:
            services.change_password(session=session, user=current_user, old=form.old_password.data, new=form.new_password.data)
        except services.PasswordError as exc:
            wrong_old = isinstance(exc, services.WrongOldPassword)
            if not wrong_old:
                throttle.release(attempt)  # the old password was right: only a guess counts
            field = form.old_password if wrong_old else form.new_password
            field.errors = [*field.errors, str(exc)]
        else:
            throttle.succeeded(attempt)
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
