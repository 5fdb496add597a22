from __future__ import annotations

from datetime import date

from flask import abort, render_template, request
from flask_login import current_user, login_required

from lms.access import scope_for
from lms.audit import bp, services
from lms.db import get_session
from lms.web import bounded_int


def _parse_date(raw: str, label: str, errors: list[str]) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(f"{label}“{raw}”不是有效日期，请按 2025-01-31 的格式填写。")
        return None


@bp.route("/")
@login_required
def index():
    if not current_user.is_admin:
        abort(403)
    session = get_session()
    scope = scope_for(session=session, user=current_user)
    args = {k: request.args.get(k, "").strip() for k in ("action", "actor", "from", "to")}
    errors: list[str] = []
    filters = services.EventFilter(
        action=args["action"] or None,
        actor=args["actor"] or None,
        date_from=_parse_date(args["from"], "开始日期", errors),
        date_to=_parse_date(args["to"], "结束日期", errors),
    )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        errors.append("开始日期不能晚于结束日期。")
    page = request.args.get("page", 1, type=bounded_int) or 1
    result = services.list_events(session=session, scope=scope, filters=filters, page=page)
    actions = services.actions_in_scope(session=session, scope=scope)
    return render_template(
        "audit/index.html", result=result, actions=actions, args=args, errors=errors,
        filtered=any(args.values()), link_args={k: v for k, v in args.items() if v},
    )
