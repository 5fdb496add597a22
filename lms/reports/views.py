from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from lms import clock, units
from lms.orgs import services as orgs
from lms.reports import bp, charts, committee, exports, services
from lms.reports.services import STATUS_LABELS, View
from lms.web import attachment, manager_scope, year_arg


def _years(selected: int) -> list[int]:
    current = clock.today().year
    return sorted({*range(current, current - 5, -1), selected}, reverse=True)


def _view() -> View:
    return View.parse(request.args.get("status"), request.args.get("q"), request.args.get("sort"))


def _required_hours() -> float:
    return units.required_hours()


@bp.get("/")
@login_required
def index():
    """Admins: the roll-up of their tree. Secretaries: their own branch's table."""
    session, scope = manager_scope()
    year = year_arg()
    if current_user.is_secretary:
        return redirect(url_for("reports.org", org_id=current_user.org_id, year=year))
    return _rollup_page(session, scope, None, year)


def _rollup_page(session, scope, org_id: int | None, year: int):
    rollup = committee.committee_rollup(session=session, scope=scope, year=year, today=clock.today(), org_id=org_id)
    chart = charts.histogram(
        rollup.bins, bin_hours=services.BIN_HOURS, required_hours=_required_hours(),
        title=f"{rollup.root.name} {year} 年党员学时分布",
    )
    return render_template("reports/rollup.html", rollup=rollup, year=year, years=_years(year), chart=chart,
                           bin_hours=services.BIN_HOURS)


@bp.get("/org/<int:org_id>")
@login_required
def org(org_id: int):
    session, scope = manager_scope()
    year = year_arg()
    target = orgs.get_org(session=session, scope=scope, org_id=org_id)
    if not target.is_branch and request.args.get("view") != "members":
        return _rollup_page(session, scope, target.id, year)
    today = clock.today()
    report = services.branch_report(session=session, scope=scope, org_id=target.id, year=year, today=today)
    view = _view()
    rows = view.apply(report.rows)
    monthly = committee.monthly_progress(session=session, scope=scope, org=target, year=year)
    sph = units.seconds_per_credit_hour()
    return render_template(
        "reports/branch.html", report=report, rows=rows, view=view, year=year, years=_years(year),
        statuses=STATUS_LABELS, columns=exports.columns(report), text=exports.text,
        histogram=charts.histogram(
            committee.distribution(report.rows), bin_hours=services.BIN_HOURS, required_hours=_required_hours(),
            title=f"{target.name} {year} 年党员学时分布",
        ),
        progress=charts.progress_chart(
            monthly, members=report.members, seconds_per_hour=sph, required_hours=_required_hours(), year=year,
            today=today, title=f"{target.name} {year} 年人均累计学时",
        ),
        bin_hours=services.BIN_HOURS,
    )


def _export(org_id: int, kind: str) -> Response:
    session, scope = manager_scope()
    year = year_arg()
    report = services.branch_report(session=session, scope=scope, org_id=org_id, year=year, today=clock.today())
    rows = _view().apply(report.rows)
    name = f"{report.org.name}_{year}年学时"
    if kind == "csv":
        body, mimetype = exports.to_csv(report, rows), "text/csv; charset=utf-8"
    else:
        body = exports.to_xlsx(report, rows, title=name)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    resp = attachment(Response(body, mimetype=mimetype), f"{name}.{kind}", ascii_name=f"report-{org_id}-{year}.{kind}")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/org/<int:org_id>/export.csv")
@login_required
def export_csv(org_id: int):
    return _export(org_id, "csv")


@bp.get("/org/<int:org_id>/export.xlsx")
@login_required
def export_xlsx(org_id: int):
    return _export(org_id, "xlsx")
