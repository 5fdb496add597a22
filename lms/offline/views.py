from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from lms import clock
from lms.auth.models import User
from lms.db import get_session
from lms.hooks import panel
from lms.hours import selfreports
from lms.hours.forms import DecideForm
from lms.offline import approvals, bp, queries, services
from lms.offline.forms import RejectForm, SessionForm, VoidForm
from lms.offline.models import SESSION_TYPES
from lms.orgs import services as orgs
from lms.web import bounded_int, manager_scope, requested_year, safe_local_path


def _posted_ids() -> list[int]:
    try:
        return [bounded_int(v) for v in request.form.getlist("attendees")]
    except ValueError:
        abort(400)


def _data(form: SessionForm) -> services.SessionData:
    return services.SessionData(
        type=form.type.data or "", topic=form.topic.data or "", held_on=form.held_on.data,
        minutes=form.total_minutes, place=form.place.data or "", attendee_ids=_posted_ids(),
        start=form.start_time.data,
    )


def _apply_errors(form: SessionForm, errors: dict[str, str]) -> dict[str, str]:
    """Put service errors on the form's fields; returns those shown elsewhere (duration, attendees, form)."""
    rest = {}
    for key, message in errors.items():
        f = getattr(form, key, None)
        if f is not None and key in ("type", "topic", "held_on", "place", "start_time"):
            if message not in f.errors:
                f.errors = [*f.errors, message]
        else:
            rest[key] = message
    return rest


def _invalid_form_errors(form, ids: list[int]) -> dict:
    """The errors of a form that did not validate, with the two the form's own validators miss."""
    errors = _form_errors(form)
    if form.held_on.data is None and not form.held_on.errors:
        form.held_on.errors = ["请填写日期。"]
    if form.start_time.data is None and not form.start_time.errors:
        form.start_time.errors = ["请填写开始时间，如 09:00。"]
    if not ids:
        errors.setdefault("attendees", "请至少选择一名参加人员。")
    return errors


def _form_errors(form: SessionForm) -> dict[str, str]:
    """WTForms errors of the duration fields belong to the 时长 group."""
    extra = {}
    for f in (form.duration_hours, form.duration_minutes):
        if f.errors:
            extra["duration"] = "；".join(f.errors)
    return extra


@bp.get("/")
@login_required
def index():
    session, scope = manager_scope()
    org_id = request.args.get("org_id", type=bounded_int)
    org = orgs.get_org(session=session, scope=scope, org_id=org_id) if org_id else None
    year = requested_year()
    rows = queries.list_sessions(session=session, scope=scope, org_id=org.id if org else None, year=year)
    branches = orgs.orgs_in_scope(session=session, scope=scope)
    return render_template(
        "offline/index.html", rows=rows, org=org, year=year, branches=branches,
        years=list(range(clock.today().year, clock.today().year - 5, -1)),
    )


def _render_form(*, org, form, selected, choices, hidden=frozenset(), errors=None, similar=None, record=None,
                 status=200):
    return render_template(
        "offline/form.html", org=org, form=form, selected=set(selected), choices=choices, hidden=hidden,
        errors=errors or {}, similar=similar or [], record=record, types=SESSION_TYPES, today=clock.today(),
    ), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    session, scope = manager_scope()
    org_id = request.args.get("org_id", type=bounded_int)
    if org_id is None:
        if current_user.is_secretary:
            return redirect(url_for("offline.new", org_id=current_user.org_id))
        branches = orgs.orgs_in_scope(session=session, scope=scope)
        return render_template("offline/pick_org.html", branches=branches)
    org = orgs.get_org(session=session, scope=scope, org_id=org_id)
    choices = queries.roster(session=session, scope=scope, org=org)
    form = SessionForm()
    if request.method == "GET":
        form.held_on.data = clock.today()
        form.type.data = SESSION_TYPES[0]
        return _render_form(org=org, form=form, selected=(), choices=choices)

    errors: dict[str, str] = {}
    similar = []
    ids = _posted_ids()
    if form.validate_on_submit() and not _form_errors(form):
        try:
            record = services.record_session(
                session=session, scope=scope, actor=current_user, org=org, data=_data(form),
                today=clock.today(), at=clock.now(), confirm_duplicate=bool(form.confirm_duplicate.data),
            )
        except services.SessionError as e:
            errors = _apply_errors(form, e.errors)
        except services.DuplicateWarning as w:
            similar = w.similar
        else:
            session.commit()
            if record.is_pending:
                approvers = selfreports.approvers_text(session=session, user=current_user)
                flash(f"已登记集中学习“{record.topic}”。参加人员只有您本人，需{approvers}审批通过后才计入学时。",
                      "info")
            else:
                flash(
                    f"已登记集中学习“{record.topic}”：{len(set(ids))} 名党员各计入 "
                    f"{record.duration_seconds // 60} 分钟。", "success",
                )
            return redirect(url_for("offline.detail", session_id=record.id))
    else:
        errors = _invalid_form_errors(form, ids)
    session.rollback()
    form.confirm_duplicate.data = False
    return _render_form(org=org, form=form, selected=ids, choices=choices, errors=errors, similar=similar,
                        status=400 if errors or not similar else 200)


@bp.get("/<int:session_id>")
@login_required
def detail(session_id: int):
    session, scope = manager_scope()
    record = queries.get_record(session=session, scope=scope, session_id=session_id)
    org = orgs.get_org(session=session, scope=scope, org_id=record.org_id)
    people = queries.attendees(session=session, scope=scope, record=record)
    total = len(queries.attendee_ids(session=session, record=record))
    lines = queries.ledger_lines(session=session, scope=scope, record=record)
    return _detail_page(session, scope, record, org, people, total, lines)


def _detail_page(session, scope, record, org, people, total, lines, reject_form=None, status: int = 200):
    recorder = session.get(User, record.recorded_by_id)
    voider = session.get(User, record.voided_by_id) if record.voided_by_id else None
    decider = session.get(User, record.decided_by_id) if record.decided_by_id else None
    reviewable = approvals.can_review(session=session, scope=scope, record=record)
    approvers = selfreports.approvers_text(session=session, user=recorder) if record.is_pending else ""
    return render_template(
        "offline/detail.html", record=record, org=org, people=people, total=total, lines=lines,
        recorder=recorder, voider=voider, decider=decider, reviewable=reviewable, approvers=approvers,
        reject_form=reject_form or (RejectForm() if reviewable else None),
    ), status


def _live_record(session_id: int):
    """(session, scope, record, its organisation) for the edit and void pages; 404 outside scope."""
    session, scope = manager_scope()
    record = queries.get_record(session=session, scope=scope, session_id=session_id)
    org = orgs.get_org(session=session, scope=scope, org_id=record.org_id)
    return session, scope, record, org


@bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit(session_id: int):
    session, scope, record, org = _live_record(session_id)
    if record.is_voided:
        flash("该记录已作废，不能再修改。", "info")
        return redirect(url_for("offline.detail", session_id=record.id))
    choices, hidden = services.editable_attendees(session=session, scope=scope, record=record)
    form = SessionForm()
    if request.method == "GET":
        form = SessionForm(formdata=None, type=record.type, topic=record.topic, held_on=record.held_on,
                           start_time=record.start_time,
                           duration_hours=record.duration_seconds // 3600,
                           duration_minutes=record.duration_seconds % 3600 // 60, place=record.place,
                           revision=str(record.revision))
        current = set(queries.attendee_ids(session=session, record=record))
        return _render_form(org=org, form=form, selected=current, choices=choices, hidden=hidden, record=record)

    errors: dict[str, str] = {}
    similar = []
    ids = _posted_ids()
    if form.validate_on_submit() and not _form_errors(form):
        try:
            revision = int(form.revision.data) if (form.revision.data or "").isdigit() else None
            details = services.update_session(
                session=session, scope=scope, actor=current_user, record=record, data=_data(form),
                revision=revision, today=clock.today(), at=clock.now(),
                confirm_duplicate=bool(form.confirm_duplicate.data),
            )
        except services.SessionError as e:
            errors = _apply_errors(form, e.errors)
        except services.DuplicateWarning as w:
            similar = w.similar
        else:
            session.commit()
            if record.is_pending:
                flash("已保存修改。参加人员只有登记人本人，审批通过后才计入学时。", "info")
            elif details["written"]:
                flash(f"已保存修改，台账已更正 {details['written']} 条（原记录保留）。", "success")
            else:
                flash("已保存修改，各人学时不变。", "success")
            return redirect(url_for("offline.detail", session_id=record.id))
    else:
        errors = _invalid_form_errors(form, ids)
    session.rollback()
    form.confirm_duplicate.data = False
    return _render_form(org=org, form=form, selected=ids, choices=choices, hidden=hidden, errors=errors,
                        similar=similar, record=record, status=400 if errors or not similar else 200)


@bp.route("/<int:session_id>/void", methods=["GET", "POST"])
@login_required
def void(session_id: int):
    session, scope, record, org = _live_record(session_id)
    if record.is_voided:
        flash("该记录已经作废。", "info")
        return redirect(url_for("offline.detail", session_id=record.id))
    form = VoidForm()
    total = len(queries.attendee_ids(session=session, record=record))
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                written = services.void_session(
                    session=session, scope=scope, actor=current_user, record=record, reason=form.reason.data,
                    at=clock.now(),
                )
            except services.SessionError as e:
                form.reason.errors = [*form.reason.errors, *e.errors.values()]
            else:
                session.commit()
                flash(f"已作废，{written} 名党员的相应学时已冲减（原记录保留）。", "success")
                return redirect(url_for("offline.detail", session_id=record.id))
        session.rollback()
        status = 400
    return render_template("offline/void.html", record=record, org=org, form=form, total=total), status


# ---------------------------------------------------------------- a secretary's session for themself alone


@bp.post("/<int:session_id>/approve")
@login_required
def approve(session_id: int):
    session, scope = manager_scope()
    record = queries.get_record(session=session, scope=scope, session_id=session_id)
    if not DecideForm().validate_on_submit():
        abort(400)
    try:
        written = approvals.approve(session=session, scope=scope, actor=current_user, record=record, at=clock.now())
    except services.SessionError as e:
        session.rollback()
        flash("；".join(e.errors.values()), "error")
    else:
        session.commit()
        flash(f"已批准集中学习“{record.topic}”，已计入学时（台账 {written} 条）。", "success")
    return redirect(safe_local_path(request.form.get("next")) or url_for("offline.detail", session_id=session_id))


@bp.post("/<int:session_id>/reject")
@login_required
def reject(session_id: int):
    session, scope = manager_scope()
    record = queries.get_record(session=session, scope=scope, session_id=session_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            approvals.reject(session=session, scope=scope, actor=current_user, record=record,
                             reason=form.reason.data, at=clock.now())
        except services.SessionError as e:
            form.reason.errors = [*form.reason.errors, *e.errors.values()]
        else:
            session.commit()
            flash(f"已退回集中学习“{record.topic}”，不计入学时。", "success")
            return redirect(url_for("offline.detail", session_id=session_id))
    session.rollback()
    org = orgs.get_org(session=session, scope=scope, org_id=record.org_id)
    people = queries.attendees(session=session, scope=scope, record=record)
    total = len(queries.attendee_ids(session=session, record=record))
    lines = queries.ledger_lines(session=session, scope=scope, record=record)
    return _detail_page(session, scope, record, org, people, total, lines, reject_form=form, status=400)


@panel(bp, "review.extra")
def pending_sessions(*, scope, **_):
    """On the approval page: secretaries' sessions for themselves alone, awaiting this reviewer."""
    rows = approvals.pending_queue(session=get_session(), scope=scope)
    return "offline/_pending.html", {"rows": rows}
