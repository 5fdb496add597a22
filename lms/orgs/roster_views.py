"""Roster pages: add, edit, deactivate/reactivate, reset password, move. Thin: the rules live in roster.py."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from lms.access import scope_for
from lms.db import get_session
from lms.orgs import bp, roster, services
from lms.orgs.forms import ConfirmForm, MemberForm, MoveForm, ResetPasswordForm, choice

TAKEN_MEANWHILE = "党员编号或手机号刚刚被其他账号使用，请核对后重新提交。"


def _show_errors(form, exc: roster.RosterError) -> list[str]:
    """Put each problem under its field; return those that have no field on this form."""
    loose = []
    for name, message in exc.errors.items():
        fld = form._fields.get(name)
        if fld is not None:
            fld.errors = [*fld.errors, message]
        else:
            loose.append(message)
    return loose


def _credentials(member, password: str, *, reason: str):
    """The initial password, shown once; not cached anywhere."""
    resp = make_response(render_template("orgs/credentials.html", member=member, password=password, reason=reason))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/<int:org_id>/members/new", methods=["GET", "POST"])
@login_required
def member_new(org_id: int):
    session = get_session()
    scope = scope_for(session=session, user=current_user)
    if not scope.is_manager:
        abort(403)
    org = services.get_org(session=session, scope=scope, org_id=org_id)  # 404 outside scope
    branches = [
        b for b in roster.branches_in_scope(session=session, scope=scope) if b.path.startswith(org.path)
    ]
    form = MemberForm().setup(roles=roster.grantable_roles(current_user), branches=branches)
    if not form.is_submitted() and org.is_branch:
        form.org_id.data = org.id
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            user, password = roster.add_member(
                session=session, actor=current_user, org_id=form.org_id.data, name=form.name.data,
                member_no=form.member_no.data or "", phone=form.phone.data or "",
                role=form.role.data if "role" in form else "member",
            )
            session.commit()
        except roster.RosterError as exc:
            session.rollback()
            errors = _show_errors(form, exc)
        except IntegrityError:  # the same 党员编号/手机号 saved by someone else a moment ago
            session.rollback()
            errors = [TAKEN_MEANWHILE]
        else:
            return _credentials(user, password, reason="created")
    return render_template("orgs/member_form.html", form=form, org=org, member=None, errors=errors, branches=branches)


@bp.route("/members/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def member_edit(user_id: int):
    session = get_session()
    user = roster.get_manageable(session=session, actor=current_user, user_id=user_id)
    roles = roster.grantable_roles(current_user) if user.id != current_user.id else ("member",)
    form = MemberForm(obj=user).setup(roles=roles, branches=None)
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            changes = roster.update_member(
                session=session, actor=current_user, user_id=user.id, name=form.name.data,
                member_no=form.member_no.data or "", phone=form.phone.data or "",
                role=form.role.data if "role" in form else None,
            )
            session.commit()
        except roster.RosterError as exc:
            session.rollback()
            errors = _show_errors(form, exc)
        except IntegrityError:
            session.rollback()
            errors = [TAKEN_MEANWHILE]
        else:
            flash("已保存修改。" if changes else "没有需要保存的修改。", "success" if changes else "info")
            return redirect(url_for("orgs.member", user_id=user.id))
    org = session.get(services.Organization, user.org_id)
    return render_template("orgs/member_form.html", form=form, org=org, member=user, errors=errors, branches=None)


def _set_active(user_id: int, active: bool):
    session = get_session()
    user = roster.get_manageable(session=session, actor=current_user, user_id=user_id)
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        try:
            roster.set_active(session=session, actor=current_user, user_id=user.id, active=active)
        except roster.RosterError as exc:
            error = str(exc)
        else:
            session.commit()
            flash(
                f"已恢复 {user.name} 的账号，可以正常登录。" if active
                else f"已停用 {user.name} 的账号：不能再登录，学习记录全部保留。",
                "success",
            )
            return redirect(url_for("orgs.member", user_id=user.id))
    return render_template("orgs/confirm_active.html", form=form, member=user, active=active, error=error)


@bp.route("/members/<int:user_id>/deactivate", methods=["GET", "POST"])
@login_required
def member_deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.route("/members/<int:user_id>/reactivate", methods=["GET", "POST"])
@login_required
def member_reactivate(user_id: int):
    return _set_active(user_id, True)


@bp.route("/members/<int:user_id>/password", methods=["GET", "POST"])
@login_required
def member_password(user_id: int):
    session = get_session()
    user = roster.get_manageable(session=session, actor=current_user, user_id=user_id)
    form = ResetPasswordForm()
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            password = roster.reset_password(
                session=session, actor=current_user, user_id=user.id,
                password=form.password.data if form.mode.data == "manual" else None,
            )
        except roster.RosterError as exc:
            session.rollback()
            errors = _show_errors(form, exc)
        else:
            session.commit()
            return _credentials(user, password, reason="reset")
    return render_template("orgs/password.html", form=form, member=user, errors=errors)


@bp.route("/members/<int:user_id>/move", methods=["GET", "POST"])
@login_required
def member_move(user_id: int):
    session = get_session()
    user, targets = roster.movable(session=session, actor=current_user, user_id=user_id)
    form = MoveForm()
    form.org_id.choices = [choice(0, "请选择党支部")] + [choice(b.id, b.name) for b in targets]
    errors: list[str] = []
    if form.validate_on_submit():
        if not form.org_id.data:
            form.org_id.errors = ["请选择要调整到的党支部。"]
        else:
            try:
                roster.move_member(session=session, actor=current_user, user_id=user.id, org_id=form.org_id.data)
            except roster.RosterError as exc:
                session.rollback()
                errors = _show_errors(form, exc)
            else:
                session.commit()
                org = session.get(services.Organization, user.org_id)
                flash(f"已将 {user.name} 调整到{org.name}。", "success")
                return redirect(url_for("orgs.member", user_id=user.id))
    org = session.get(services.Organization, user.org_id)
    return render_template("orgs/move.html", form=form, member=user, org=org, errors=errors)
