"""Roster import: upload → preview (every row's problems, nothing written) → confirm (all rows, one transaction)."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Response, abort, current_app, make_response, render_template, request
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from lms.access import scope_for
from lms.orgs import bp, import_files, import_table, importer, roster
from lms.orgs.forms import ConfirmForm, ImportConfirmForm, ImportForm
from lms.web import attachment, bounded_int, require_manager


def _upload_dir() -> Path:
    return Path(current_app.instance_path) / "imports"


def _example_branch(session) -> str:
    scope = scope_for(session=session, user=current_user)
    branches = roster.branches_in_scope(session=session, scope=scope)
    return branches[0].name if branches else "某某党支部"


def _no_store(resp):
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_upload():
    session = require_manager()
    form = ImportForm()
    report = None
    token = None
    too_big = (request.content_length or 0) > import_table.MAX_BYTES + 64 * 1024
    if request.method == "POST" and too_big:  # (CSRF is checked for every POST by CSRFProtect)
        report = importer.ImportReport(filename="")
        report.file_problems.append(f"文件超过 {import_table.MAX_BYTES // (1024 * 1024)} MB，请分批导入。")
    elif form.validate_on_submit():
        upload = form.file.data
        filename = Path(upload.filename or "名册").name
        data = upload.read(import_table.MAX_BYTES + 1)
        report = importer.check(session=session, actor=current_user, data=data, filename=filename)
        if report.ok:
            token = import_files.save_upload(directory=_upload_dir(), user_id=current_user.id, filename=filename, data=data)
    confirm = ImportConfirmForm(token=token) if token else None
    return render_template(
        "orgs/import.html", form=form, report=report, confirm=confirm, max_rows=import_table.MAX_ROWS,
    )


@bp.route("/import/confirm", methods=["POST"])
@login_required
def import_confirm():
    session = require_manager()
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    kept = import_files.load_upload(directory=_upload_dir(), user_id=current_user.id, token=form.token.data)
    if kept is None:
        upload_form = ImportForm(formdata=None)
        return render_template(
            "orgs/import.html", form=upload_form, report=None, confirm=None, max_rows=import_table.MAX_ROWS,
            expired=True,
        )
    filename, data = kept
    # Checked again: the roster may have changed since the preview.
    report = importer.check(session=session, actor=current_user, data=data, filename=filename)
    if not report.ok:
        import_files.discard_upload(directory=_upload_dir(), token=form.token.data)
        return render_template(
            "orgs/import.html", form=ImportForm(formdata=None), report=report, confirm=None, max_rows=import_table.MAX_ROWS,
        )
    try:
        created = importer.apply(session=session, actor=current_user, report=report)
        session.commit()
    except IntegrityError:  # a login taken by a concurrent import or edit: nothing was saved
        session.rollback()
        report = importer.check(session=session, actor=current_user, data=data, filename=filename)
        import_files.discard_upload(directory=_upload_dir(), token=form.token.data)
        return render_template(
            "orgs/import.html", form=ImportForm(formdata=None), report=report, confirm=None, max_rows=import_table.MAX_ROWS,
        )
    import_files.discard_upload(directory=_upload_dir(), token=form.token.data)
    rows = [(u.name, u.login_name, pw, r.org.name) for (u, pw), r in zip(created, report.rows, strict=True)]
    return _no_store(make_response(render_template(
        "orgs/import_done.html", report=report, rows=rows,
        passwords_json=json.dumps([[u.id, pw] for u, pw in created], separators=(",", ":")),
        download=ConfirmForm(),
    )))


@bp.route("/import/passwords.csv", methods=["POST"])
@login_required
def import_passwords():
    """The initial-password list of the import just done, as CSV. The (account id, password) pairs
    come back from the result page itself — no password is kept on the server — and names, logins
    and branches are read again, within the user's scope."""
    session = require_manager()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        pairs = [(bounded_int(uid), str(pw)) for uid, pw in json.loads(request.form.get("passwords", "[]"))]
    except (ValueError, TypeError):
        abort(400)
    rows = roster.credential_rows(session=session, actor=current_user, pairs=pairs)
    resp = attachment(Response(import_files.credentials_csv(rows), mimetype="text/csv"), "初始密码.csv")
    return _no_store(resp)


@bp.route("/import/template.<fmt>")
@login_required
def import_template(fmt: str):
    session = require_manager()
    branch = _example_branch(session)
    if fmt == "csv":
        data, mimetype = import_files.template_csv(branch), "text/csv"
    elif fmt == "xlsx":
        data = import_files.template_xlsx(branch)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    return attachment(Response(data, mimetype=mimetype), f"党员名册模板.{fmt}", ascii_name=f"roster-template.{fmt}")

