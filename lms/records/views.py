"""学习档案 downloads: a member's own, a member's for a manager in scope (a panel on the member
page), and a whole organisation's as one PDF or a ZIP.

Produced synchronously in the request: the job queue (another issue) has not landed; a branch is
capped at MAX_BRANCH_MEMBERS members so one request stays within seconds.
"""

from __future__ import annotations

from io import BytesIO

from flask import render_template, request, send_file, url_for
from flask_login import current_user, login_required

from lms import clock
from lms.db import get_session
from lms.hooks import panel
from lms.orgs import services as orgs
from lms.records import bp, document, services
from lms.web import attachment, manager_scope

MAX_BRANCH_MEMBERS = 100  # at ~0.2–0.5 s a member, well inside the 60 s worker timeout
FORMATS = {"pdf": "一个 PDF 文件（每人从新的一页开始）", "zip": "ZIP 压缩包（每人一个 PDF 文件）"}


def _download(data: bytes, name: str, ascii_name: str, mimetype: str = "application/pdf"):
    resp = send_file(BytesIO(data), mimetype=mimetype, max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"
    return attachment(resp, name, ascii_name=ascii_name)


def _picker(*, action: str, heading: str, years: list[int], error: str | None = None, fmt: str | None = None,
            status: int = 200, back: tuple[str, str] | None = None, count: int | None = None):
    today = clock.today().year
    return render_template(
        "records/picker.html", action=action, heading=heading, years=years, error=error, formats=FORMATS, fmt=fmt,
        manager=current_user.is_manager,
        first=request.args.get("from", str(today)), last=request.args.get("to", str(today)), back=back, count=count,
    ), status


def _range() -> tuple[int, int]:
    return services.year_range(request.args.get("from"), request.args.get("to"), current=clock.today().year)


# --- a member's own ---------------------------------------------------------------------------


@bp.get("/")
@login_required
def mine():
    session = get_session()
    years = services.offered_years(session=session, user_id=current_user.id, current=clock.today().year)
    return _picker(action=url_for(".mine_pdf"), heading="下载我的学习档案", years=years,
                   back=(url_for("hours.mine"), "我的学时"))


@bp.get("/record.pdf")
@login_required
def mine_pdf():
    session = get_session()
    try:
        first, last = _range()
    except services.RangeError as exc:
        years = services.offered_years(session=session, user_id=current_user.id, current=clock.today().year)
        return _picker(action=url_for(".mine_pdf"), heading="下载我的学习档案", years=years, error=str(exc),
                       status=400, back=(url_for("hours.mine"), "我的学时"))
    me = current_user._get_current_object()
    record = services.member_record(session=session, member=me, first=first, last=last, at=clock.now())
    return _download(document.pdf_of([record]), document.file_name(record), f"record-{first}-{last}.pdf")


# --- a member in a manager's scope ------------------------------------------------------------


@bp.get("/members/<int:user_id>/record.pdf")
@login_required
def member_pdf(user_id: int):
    session, scope = manager_scope()
    member = services.member_in_scope(session=session, scope=scope, user_id=user_id)
    try:
        first, last = _range()
    except services.RangeError as exc:
        years = services.offered_years(session=session, user_id=member.id, current=clock.today().year)
        return _picker(action=url_for(".member_pdf", user_id=member.id), heading=f"下载{member.name}的学习档案",
                       years=years, error=str(exc), status=400,
                       back=(url_for("orgs.member", user_id=member.id), member.name))
    record = services.member_record(session=session, member=member, first=first, last=last, at=clock.now())
    return _download(document.pdf_of([record]), document.file_name(record),
                     f"record-{member.id}-{first}-{last}.pdf")


@panel(bp, "member.extra", order=70)  # last: the record covers all of the above
def member_record_panel(*, viewer, member, **_):
    """On the member page (managers only): download the member's 学习档案 for a year range."""
    if not viewer.is_manager:
        return None
    years = services.offered_years(session=get_session(), user_id=member.id, current=clock.today().year)
    return "records/_member_extra.html", {"member": member, "years": years, "current": clock.today().year}


# --- a whole organisation ---------------------------------------------------------------------


def _branch_page(org, members: int, *, error: str | None = None, status: int = 200):
    years = services.offered_years(session=get_session(), user_id=None, current=clock.today().year)
    return _picker(action=url_for(".branch_download", org_id=org.id), heading=f"{org.name}学习档案", years=years,
                   error=error, fmt=request.args.get("fmt", "pdf"), status=status,
                   back=(url_for("orgs.org", org_id=org.id), org.name), count=members)


@bp.get("/orgs/<int:org_id>")
@login_required
def branch(org_id: int):
    session, scope = manager_scope()
    org = orgs.get_org(session=session, scope=scope, org_id=org_id)
    return _branch_page(org, len(services.branch_members(session=session, scope=scope, org=org)))


@bp.get("/orgs/<int:org_id>/download")
@login_required
def branch_download(org_id: int):
    session, scope = manager_scope()
    org = orgs.get_org(session=session, scope=scope, org_id=org_id)
    members = services.branch_members(session=session, scope=scope, org=org)
    fmt = request.args.get("fmt", "pdf")
    try:
        if fmt not in FORMATS:
            raise services.RangeError("请选择导出格式。")
        first, last = _range()
        if not members:
            raise services.RangeError("该组织没有在册党员，无可导出的学习档案。")
        if len(members) > MAX_BRANCH_MEMBERS:
            raise services.RangeError(f"该组织共 {len(members)} 人，一次最多导出 {MAX_BRANCH_MEMBERS} 人，请按下级支部分别导出。")
    except services.RangeError as exc:
        return _branch_page(org, len(members), error=str(exc), status=400)
    now = clock.now()
    records = [services.member_record(session=session, member=m, first=first, last=last, at=now) for m in members]
    span = f"{first}" if first == last else f"{first}-{last}"
    if fmt == "zip":
        return _download(document.zip_of(records), f"学习档案-{org.name}-{span}.zip", f"records-{org.id}-{span}.zip",
                         "application/zip")
    return _download(document.pdf_of(records), f"学习档案-{org.name}-{span}.pdf", f"records-{org.id}-{span}.pdf")
