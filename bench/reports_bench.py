"""Report timings: the committee roll-up and a 1,000-member branch report over a year of ledger rows.

    .venv/bin/python bench/reports_bench.py --quick            # 20,000 members, SQLite and PostgreSQL
    .venv/bin/python bench/reports_bench.py                    # 100,000 members
    .venv/bin/python bench/reports_bench.py --sqlite-only --members 50000

For each database: a fresh one (a SQLite file under bench/out/, a new PostgreSQL database that is
dropped at the end), `alembic upgrade head`, content sync, `bench/datagen.py` (a 党委 of N members,
~25 ledger rows each), ANALYZE, then the services are called directly inside an app context —
warm-up once, then N timed repetitions, each in a fresh session — and the median and p95 are
printed with the query plans (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL).

`run(url, members)` does all of it on a given, empty database URL and returns the figures, for
another harness to call.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import datagen  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def prepare(url: str):
    """Migrate and sync the content into an empty database; returns the app."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, "head")

    from lms import clock, create_app
    from lms.content.loader import load_tree
    from lms.content.sync import sync_content
    from lms.db import cli_session

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "INSTANCE_PATH": tempfile.mkdtemp()})
    with app.app_context(), cli_session() as s:
        courses, problems = load_tree(Path(app.config["CONTENT_DIR"]))
        assert not problems, problems
        sync_content(session=s, courses=courses, now=clock.now())
    return app


def _timed(fn, repeat: int) -> dict:
    fn()  # warm: caches, plans, the OS page cache
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, max(0, round(0.95 * len(samples)) - 1))]
    return {"median_ms": round(statistics.median(samples), 1), "p95_ms": round(p95, 1), "runs": repeat}


def _explain(conn, stmt) -> str:
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    if compiled.positional:
        params = tuple(params[k] for k in compiled.positiontup)
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + str(compiled), params).all()
        return "\n".join(r[0] for r in rows)
    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params).all()
    return "\n".join(f"{'  ' * 0}{r[3]}" for r in rows)


def run(url: str, members: int = 100_000, *, repeat: int = 10, log=print) -> dict:
    """Build the data set in the (empty) database at `url` and time both reports."""
    from sqlmodel import select

    from lms import clock, units
    from lms.access import scope_for
    from lms.auth.models import User
    from lms.db import cli_session, engine
    from lms.orgs.models import Organization
    from lms.reports import committee
    from lms.reports import services as reports

    started = time.perf_counter()
    app = prepare(url)
    info = datagen.generate(url, members=members, log=log)
    today, year = clock.today(), info["year"]
    with app.app_context():
        # After a bulk load: what autovacuum would do (statistics, and PostgreSQL's visibility map,
        # without which it will not use index-only scans).
        with engine().connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.commit()
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
            else:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
        with cli_session(write=False) as s:
            admin = s.exec(select(User).where(User.member_no == info["admin_login"])).one()
            secretary = s.exec(select(User).where(User.member_no == info["secretary_login"])).one()
            admin_scope = scope_for(session=s, user=admin)
            sec_scope = scope_for(session=s, user=secretary)
            big = s.get(Organization, info["big_branch_id"])
            root = s.get(Organization, info["committee_id"])

        def rollup():
            with cli_session(write=False) as s:
                return committee.committee_rollup(session=s, scope=admin_scope, year=year, today=today)

        def branch():
            with cli_session(write=False) as s:
                return reports.branch_report(session=s, scope=sec_scope, org_id=big.id, year=year, today=today)

        r, b = rollup(), branch()
        assert r.overall.members == members + 1 and b.members == datagen.BIG_BRANCH_MEMBERS
        rollup_t = _timed(rollup, repeat)
        branch_t = _timed(branch, repeat)
        required = units.required_seconds()
        with engine().connect() as conn, cli_session(write=False) as s:
            plans = {
                "rollup": _explain(conn, committee.rollup_query(
                    org_ids=reports.subtree_org_ids(session=s, scope=admin_scope, org=root), year=year,
                    required=required,
                    expected=units.expected_seconds(required=required, year=year, today=today),
                    bin_seconds=reports.BIN_HOURS * units.seconds_per_credit_hour())),
                "branch": _explain(conn, reports.branch_query(
                    org_ids=reports.subtree_org_ids(session=s, scope=sec_scope, org=big), year=year)),
            }
    app.extensions["lms_engine"].dispose()
    return {
        "database": sa.engine.make_url(url).get_backend_name(),
        "members": members,
        "ledger_rows": info["ledger_rows"],
        "branches": len(info["branch_ids"]),
        "committee_rollup": rollup_t,
        "branch_report_1000": branch_t,
        "reached": r.overall.done,
        "plans": plans,
        "setup_seconds": round(time.perf_counter() - started, 1),
    }


def _print(result: dict) -> None:
    print(f"\n== {result['database']}: {result['members']:,} members, {result['ledger_rows']:,} ledger rows, "
          f"{result['branches']} branches (setup {result['setup_seconds']} s)")
    for key, label in (("committee_rollup", "committee roll-up"), ("branch_report_1000", "1,000-member branch")):
        t = result[key]
        print(f"  {label:22s} median {t['median_ms']:8.1f} ms   p95 {t['p95_ms']:8.1f} ms   ({t['runs']} runs)")
    for name, plan in result["plans"].items():
        print(f"\n  -- plan: {name}")
        print("\n".join("     " + line for line in plan.splitlines()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--members", type=int, default=None, help="default 100,000 (20,000 with --quick)")
    ap.add_argument("--quick", action="store_true", help="20,000 members, 5 repetitions")
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument("--postgres", default=DEFAULT_PG, help="an admin URL: a fresh database is created next to it")
    ap.add_argument("--sqlite-only", action="store_true")
    ap.add_argument("--postgres-only", action="store_true")
    args = ap.parse_args()
    members = args.members or (20_000 if args.quick else 100_000)
    repeat = args.repeat or (5 if args.quick else 10)
    results = []

    if not args.postgres_only:
        out = ROOT / "bench" / "out"
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"reports-{uuid.uuid4().hex[:8]}.db"
        try:
            results.append(run(f"sqlite:///{path}", members, repeat=repeat))
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        _print(results[-1])

    if not args.sqlite_only:
        name = f"lms_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.engine.make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
        try:
            results.append(run(url, members, repeat=repeat))
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
        _print(results[-1])

    print("\nsummary")
    for r in results:
        print(f"  {r['database']:10s} {r['members']:>7,} members  roll-up median {r['committee_rollup']['median_ms']} ms "
              f"(p95 {r['committee_rollup']['p95_ms']})  branch median {r['branch_report_1000']['median_ms']} ms "
              f"(p95 {r['branch_report_1000']['p95_ms']})")


if __name__ == "__main__":
    main()
