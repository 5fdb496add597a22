from __future__ import annotations

from io import BytesIO

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from lms import clock
from lms.access import scope_for
from lms.auth.decorators import json_login_required
from lms.certificates import batch, bp, codes, eligibility, reissue, review, services
from lms.certificates.forms import ClearFlagForm, ReissueForm, RevokeForm, VerifyForm
from lms.certificates.models import KIND_LABELS, KINDS
from lms.content.services import active_courses
from lms.db import get_session
from lms.extensions import limiter
from lms.hooks import panel
from lms.orgs.services import orgs_in_scope
from lms.web import int_or_none, manager_scope, safe_local_path


def _int(value) -> int | None:
    return int_or_none(value)


def _me():
    return current_user._get_current_object()


def _admins_certificate(cert_id: int):
    """(session, the certificate) for an admin's action on it (revoke, clear a flag, re-issue):
    403 for anyone else, 404 outside the admin's scope."""
    if not current_user.is_admin:
        abort(403)
    session = get_session()
    return session, services.get_certificate(session=session, scope=scope_for(session=session, user=_me()),
                                             cert_id=cert_id)


def _back(default: str) -> str:
    return safe_local_path(request.form.get("next")) or default


def _pdf_response(data: bytes, name: str, mimetype: str = "application/pdf"):
    resp = send_file(BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


# --- members ----------------------------------------------------------------------------------


@bp.route("/certificates/")
@login_required
def mine():
    session = get_session()
    certs = services.certificates_of(session=session, user_id=current_user.id)
    issued = {c.subject_key for c in certs}
    pending = [e for e in eligibility.entitlements(session=session, user_id=current_user.id) if e.key not in issued]
    return render_template("certificates/mine.html", certs=certs, pending=pending)


@bp.route("/certificates/claim", methods=["POST"])
@login_required
def claim():
    kind = request.form.get("kind")
    if kind not in KINDS:
        abort(400)
    session = get_session()
    try:
        cert = services.claim(
            session=session, user=_me(), kind=kind, course_id=_int(request.form.get("course_id")),
            year=_int(request.form.get("year")), at=clock.now(),
        )
    except services.CertificateError as exc:
        flash(str(exc), "error")
        return redirect(_back(url_for(".mine")))
    session.commit()
    flash(f"{cert.kind_label}已签发，可以下载。", "success")
    return redirect(url_for(".detail", cert_id=cert.id))


@bp.route("/certificates/<int:cert_id>")
@login_required
def detail(cert_id: int):
    session = get_session()
    cert = services.get_certificate(session=session, scope=scope_for(session=session, user=_me()), cert_id=cert_id)
    form = _revoke_form(cert) if current_user.is_admin else None
    return _detail_page(cert, form)


def _revoke_form(cert):
    """A flagged certificate (hours corrected below its requirement) suggests 学时核减."""
    form = RevokeForm()
    if request.method == "GET" and cert.flagged:
        form.category.data = "hours"
    return form


def _detail_page(cert, form, clear_form=None, status: int = 200, reissue_error: str | None = None):
    session = get_session()
    if clear_form is None and current_user.is_admin and cert.flagged:
        clear_form = ClearFlagForm()
    history = {"replacement": reissue.replacement_for(session=session, cert=cert),
               "replaced": reissue.replaced(session=session, cert=cert)}
    reissue_form = refusal = None
    if current_user.is_admin and (cert.revoked or reissue_error):
        refusal = reissue_error or reissue.refusal(session=session, cert=cert)
        reissue_form = ReissueForm()
    return render_template("certificates/detail.html", cert=cert, form=form, clear_form=clear_form,
                           verify_url=services.render.verify_url(cert.code), code=codes.group(cert.code),
                           history=history, reissue_form=reissue_form, reissue_refusal=refusal), status


@bp.route("/certificates/<int:cert_id>/pdf")
@login_required
def download(cert_id: int):
    session = get_session()
    cert = services.get_certificate(session=session, scope=scope_for(session=session, user=_me()), cert_id=cert_id)
    if cert.revoked:  # refused, with why; the stored bytes stay as they were issued
        return render_template("certificates/revoked_download.html", cert=cert,
                               replacement=reissue.replacement_for(session=session, cert=cert)), 410
    resp = _pdf_response(cert.pdf, services.download_name(cert))
    resp.headers["ETag"] = f'"{cert.sha256}"'
    return resp


@bp.route("/certificates/<int:cert_id>/revoke", methods=["POST"])
@login_required
def revoke(cert_id: int):
    session, cert = _admins_certificate(cert_id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            services.revoke(session=session, cert=cert, by=_me(), reason=form.reason.data, at=clock.now(),
                            category=form.category.data)
        except services.CertificateError as exc:
            form.reason.errors = [str(exc)]
        else:
            session.commit()
            flash("证书已撤销。公开验证将显示“已撤销”。", "success")
            return redirect(url_for(".detail", cert_id=cert.id))
    return _detail_page(cert, form, status=400)


@bp.route("/certificates/<int:cert_id>/clear-flag", methods=["POST"])
@login_required
def clear_flag(cert_id: int):
    """An admin reviewed a flagged certificate and keeps it (revoking is the revoke form)."""
    session, cert = _admins_certificate(cert_id)
    form = ClearFlagForm()
    if form.validate_on_submit():
        try:
            review.clear_flag(session=session, cert=cert, by=_me(), note=form.note.data, at=clock.now())
        except review.FlagError as exc:
            form.note.errors = [str(exc)]
        else:
            session.commit()
            flash("已解除复核标记，证书继续有效。", "success")
            return redirect(url_for(".detail", cert_id=cert.id))
    session.rollback()
    return _detail_page(cert, RevokeForm(), clear_form=form, status=400)


@panel(bp, "member.extra", order=55)
def flagged_panel(*, member, **_):
    """On the member page: the member's certificates under review, if any."""
    certs = review.flagged_of(session=get_session(), user_id=member.id)
    return ("certificates/_flagged.html", {"certs": certs}) if certs else None


@panel(bp, "course.extra", order=20)
def course_card(*, user, course, **_):
    """For the course page card: the member's certificate, or whether they may claim it."""
    session = get_session()
    cert = services.find_existing(session=session, user_id=user.id, kind="course", course_id=course.id)
    if cert is not None:
        return "certificates/_course_card.html", {"course": course, "cc": {"cert": cert, "eligible": True}}
    ent = eligibility.entitlement_for(session=session, user_id=user.id, kind="course", course_id=course.id)
    return "certificates/_course_card.html", {"course": course, "cc": {"cert": None, "eligible": ent is not None}}


# --- secretaries and admins -------------------------------------------------------------------


@bp.route("/certificates/manage")
@login_required
def manage():
    session, scope = manager_scope()
    orgs = orgs_in_scope(session=session, scope=scope)
    org_id = _int(request.args.get("org_id"))
    org = next((o for o in orgs if o.id == org_id), None)
    if org_id is not None and org is None:
        abort(404)
    flagged_only = request.args.get("flagged") == "1"
    certs = services.certificates_in_scope(session=session, scope=scope, org_path=org.path if org else None,
                                           flagged_only=flagged_only)
    return render_template("certificates/manage.html", certs=certs, orgs=orgs, org=org, flagged_only=flagged_only)


def _batch_params(source):
    kind = source.get("kind") if source.get("kind") in KINDS else "annual"
    year = _int(source.get("year")) or clock.today().year
    course_id = _int(source.get("course_id")) if kind == "course" else None
    return kind, course_id, year


@bp.route("/certificates/batch", methods=["GET", "POST"])
@login_required
def batch_page():
    session, scope = manager_scope()
    orgs = orgs_in_scope(session=session, scope=scope)
    source = request.form if request.method == "POST" else request.args
    org_id = _int(source.get("org_id")) or (orgs[0].id if orgs else None)
    kind, course_id, year = _batch_params(source)
    courses = active_courses(session=session)
    if kind == "course" and course_id is None and courses:
        course_id = courses[0].id
    error = None
    if request.method == "POST":
        mode = request.form.get("mode")
        user_ids = None if mode == "all" else [u for u in (_int(x) for x in request.form.getlist("user_id")) if u]
        if mode != "all" and not user_ids:
            error = "请至少勾选一名党员，或选择“本组织全部符合条件的党员”。"
        else:
            try:
                job = batch.create_job(session=session, scope=scope, by=_me(), org_id=org_id, kind=kind,
                                       course_id=course_id, year=year, user_ids=user_ids)
            except services.CertificateError as exc:
                error = str(exc)
            else:
                session.commit()
                batch.start_job(job.id)
                return redirect(url_for(".batch_job", job_id=job.id))
    rows = batch.rows_for(session=session, scope=scope, org_id=org_id, kind=kind, course_id=course_id,
                          year=year) if org_id else []
    chosen = {u for u in (_int(x) for x in request.form.getlist("user_id")) if u}
    years = list(range(clock.today().year, clock.today().year - 6, -1))
    return render_template(
        "certificates/batch.html", rows=rows, orgs=orgs, org_id=org_id, kind=kind, course_id=course_id,
        year=year, years=years, courses=courses, error=error, chosen=chosen, kind_labels=KIND_LABELS,
        harfbuzz=current_app.extensions.get("lms_harfbuzz_subset", True),
        harfbuzz_message=services.render.HARFBUZZ_MISSING,
    ), (400 if error else 200)


@bp.route("/certificates/batch/<int:job_id>")
@login_required
def batch_job(job_id: int):
    session, _ = manager_scope()
    job = batch.get_job(session=session, user=_me(), job_id=job_id)
    return render_template("certificates/batch_job.html", job=job, kind_labels=KIND_LABELS)


@bp.route("/certificates/batch/<int:job_id>/status")
@json_login_required
def batch_status(job_id: int):
    session, _ = manager_scope()
    job = batch.get_job(session=session, user=_me(), job_id=job_id)
    return jsonify(status=job.status, progress=job.progress, total=job.total, issued=job.issued)


@bp.route("/certificates/batch/<int:job_id>/<any(pdf, zip):fmt>")
@login_required
def batch_download(job_id: int, fmt: str):
    session, _ = manager_scope()
    job = batch.get_job(session=session, user=_me(), job_id=job_id)
    data = job.pdf if fmt == "pdf" else job.zip
    if job.status != "done" or not data:
        abort(404)
    stamp = clock.local_now().strftime("%Y%m%d")
    name = f"证书批量打印-{stamp}-{job.id}.{fmt}"
    return _pdf_response(data, name, "application/pdf" if fmt == "pdf" else "application/zip")


# --- public verification ----------------------------------------------------------------------


def _verify_limit() -> str:
    return current_app.config.get("CERT_VERIFY_LIMIT", "30 per minute")


@bp.route("/verify")
@limiter.limit(_verify_limit)
def verify_form():
    form = VerifyForm(request.args)
    if request.args.get("code") is not None and form.validate():
        code = codes.normalise(form.code.data)
        return redirect(url_for(".verify", code=codes.group(code) if code else form.code.data.strip()[:64]))
    return render_template("certificates/verify.html", form=form, result=None)


@bp.route("/verify/<path:code>")
@limiter.limit(_verify_limit)
def verify(code: str):
    session = get_session()
    result = services.verify(session=session, text=code[:64])
    form = VerifyForm(data={"code": code[:64]})
    replacement = reissue.replacement_for(session=session, cert=result.cert) if result.status == "revoked" else None
    resp = render_template("certificates/verify.html", form=form, result=result, replacement=replacement,
                           replacement_code=codes.group(replacement.code) if replacement else None,
                           masked=services.mask_name(result.cert.holder_name) if result.cert else None)
    return resp, (404 if result.status == "not_found" else 200)
