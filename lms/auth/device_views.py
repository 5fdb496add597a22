"""登录设备: the member's signed-in devices (browser and system, address, signed in, last seen);
sign out one of them, or every device but this one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from lms import clock
from lms.auth import bp, login_sessions
from lms.config import settings
from lms.db import get_session


@dataclass(frozen=True)
class Device:
    id: int
    label: str  # "Chrome 120 · Windows 10"
    ip: str
    signed_in_at: datetime
    last_seen_at: datetime
    remembered: bool
    current: bool


@bp.get("/account/devices")
@login_required
def devices():
    logins = login_sessions.live(session=get_session(), user=current_user, at=clock.now(),
                                 days=settings().remember_days)
    rows = [
        Device(id=x.id, label=login_sessions.describe(x.user_agent), ip=x.ip, signed_in_at=x.created_at,
               last_seen_at=x.last_seen_at, remembered=x.remember_hash is not None,
               current=x.id == current_user.login_id)
        for x in logins
    ]
    rows.sort(key=lambda d: not d.current)  # this device first, then the most recently seen
    return render_template("auth/devices.html", devices=rows, days=settings().remember_days)


@bp.post("/account/devices/<int:login_id>/end")
@login_required
def device_end(login_id: int):
    if login_id == current_user.login_id:
        flash("这是您正在使用的设备。要在这里退出，请点右上角的“退出”。", "info")
        return redirect(url_for("auth.devices"))
    session = get_session()
    at = clock.now()
    # Only one of the member's own live logins (an id out of range never reaches the database).
    mine = {x.id for x in login_sessions.live(session=session, user=current_user, at=at, days=settings().remember_days)}
    if login_id not in mine or not login_sessions.end(session=session, user_id=current_user.id, login_id=login_id,
                                                       at=at):
        abort(404)
    session.commit()
    flash("已在该设备上退出登录。", "success")
    return redirect(url_for("auth.devices"))


@bp.post("/account/devices/end-others")
@login_required
def devices_end_others():
    session = get_session()
    ended = login_sessions.end_others(session=session, user_id=current_user.id, keep=current_user.login_id,
                                      at=clock.now())
    session.commit()
    flash(f"已在其他 {ended} 台设备上退出登录。" if ended else "没有其他已登录的设备。", "success" if ended else "info")
    return redirect(url_for("auth.devices"))
