"""Bench data: a 党委 of N members with a year of ledger rows, bulk-loaded into a migrated database.

    .venv/bin/python bench/datagen.py --url sqlite:///bench/out/bench.db --members 100000

The database must already be migrated and have content synced (lessons are referenced). Members
are `B0000001`… with the password `bench1234`; branch 1 always has exactly 1,000 members (the
"1,000-member branch report"), the rest are spread evenly. Rows: per member, online study on
random days and lessons, a few 集中学习 entries and now and then an approved self report — about
25 rows a member, shaped like a year of real use up to `today`.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lms import clock  # noqa: E402

PASSWORD = "bench1234"
COMMITTEE = "基准测试党委"
BIG_BRANCH_MEMBERS = 1000
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "建国秀英志强丽华海燕国庆晓明春梅卫东玉兰文军桂芳俊杰红霞立新振华淑珍光辉"


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _copy_or_insert(conn, table: str, columns: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
    else:
        placeholders = ", ".join("?" for _ in columns)
        conn.connection.driver_connection.executemany(
            f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({placeholders})',
            [tuple(_sqlite_value(v) for v in row) for row in rows],
        )


def _sqlite_value(v):
    if isinstance(v, datetime):
        return v.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    return v


def generate(url: str, *, members: int = 100_000, branches: int | None = None, today: date | None = None,
             seed: int = 1, log=print) -> dict:
    """Load the data set; returns ids and counts for the scenarios."""
    rng = random.Random(seed)
    today = today or clock.today()
    year = today.year
    engine = sa.create_engine(url)
    branches = branches or max(2, 1 + (members - BIG_BRANCH_MEMBERS) // 1000)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with engine.begin() as conn:
        lessons = conn.execute(
            sa.text("SELECT id, course_id, hours FROM lesson WHERE retired_at IS NULL ORDER BY id")
        ).all()
        if not lessons:
            raise SystemExit("no lessons: run `flask lms content sync` on this database first")
        if conn.execute(sa.text("SELECT 1 FROM organization WHERE name = :n"), {"n": COMMITTEE}).first():
            raise SystemExit(f"{COMMITTEE} already exists in this database")
        committee_id = conn.execute(
            sa.text("INSERT INTO organization (name, kind, path, created_at) VALUES (:n, '党委', '', :t) RETURNING id"),
            {"n": COMMITTEE, "t": _sqlite_value(now) if conn.dialect.name == "sqlite" else now},
        ).scalar_one()
        conn.execute(sa.text("UPDATE organization SET path = :p WHERE id = :i"), {"p": f"/{committee_id}/", "i": committee_id})
        branch_ids = []
        for b in range(1, branches + 1):
            bid = conn.execute(
                sa.text("INSERT INTO organization (name, kind, parent_id, path, created_at) "
                        "VALUES (:n, '党支部', :p, '', :t) RETURNING id"),
                {"n": f"基准第{b}党支部", "p": committee_id, "t": _sqlite_value(now) if conn.dialect.name == "sqlite" else now},
            ).scalar_one()
            conn.execute(sa.text("UPDATE organization SET path = :p WHERE id = :i"),
                         {"p": f"/{committee_id}/{bid}/", "i": bid})
            branch_ids.append(bid)

        pw = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        first_user = (conn.execute(sa.text('SELECT COALESCE(MAX(id), 0) FROM "user"')).scalar_one() or 0) + 1
        user_rows, assignment = [], []
        for i in range(members):
            branch = branch_ids[0] if i < BIG_BRANCH_MEMBERS else branch_ids[1 + (i - BIG_BRANCH_MEMBERS) % (len(branch_ids) - 1)]
            uid = first_user + i
            assignment.append((uid, branch))
            user_rows.append((uid, _name(rng), f"B{i + 1:07d}", None, pw, "member", branch, True, False, 1, now))
        # one secretary per branch (the first member of each), one admin at the committee
        sec_of = {}
        for uid, branch in assignment:
            sec_of.setdefault(branch, uid)
        secretaries = set(sec_of.values())
        user_rows = [r[:5] + (("secretary",) if r[0] in secretaries else (r[5],)) + r[6:] for r in user_rows]
        admin_id = first_user + members
        user_rows.append((admin_id, "基准管理员", "BADMIN", None, pw, "admin", committee_id, True, False, 1, now))
        _copy_or_insert(conn, "user", ["id", "name", "member_no", "phone", "password_hash", "role", "org_id", "active",
                                        "must_change_password", "session_version", "created_at"], user_rows)
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('\"user\"', 'id'), (SELECT MAX(id) FROM \"user\"))"))
        log(f"  {members:,} members in {branches} branches ({time.perf_counter() - started:.1f} s)")

        days = (today - date(year, 1, 1)).days + 1
        ledger, n = [], 0
        for uid, _branch in assignment:
            # Members differ: some keep up, some lag behind, a few have not started.
            zeal = rng.choice((0.0, 0.3, 0.6, 0.9, 1.0, 1.2, 1.5))
            used: set[tuple[int, date]] = set()
            for _ in range(int(18 * zeal)):
                lid, cid, hours = rng.choice(lessons)
                d = date(year, 1, 1) + timedelta(days=rng.randrange(days))
                if (lid, d) in used:
                    continue
                used.add((lid, d))
                ledger.append((uid, "online", rng.randint(300, int(float(hours) * 3600)), d, year, lid, cid, None, ""))
            for _ in range(int(4 * zeal)):
                d = date(year, 1, 1) + timedelta(days=rng.randrange(days))
                ledger.append((uid, "offline", rng.choice((5400, 7200, 10800, 14400)), d, year, None, None, admin_id,
                               "集中学习"))
            if rng.random() < 0.2 * zeal:
                d = date(year, 1, 1) + timedelta(days=rng.randrange(days))
                ledger.append((uid, "self_report", rng.choice((1800, 3600, 5400)), d, year, None, None, admin_id,
                               "个人自学"))
            if len(ledger) >= 50_000:
                _flush_ledger(conn, ledger, now)
                n += len(ledger)
                ledger = []
        _flush_ledger(conn, ledger, now)
        n += len(ledger)
    engine.dispose()
    elapsed = time.perf_counter() - started
    log(f"  {n:,} ledger rows for {year} ({elapsed:.1f} s in all)")
    return {
        "committee_id": committee_id,
        "big_branch_id": branch_ids[0],
        "branch_ids": branch_ids,
        "admin_login": "BADMIN",
        "secretary_login": f"B{1:07d}",
        "member_logins": [f"B{i + 1:07d}" for i in range(1, min(members, 2001))],
        "password": PASSWORD,
        "members": members,
        "ledger_rows": n,
        "year": year,
        "seconds": round(elapsed, 1),
    }


def _flush_ledger(conn, rows: list[tuple], now: datetime) -> None:
    _copy_or_insert(
        conn,
        "ledger_entry",
        ["user_id", "source", "seconds", "local_date", "year", "lesson_id", "course_id", "recorded_by_id", "note",
         "created_at", "updated_at"],
        [r + (now, now) for r in rows],
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--members", type=int, default=100_000)
    ap.add_argument("--branches", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    info = generate(args.url, members=args.members, branches=args.branches, seed=args.seed)
    print({k: v for k, v in info.items() if k not in ("member_logins", "branch_ids")})


if __name__ == "__main__":
    main()
