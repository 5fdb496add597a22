from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user, login_required

from lms.db import get_session
from lms.orgs import bp, services


def _manager_scope():
    if not current_user.is_manager:
        abort(403)
    session = get_session()
    return session, services.scope_for(session=session, user=current_user)


@bp.route("/")
@login_required
def index():
    session, scope = _manager_scope()
    orgs = services.orgs_in_scope(session=session, scope=scope)
    counts = services.branch_counts(session=session, scope=scope)
    return render_template("orgs/index.html", orgs=orgs, counts=counts)


@bp.route("/<int:org_id>")
@login_required
def org(org_id: int):
    session, scope = _manager_scope()
    org = services.get_org(session=session, scope=scope, org_id=org_id)
    q = request.args.get("q", "").strip()
    members = services.members_in_scope(session=session, scope=scope, org_id=org.id, q=q or None)
    return render_template("orgs/org.html", org=org, members=members, q=q)


@bp.route("/members/<int:user_id>")
@login_required
def member(user_id: int):
    session, scope = _manager_scope()
    user = services.get_member(session=session, scope=scope, user_id=user_id)
    org = services.get_org(session=session, scope=scope, org_id=user.org_id)
    return render_template("orgs/member.html", member=user, org=org)
