"""Beat throughput and latency: the real /hours/beat under gunicorn against a bare Flask endpoint.

    .venv/bin/python bench/beat_bench.py --quick                 # about a minute, SQLite
    .venv/bin/python bench/beat_bench.py                         # longer runs, more members
    .venv/bin/python bench/beat_bench.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Both servers are gunicorn on 127.0.0.1 with the same workers and the same LMS_DATABASE_URL; the
driver (threads, bounded concurrency, bounded time) sends the same request to each. Members are
logged in over HTTP and each opens a study session; every member beats at most once per
1.1 s, so each real beat is measured 1–60 s after the previous one and takes the write path
(the one beat UPDATE + the ledger upsert), not the "too fast" shortcut. The report gives req/s, p50 and
p99 for both and the ratio.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
PASSWORD = "bench-pass-1"
MIN_USER_GAP = 1.1  # seconds between two beats of one member
LESSON_KEY = "cadre-selection-regulations/good-cadre-standard"


# ---------------------------------------------------------------- database

def prepare_database(url: str, users: int, instance: Path) -> tuple[list[str], int]:
    """Migrate, sync content and create `users` members; returns their logins and the lesson id."""
    from alembic import command
    from alembic.config import Config
    from sqlmodel import select
    from werkzeug.security import generate_password_hash

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, "head")

    from lms import clock, create_app
    from lms.auth.models import User
    from lms.content.loader import load_tree
    from lms.content.models import Lesson
    from lms.content.sync import sync_content
    from lms.db import cli_session
    from lms.orgs.services import create_org

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(instance)})
    # One cheap hash shared by all bench members: logging in is setup, not what is measured.
    pw_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
    logins = [f"B{i:06d}" for i in range(users)]
    with app.app_context(), cli_session() as s:
        courses, problems = load_tree(Path(app.config["CONTENT_DIR"]))
        assert not problems, problems
        sync_content(session=s, courses=courses, now=clock.now())
        branch = create_org(session=s, name="压测支部", kind="党支部")
        s.add_all(
            User(name=f"压测{i}", member_no=login, password_hash=pw_hash, org_id=branch.id, must_change_password=False)
            for i, login in enumerate(logins)
        )
        lesson_id = s.exec(select(Lesson.id).where(Lesson.key == LESSON_KEY)).one()
    app.extensions["lms_engine"].dispose()
    return logins, lesson_id


# ---------------------------------------------------------------- servers

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(target: str, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "sync", "-b", f"{HOST}:{port}",
           "--chdir", str(ROOT), "--log-level", "warning", "--backlog", "2048", target]
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=ROOT)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn for {target} exited with {proc.returncode}") from None
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"gunicorn for {target} did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


# ---------------------------------------------------------------- HTTP

def request(port: int, method: str, path: str, body: dict | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    data = urlencode(body) if body is not None else None
    hdrs = {"User-Agent": "beat-bench", **(headers or {})}
    if data is not None:
        hdrs["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=data, headers=hdrs)
    resp = conn.getresponse()
    payload = resp.read()
    cookies = [v for k, v in resp.getheaders() if k.lower() == "set-cookie"]
    conn.close()
    return resp.status, payload, cookies


def session_cookie(cookies: list[str], current: str | None) -> str | None:
    for c in cookies:
        m = re.match(r"session=([^;]*)", c)
        if m:
            return m.group(1)
    return current


def open_study_session(port: int, login: str, lesson_id: int) -> dict:
    """Log in over HTTP and open the lesson's study session: the member's cookie, CSRF and token."""
    status, html, cookies = request(port, "GET", "/login")
    cookie = session_cookie(cookies, None)
    csrf = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html).group(1).decode()
    status, _, cookies = request(port, "POST", "/login", {"login": login, "password": PASSWORD, "csrf_token": csrf},
                                 {"Cookie": f"session={cookie}"})
    assert status == 302, f"login failed for {login}: {status}"
    cookie = session_cookie(cookies, cookie)
    status, body, cookies = request(port, "POST", "/hours/start", {"lesson_id": lesson_id},
                                    {"Cookie": f"session={cookie}", "X-CSRFToken": csrf})
    assert status == 200, f"start failed: {status} {body[:200]!r}"
    cookie = session_cookie(cookies, cookie)
    return {"cookie": cookie, "csrf": csrf, "token": json.loads(body)["token"]}


def parallel(n_threads: int, items, fn):
    results, errors = [None] * len(items), []
    lock, index = threading.Lock(), iter(range(len(items)))

    def work():
        while True:
            with lock:
                i = next(index, None)
            if i is None:
                return
            try:
                results[i] = fn(items[i])
            except Exception as e:  # noqa: BLE001 - reported after the run
                errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


# ---------------------------------------------------------------- the measured run

def drive(port: int, path: str, members: list[dict], concurrency: int, duration: float, spacing: float) -> dict:
    """Beat for `duration` seconds with `concurrency` threads; each member at most once per `spacing` s."""
    queue = collections.deque((0.0, m) for m in members)
    lock = threading.Lock()
    latencies: list[float] = []
    states: collections.Counter = collections.Counter()
    credited = [0]
    waited = [0.0]
    failures = [0]
    stop_at = time.perf_counter() + duration

    def worker():
        local_lat, local_states, local_credit, local_wait, local_fail = [], collections.Counter(), 0, 0.0, 0
        while True:
            with lock:
                due, member = queue.popleft()
            now = time.perf_counter()
            if due > now:
                local_wait += due - now
                time.sleep(due - now)
            if time.perf_counter() >= stop_at:
                with lock:
                    queue.append((due, member))
                break
            t0 = time.perf_counter()
            status, body, _ = request(port, "POST", path, {"token": member["token"]},
                                      {"Cookie": f"session={member['cookie']}", "X-CSRFToken": member["csrf"]})
            t1 = time.perf_counter()
            with lock:
                queue.append((t1 + spacing, member))
            local_lat.append(t1 - t0)
            if status == 200:
                answer = json.loads(body)
                local_states[answer["state"]] += 1
                local_credit += answer.get("credited", 0)
            else:
                local_fail += 1
        with lock:
            latencies.extend(local_lat)
            states.update(local_states)
            credited[0] += local_credit
            waited[0] += local_wait
            failures[0] += local_fail

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 100 else [latencies[-1]] * 99
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * q[98],
        "states": dict(states),
        "credited_s": credited[0],
        "driver_wait_share": waited[0] / (concurrency * elapsed),
        "failures": failures[0],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short runs (well under 2 minutes in all)")
    ap.add_argument("--workers", type=int, default=max(2, (os.cpu_count() or 2) * 2))
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--duration", type=float, default=None, help="seconds per server (default 20, quick 8)")
    ap.add_argument("--users", type=int, default=None, help="members beating (default 3000, quick 1500)")
    ap.add_argument("--postgres", metavar="ADMIN_URL", help="run on a temporary PostgreSQL database")
    args = ap.parse_args(argv)
    duration = args.duration or (8.0 if args.quick else 20.0)
    users = args.users or (1500 if args.quick else 3000)

    tmp = Path(tempfile.mkdtemp(prefix="beat-bench-"))
    pg_admin, pg_name = args.postgres, None
    if pg_admin:
        import sqlalchemy as sa

        pg_name = f"lms_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(pg_admin, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{pg_name}"')
        admin.dispose()
        url = sa.engine.make_url(pg_admin).set(database=pg_name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp / 'bench.db'}"

    procs = []
    try:
        t0 = time.perf_counter()
        logins, lesson_id = prepare_database(url, users, tmp / "instance")
        env = {"LMS_DATABASE_URL": url, "LMS_SECRET_KEY": "bench-secret", "LMS_RATELIMIT_ENABLED": "false"}
        app_port, bare_port = free_port(), free_port()
        procs.append(start_gunicorn("wsgi:app", app_port, args.workers, env))
        procs.append(start_gunicorn("bench.bare_app:app", bare_port, args.workers, env))
        members = parallel(args.concurrency, logins, lambda login: open_study_session(app_port, login, lesson_id))
        print(f"setup: {users} members logged in with a study session open in {time.perf_counter() - t0:.1f} s")
        # The beat runs first, while every member's session is fresh (gaps ≤ 2 × interval).
        beat = drive(app_port, "/hours/beat", members, args.concurrency, duration, MIN_USER_GAP)
        bare = drive(bare_port, "/beat", members, args.concurrency, duration, 0.0)  # no per-member state
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)  # the SQLite file and the instance folder
        if pg_name:
            import sqlalchemy as sa

            admin = sa.create_engine(pg_admin, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            admin.dispose()

    engine = "PostgreSQL" if pg_name else "SQLite"
    print(f"\ngunicorn -w {args.workers} (sync) on {HOST}, {engine}, {args.concurrency} concurrent clients, "
          f"{duration:.0f} s each, {users} members")
    print(f"{'':18}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'requests':>10}")
    for name, r in (("bare Flask", bare), ("POST /hours/beat", beat)):
        print(f"{name:18}{r['rps']:>10.0f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}{r['requests']:>10}")
    print(f"\nbeat/bare throughput ratio: {beat['rps'] / bare['rps']:.2f}   "
          f"p50 latency ratio: {beat['p50_ms'] / bare['p50_ms']:.2f}")
    print(f"beat answers: {beat['states']}; credited {beat['credited_s']} s in total; "
          f"failures: bare {bare['failures']}, beat {beat['failures']}")
    for name, r in (("bare", bare), ("beat", beat)):
        if r["driver_wait_share"] > 0.05:
            print(f"note: the {name} run waited on the per-member spacing {r['driver_wait_share']:.0%} of the time; "
                  f"use more --users to measure the server rather than the driver.")
    return 0 if not (bare["failures"] or beat["failures"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
