"""Recording audit events (in the caller's transaction) and listing them for admins, scoped."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.exceptions import Forbidden

from lms import clock
from lms.access import Scope
from lms.audit.models import AuditEvent
from lms.auth.models import User
from lms.orgs.models import Organization

# Labels for the filter and the list. Slices that record new actions add their label here.
ACTION_LABELS: dict[str, str] = {
    "member.create": "添加党员",
    "member.update": "修改党员信息",
    "member.deactivate": "停用账号",
    "member.reactivate": "恢复账号",
    "member.move": "调整所在支部",
    "member.password_reset": "重置密码",
    "roster.import": "批量导入党员",
    "session.record": "登记集中学习",
    "session.update": "修改集中学习",
    "session.void": "作废集中学习",
    "session.approve": "批准集中学习",
    "session.reject": "退回集中学习",
    "certificate.issue": "签发证书",
    "certificate.reissue": "重新签发证书",
    "certificate.revoke": "撤销证书",
    "certificate.flag": "证书标记待复核",
    "certificate.flag_clear": "解除证书复核标记",
    "self_report.approve": "批准自学申报",
    "self_report.reject": "退回自学申报",
    "study.void": "不予认定学时",
    "study.clear": "核实学时异常无误",
}


DETAIL_LABELS: dict[str, str] = {
    "name": "姓名",
    "member_no": "党员编号",
    "phone": "手机号",
    "role": "角色",
    "org": "所在支部",
    "changes": "修改内容",
    "from_org": "原支部",
    "to_org": "新支部",
    "count": "人数",
    "filename": "文件",
    "branches": "涉及支部",
    "password": "密码",
    "type": "类型",
    "topic": "主题",
    "date": "日期",
    "duration": "时长",
    "start_time": "开始时间",
    "place": "地点",
    "attendees": "参加人员",
    "added": "新增参加人员",
    "removed": "移除参加人员",
    "reason": "理由",
    "member": "党员",
    "minutes": "分钟",
    "batch": "批量处理",
    "flag": "复核标记",
    "status": "状态",
    "lesson": "课程",
    "serial": "证书编号",
    "subject": "证书事项",
    "category": "撤销类别",
    "replaces": "替代的证书",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def _text(value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{DETAIL_LABELS.get(k, k)}：{_text(v)}" for k, v in value.items())
    return str(value)


def detail_lines(details: dict[str, Any]) -> list[tuple[str, str]]:
    """Details as (label, text) lines; a change is shown as "old → new"."""
    lines = []
    for key, value in (details or {}).items():
        if key == "changes" and isinstance(value, dict):
            for field_name, change in value.items():
                label = DETAIL_LABELS.get(field_name, field_name)
                if isinstance(change, list | tuple) and len(change) == 2:
                    lines.append((label, f"{_text(change[0])} → {_text(change[1])}"))
                else:
                    lines.append((label, _text(change)))
        elif key == "user_ids":
            continue
        else:
            lines.append((DETAIL_LABELS.get(key, key), _text(value)))
    return lines


def record(
    *,
    session: Session,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: int | None,
    org_id: int,
    summary: str,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event to the caller's transaction (add + flush; the caller commits)."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        org_id=org_id,
        summary=summary[:500],
        details=details or {},
        created_at=clock.now(),
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class EventFilter:
    action: str | None = None
    actor: str | None = None  # name, 党员编号 or 手机号 (substring)
    date_from: date | None = None  # local dates, inclusive
    date_to: date | None = None


@dataclass
class EventRow:
    event: AuditEvent
    actor: User | None
    org: Organization

    @property
    def action_label(self) -> str:
        return action_label(self.event.action)

    @property
    def detail_lines(self) -> list[tuple[str, str]]:
        return detail_lines(self.event.details)


@dataclass
class EventPage:
    rows: list[EventRow] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 50

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _local_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.zone())


def _require_admin(scope: Scope) -> None:
    if scope.role != "admin" or scope.path is None:
        raise Forbidden()


def _scoped(scope: Scope, filters: EventFilter):
    stmt = (
        select(AuditEvent, User, Organization)
        .join(Organization, AuditEvent.org_id == Organization.id)
        .outerjoin(User, AuditEvent.actor_id == User.id)
        .where(Organization.path.startswith(scope.path, autoescape=True))
    )
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.actor:
        like = f"%{filters.actor.strip()}%"
        stmt = stmt.where(sa.or_(User.name.like(like), User.member_no.like(like), User.phone.like(like)))
    if filters.date_from:
        stmt = stmt.where(AuditEvent.created_at >= _local_start(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(AuditEvent.created_at < _local_start(filters.date_to + timedelta(days=1)))
    return stmt


def list_events(
    *, session: Session, scope: Scope, filters: EventFilter, page: int = 1, per_page: int = 50
) -> EventPage:
    """Events about organisations in the admin's subtree, newest first. Others: 403."""
    _require_admin(scope)
    stmt = _scoped(scope, filters)
    total = session.exec(select(sa.func.count()).select_from(stmt.subquery())).one()
    result = EventPage(total=total, per_page=per_page)
    result.page = min(max(1, page), result.pages)
    rows = session.exec(
        stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .offset((result.page - 1) * per_page)
        .limit(per_page)
    )
    result.rows = [EventRow(event=e, actor=u, org=o) for e, u, o in rows]
    return result


def actions_in_scope(*, session: Session, scope: Scope) -> list[tuple[str, str]]:
    """(action, label) pairs for the filter: the known actions plus any recorded in scope."""
    _require_admin(scope)
    seen = set(
        session.exec(
            select(AuditEvent.action)
            .join(Organization, AuditEvent.org_id == Organization.id)
            .where(Organization.path.startswith(scope.path, autoescape=True))
            .distinct()
        )
    )
    known = [a for a in ACTION_LABELS if a.startswith(("member.", "roster.")) or a in seen]
    return [(a, action_label(a)) for a in known + sorted(seen - set(known))]
