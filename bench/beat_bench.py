"""Beat throughput and latency: the real /hours/beat under gunicorn against a bare Flask endpoint.

    .venv/bin/python bench/beat_bench.py --quick                 # about a minute, SQLite
    .venv/bin/python bench/beat_bench.py                         # longer runs, more members
    .venv/bin/python bench/beat_bench.py --quick --postgres      # PostgreSQL (or --postgres ADMIN_URL)

Both servers are gunicorn with deploy/gunicorn.conf.py on 127.0.0.1, the same workers and the same
LMS_DATABASE_URL (a temporary database, removed afterwards); the driver (threads, bounded
concurrency, bounded time) sends the same request to each. Members are logged in over HTTP and
each opens a study session (bench/common.py's Client, as make bench does); every member beats at
most once per 1.1 s, so each real beat is measured 1–60 s after the previous one and takes the
write path (the one beat UPDATE + the ledger upsert), not the "too fast" shortcut. The report
gives req/s, p50 and p99 for both and the ratio.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402

PASSWORD = "bench-pass-1"
MIN_USER_GAP = 1.1  # seconds between two beats of one member


def open_study_session(port: int, login: str) -> dict:
    """Log in over HTTP and open the lesson's study session: the member's browser and token."""
    client = common.Client(port)
    client.login(login, PASSWORD)
    return {"client": client, "token": client.open_lesson()["token"]}


# ---------------------------------------------------------------- the measured run

def drive(path: str, members: list[dict], concurrency: int, duration: float, spacing: float) -> dict:
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
            status, body, _ = member["client"].request("POST", path, {"token": member["token"]})
            t1 = time.perf_counter()
            with lock:
                queue.append((t1 + spacing, member))
            local_lat.append(t1 - t0)
            if status == 200 or (status == 429 and b'"too_many"' in body):  # 429: the beat's own burst limit
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
    ap.add_argument("--postgres", metavar="ADMIN_URL", nargs="?", const=common.PG_ADMIN_URL,
                    help="run on a temporary PostgreSQL database (default admin URL: %(const)s)")
    args = ap.parse_args(argv)
    duration = args.duration or (8.0 if args.quick else 20.0)
    users = args.users or (1500 if args.quick else 3000)

    engine = "postgresql" if args.postgres else "sqlite"
    servers = []
    with common.fresh_database(engine, "beat", admin_url=args.postgres or common.PG_ADMIN_URL) as url:
        try:
            t0 = time.perf_counter()
            common.migrate_and_sync(url)
            learners, _lesson_id = common.create_learners(url, users, PASSWORD, prefix="B")
            env = {"LMS_DATABASE_URL": url, "LMS_SECRET_KEY": "bench-secret", "LMS_RATELIMIT_ENABLED": "false"}
            app = common.start_gunicorn("wsgi:app", env, workers=args.workers, log_name="beat-app")
            servers.append(app)
            bare_server = common.start_gunicorn("bench.bare_app:app", env, workers=args.workers, log_name="beat-bare")
            servers.append(bare_server)
            members = common.parallel(args.concurrency, [login for _id, login in learners],
                                      lambda login: open_study_session(app.port, login))
            print(f"setup: {users} members logged in with a study session open in {time.perf_counter() - t0:.1f} s")
            # The beat runs first, while every member's session is fresh (gaps ≤ 2 × interval). The bare
            # run sends the same requests (cookie, CSRF header, token) to the bare app, which ignores them.
            beat = drive("/hours/beat", members, args.concurrency, duration, MIN_USER_GAP)
            for m in members:
                m["client"].port = bare_server.port
            bare = drive("/beat", members, args.concurrency, duration, 0.0)  # no per-member state
        finally:
            for server in servers:
                server.stop()

    label = "PostgreSQL" if engine == "postgresql" else "SQLite"
    print(f"\ngunicorn -w {args.workers} (deploy/gunicorn.conf.py) on {common.HOST}, {label}, {args.concurrency} concurrent clients, "
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
