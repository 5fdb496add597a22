from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from lms import clock, units
from lms.auth.claims import checks_account_itself, verified_user
from lms.auth.decorators import json_login_required, login_expired
from lms.content import services as content
from lms.db import get_session
from lms.extensions import limiter
from lms.hooks import collect_panels
from lms.hours import approvals, bp, selfreports, services, tracker
from lms.hours import presence as presence_check
from lms.hours.chart import month_chart
from lms.hours.forms import AdjustmentForm, DecideForm, RejectForm, SelfReportForm
from lms.hours.templating import tracker_settings
from lms.orgs import services as orgs
from lms.web import bounded_int, form_ints, manager_scope, year_arg

# ---------------------------------------------------------------- the tracker's endpoints (JSON)


def _per_account() -> str:
    return f"study:{current_user.id}"


def _start_limit() -> str:
    return current_app.config["STUDY_START_LIMIT"]


def _presence_limit() -> str:
    return current_app.config["STUDY_PRESENCE_LIMIT"]


@bp.post("/start")
@json_login_required
@limiter.limit(_start_limit, key_func=_per_account)
def start():
    """Open a study session on a lesson with the lesson page's study ticket: a new token; other
    tabs and devices are superseded. Without a good ticket nothing opens ("no_ticket", 409) and
    the refusal is kept as evidence."""
    session = get_session()
    lesson_id = request.form.get("lesson_id", type=bounded_int)
    lesson = content.active_lesson(session=session, lesson_id=lesson_id)
    if lesson is None:
        return jsonify(state="not_found"), 404
    settings, now, ip = tracker_settings(), clock.now(), request.remote_addr or ""
    ticket, problem = tracker.ticket_problem(request.form.get("ticket"), user_id=current_user.id,
                                             lesson_id=lesson.id, at=now, settings=settings)
    row = None
    if problem is None:
        row, result = tracker.start_session(session=session, user_id=current_user.id, lesson=lesson, ticket=ticket,
                                            at=now, ip=ip, settings=settings)
        problem = None if row is not None else "used_ticket"
    if problem is not None:
        tracker.record_event(session=session, user_id=current_user.id, kind=problem, at=now, lesson_id=lesson.id,
                             ip=ip)
        session.commit()
        return jsonify(tracker.NO_TICKET.as_json()), 409
    session.commit()
    return jsonify(token=row.token, **result.as_json())


@bp.post("/beat")
@checks_account_itself
@json_login_required
def beat():
    """One beat: one UPDATE that checks the login and the token and credits the measured time,
    and one ledger upsert when it credited anything (lms/hours/tracker.py). Its rate limit is
    inside that UPDATE (a burst of early beats is refused: "too_many", 429)."""
    session = get_session()
    result = tracker.credit_beat(
        session=session, user_id=current_user.id, session_version=current_user.session_version,
        login_id=current_user.login_id,
        token=request.form.get("token"), at=clock.now(), settings=tracker_settings(),
        final=request.form.get("final") == "1",
    )
    if result is None:  # the token or the login did not hold: which one?
        user = verified_user(current_user.id, current_user.session_version, current_user.login_id)
        if user is None or user.must_change_password:
            return login_expired()
        result = tracker.SUPERSEDED
    session.commit()
    return jsonify(result.as_json()), 429 if result.state == "too_many" else 200


@bp.post("/presence")
@json_login_required
@limiter.limit(_presence_limit, key_func=_per_account)
def presence():
    session = get_session()
    result = presence_check.answer_presence(
        session=session, user_id=current_user.id, token=request.form.get("token"),
        answer=request.form.get("answer"), at=clock.now(), settings=tracker_settings(),
    )
    session.commit()
    return jsonify(result.as_json())


# ---------------------------------------------------------------- 我的学时 and a member's 学时


def _year_context(user_id: int, year: int) -> dict:
    session = get_session()
    today = clock.today()
    summary = services.year_summary(session=session, user_id=user_id, year=year, today=today)
    sph = units.seconds_per_credit_hour()
    return {
        "year": year,
        "summary": summary,
        "entries": services.year_entries(session=session, user_id=user_id, year=year),
        "years": services.entry_years(session=session, user_id=user_id, current=today.year),
        "chart": month_chart(
            summary.by_month, seconds_per_hour=sph, year=year, target_per_month=summary.required / sph / 12,
            focus_month=today.month if year == today.year else 12,
        ),
        "is_current_year": year == today.year,
    }


@bp.get("/")
@login_required
def mine():
    return render_template("hours/mine.html", **_year_context(current_user.id, year_arg()))


def _member_page(user_id: int, form: AdjustmentForm | None = None, status: int = 200):
    session, scope = manager_scope()
    member = orgs.get_member(session=session, scope=scope, user_id=user_id)
    org = orgs.get_org(session=session, scope=scope, org_id=member.org_id)
    if form is None and current_user.is_admin:
        form = AdjustmentForm(formdata=None, local_date=clock.today())
    ctx = _year_context(member.id, year_arg())
    return render_template("hours/member.html", member=member, org=org, form=form, **ctx), status


@bp.get("/members/<int:user_id>")
@login_required
def member(user_id: int):
    return _member_page(user_id)


@bp.post("/members/<int:user_id>/adjust")
@login_required
def adjust(user_id: int):
    session, scope = manager_scope()
    member = orgs.get_member(session=session, scope=scope, user_id=user_id)
    if not current_user.is_admin:
        abort(403)
    form = AdjustmentForm()
    if form.validate_on_submit():
        try:
            selfreports.add_adjustment(
                session=session, member_id=member.id, minutes=form.minutes.data, reason=form.reason.data,
                local_date=form.local_date.data, recorded_by_id=current_user.id, today=clock.today(),
            )
        except selfreports.ReportError as e:
            form.reason.errors = [*form.reason.errors, str(e)]
        else:
            session.commit()
            flash(f"已为 {member.name} 记入调整 {form.minutes.data} 分钟。", "success")
            return redirect(url_for("hours.member", user_id=member.id, year=form.local_date.data.year))
    session.rollback()
    return _member_page(user_id, form=form, status=400)


# ---------------------------------------------------------------- 个人自学申报


@bp.route("/self-reports", methods=["GET", "POST"])
@login_required
def self_reports():
    session = get_session()
    form = SelfReportForm()
    if request.method == "GET":
        form.study_date.data = form.study_date.data or clock.today()
    status = 200
    if form.validate_on_submit():
        try:
            selfreports.submit_report(
                session=session, user_id=current_user.id, study_date=form.study_date.data,
                minutes=form.minutes.data, topic=form.topic.data, place=form.place.data, today=clock.today(),
            )
        except selfreports.ReportError as e:
            target = form.study_date if "日期" in str(e) or "年度" in str(e) else form.minutes
            target.errors = [*target.errors, str(e)]
        else:
            session.commit()
            approvers = selfreports.approvers_text(session=session, user=current_user)
            flash(f"申报已提交，待{approvers}审批。", "success")
            return redirect(url_for("hours.self_reports"))
    if request.method == "POST":
        session.rollback()
        status = 400
    reports = selfreports.reports_of(session=session, user_id=current_user.id)
    approvers = selfreports.approvers_text(session=session, user=current_user)
    return render_template("hours/self_reports.html", form=form, reports=reports, approvers=approvers), status


def _review_page(reject_errors: dict | None = None, typed: dict | None = None, status: int = 200):
    session, scope = manager_scope()
    collect_panels("review.extra", user=current_user, scope=scope)  # e.g. 集中学习 awaiting approval
    return render_template(
        "hours/review.html",
        pending=selfreports.review_queue(session=session, scope=scope, status="pending"),
        decided=selfreports.review_queue(session=session, scope=scope, status="approved", limit=20)
        + selfreports.review_queue(session=session, scope=scope, status="rejected", limit=20),
        decide_form=DecideForm(),
        reject_errors=reject_errors or {},
        typed=typed or {},
    ), status


@bp.get("/self-reports/review")
@login_required
def review():
    return _review_page()


@bp.post("/self-reports/<int:report_id>/approve")
@login_required
def approve(report_id: int):
    session, scope = manager_scope()
    report = selfreports.get_for_review(session=session, scope=scope, report_id=report_id)
    if not DecideForm().validate_on_submit():
        abort(400)
    try:
        approved = approvals.approve(session=session, actor=current_user, report=report, at=clock.now())
    except selfreports.ReportError as e:
        session.rollback()
        flash(str(e), "error")
        return redirect(url_for("hours.review"))
    if approved:
        session.commit()
        flash(f"已通过申报：{report.topic}（{report.minutes} 分钟）。", "success")
    else:
        flash("该申报已经处理过了。", "info")
    return redirect(url_for("hours.review"))


@bp.post("/self-reports/<int:report_id>/reject")
@login_required
def reject(report_id: int):
    session, scope = manager_scope()
    report = selfreports.get_for_review(session=session, scope=scope, report_id=report_id)
    form = RejectForm()
    if not form.validate_on_submit():
        errors = form.reason.errors or ["请填写不通过的理由。"]
        session.rollback()
        return _review_page({report_id: "；".join(errors)}, {report_id: form.reason.data or ""}, status=400)
    if approvals.reject(session=session, actor=current_user, report=report, at=clock.now(), reason=form.reason.data):
        session.commit()
        flash(f"已退回申报：{report.topic}。", "success")
    else:
        flash("该申报已经处理过了。", "info")
    return redirect(url_for("hours.review"))


@bp.post("/self-reports/approve-batch")
@login_required
def approve_batch():
    """批量通过: every ticked report in one transaction; already decided ones are skipped."""
    session, scope = manager_scope()
    if not DecideForm().validate_on_submit():
        abort(400)
    ids = form_ints("report_ids")
    if not ids:
        flash("请先勾选要通过的申报。", "error")
        return redirect(url_for("hours.review"))
    try:
        result = approvals.approve_batch(session=session, scope=scope, actor=current_user, report_ids=ids,
                                         at=clock.now())
    except selfreports.ReportError as e:  # one of them would exceed the daily cap: none is approved
        session.rollback()
        flash(f"{e}（本次勾选的申报均未通过，请取消该条后重试）", "error")
        return redirect(url_for("hours.review"))
    session.commit()
    if result.approved:
        flash(f"已批量通过 {len(result.approved)} 条申报。", "success")
    if result.skipped:
        flash(f"{len(result.skipped)} 条申报已由他人处理过，已跳过。", "info")
    return redirect(url_for("hours.review"))
