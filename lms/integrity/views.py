"""学时异常: the list for secretaries and admins in scope, and the two decisions on it."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from lms import clock, units
from lms.access import scope_for
from lms.db import get_session
from lms.hooks import panel
from lms.integrity import bp, rules, services
from lms.integrity.forms import ClearForm, VoidForm
from lms.web import manager_scope


def _thresholds() -> rules.Thresholds:
    return rules.Thresholds.from_config(current_app.config)


def _page(errors: dict | None = None, typed: dict | None = None, status: int = 200):
    session, scope = manager_scope()
    window = int(current_app.config["ANOMALY_WINDOW_DAYS"])
    members = services.review(session=session, scope=scope, now=clock.now(), thresholds=_thresholds(),
                              window_days=window)
    return render_template("integrity/index.html", members=members, window_days=window, event_labels=rules.EVENT_LABELS,
                           errors=errors or {}, typed=typed or {}, form=ClearForm(formdata=None)), status


@bp.get("/")
@login_required
def index():
    return _page()


def _back_to(member_id: int):
    return redirect(url_for("integrity.index") + f"#member-{member_id}")


@bp.post("/stretches/<int:stretch_id>/void")
@login_required
def void(stretch_id: int):
    session, scope = manager_scope()
    stretch = services.get_stretch(session=session, scope=scope, stretch_id=stretch_id)
    form = VoidForm()
    if form.validate_on_submit():
        try:
            seconds = services.void_stretch(session=session, scope=scope, actor=current_user, stretch=stretch,
                                            reason=form.reason.data, at=clock.now())
        except services.SelfReview as e:
            flash(str(e), "error")
            return _back_to(stretch.user_id)
        except services.ReviewError as e:
            error = str(e)
        else:
            if seconds is None:
                flash("这段学习已经不予认定过了。", "info")
            else:
                session.commit()
                flash(f"已不予认定这段学习，扣除 {units.duration_text(seconds)}。", "success")
            return _back_to(stretch.user_id)
    else:
        error = "；".join(form.reason.errors) or "请填写不予认定的理由。"
    session.rollback()
    return _page({f"s{stretch_id}": error}, {f"s{stretch_id}": form.reason.data or ""}, status=400)


@bp.post("/members/<int:user_id>/clear")
@login_required
def clear(user_id: int):
    session, scope = manager_scope()
    form = ClearForm()
    if form.validate_on_submit():
        try:
            services.clear_member(session=session, scope=scope, actor=current_user, user_id=user_id,
                                  note=form.note.data, at=clock.now())
        except services.SelfReview as e:
            flash(str(e), "error")
            return redirect(url_for("integrity.index"))
        else:
            session.commit()
            flash("已核实无误，该党员目前的异常记录不再列出。", "success")
            return redirect(url_for("integrity.index"))
    else:
        error = "；".join(form.note.errors) or "提交有误，请重试。"
    session.rollback()
    return _page({f"m{user_id}": error}, {f"m{user_id}": form.note.data or ""}, status=400)


@panel(bp, "member.extra", order=60)
def member_anomalies(*, viewer, member, **_):
    """On a member's page, for a secretary or admin: a notice when their study shows 学时异常."""
    if not viewer.is_manager or viewer.id == member.id:
        return None
    session = get_session()
    scope = scope_for(session=session, user=viewer)
    n = services.open_count(session=session, scope=scope, user_id=member.id, now=clock.now(),
                            thresholds=_thresholds(), window_days=int(current_app.config["ANOMALY_WINDOW_DAYS"]))
    if not n:
        return None
    return "integrity/_member_notice.html", {"member": member, "reason_count": n}
