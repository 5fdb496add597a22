from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from lms.hooks import collect_panels
from lms.orgs import bp, roster, services
from lms.web import bounded_int, manager_scope

PER_PAGE = 100


@bp.route("/home")
@login_required
def home():
    """Where "组织与党员" leads: a secretary to their branch's roster, an admin to the overview."""
    if not current_user.is_manager:
        abort(403)
    if current_user.is_admin:
        return redirect(url_for("orgs.index"))
    return redirect(url_for("orgs.org", org_id=current_user.org_id))


@bp.route("/")
@login_required
def index():
    session, scope = manager_scope()
    orgs = services.orgs_in_scope(session=session, scope=scope)
    counts = services.branch_counts(session=session, scope=scope)
    return render_template("orgs/index.html", orgs=orgs, counts=counts)


@bp.route("/<int:org_id>")
@login_required
def org(org_id: int):
    session, scope = manager_scope()
    org = services.get_org(session=session, scope=scope, org_id=org_id)
    q = request.args.get("q", "").strip()
    status = request.args.get("status", "active")
    if status not in services.STATUS_FILTERS:
        status = "active"
    members, total, page = services.member_page(
        session=session, scope=scope, org_id=org.id, q=q or None, status=status,
        page=request.args.get("page", 1, type=bounded_int) or 1, per_page=PER_PAGE,
    )
    pages = max(1, -(-total // PER_PAGE))
    org_names = {o.id: o.name for o in services.orgs_in_scope(session=session, scope=scope)} if not org.is_branch else {}
    return render_template(
        "orgs/org.html", org=org, members=members, q=q, status=status, statuses=services.STATUS_FILTERS,
        total=total, page=page, pages=pages, org_names=org_names,
    )


@bp.route("/members/<int:user_id>")
@login_required
def member(user_id: int):
    session, scope = manager_scope()
    user = services.get_member(session=session, scope=scope, user_id=user_id)
    org = services.get_org(session=session, scope=scope, org_id=user.org_id)
    collect_panels("member.extra", viewer=current_user, member=user)
    return render_template(
        "orgs/member.html", member=user, org=org, manageable=roster.can_manage(current_user, user),
    )
