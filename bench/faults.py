"""Faults under load: kill -9 a gunicorn worker; stop PostgreSQL for a while and start it again.

    .venv/bin/python bench/faults.py            # 200 learners; the kill on SQLite and PostgreSQL, then the stop
    .venv/bin/python bench/faults.py --short    # 50 learners, shorter (CI)

(a) Worker killed. While learners beat (bench/load.py's learners, interval 2 s), a gunicorn
    worker — a child of the master, caught running a request if possible — gets SIGKILL mid-run
    (once in --short, three times otherwise). The master starts a new one; a beat
    that was in flight on it fails and the learner retries (as tracker.js does). Afterwards: no
    online ledger row is duplicated (one row per member, lesson and day), every credit a beat
    acknowledged with 200 is in the ledger (nothing committed was lost), nobody is credited more
    than their wall time, and every learner's credit still equals their active time within one
    interval.
(b) PostgreSQL stopped (only as root with pg_ctlcluster; it is started again in a finally block
    whatever happens). While it is down, beats must fail cleanly — 503 with a JSON body and a
    Chinese message, no 500s — and the learners back off (no storm: at most about one request per
    learner and interval). After the start, beats succeed again without restarting gunicorn
    (pool_pre_ping), /healthz is 200 again, acknowledged credit is in the ledger, nothing duplicated,
    and each learner's credit matches their acknowledged stretches of study (the outage splits
    them: one interval, plus under a second for each extra stretch — whole seconds are credited).
Bounded in learners and time; loopback only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.load import PASSWORD, LoadRun, app_env, evaluate, make_learners  # noqa: E402

INTERVAL = 2


def _log_factory():
    t0 = time.monotonic()

    def log(msg):
        print(f"{time.monotonic() - t0:7.1f}s  {msg}", flush=True)

    return log


def kill_worker(engine: str, n: int, duration: float, log, kills: int = 1) -> dict:
    with common.fresh_database(engine, "fault") as url:
        common.migrate_and_sync(url)
        users, _ = common.create_learners(url, n, PASSWORD)
        server = common.start_gunicorn("wsgi:app", app_env(url, INTERVAL), log_name=f"fault-kill-{engine}")
        killed: dict = {}
        try:
            learners = make_learners(users, duration, INTERVAL)
            run = LoadRun(server.port, learners, lesson_path=common.LESSON_PATH, interval=INTERVAL, duration=duration)

            def killer():
                for i in range(kills):  # evenly through the middle of the run
                    at = run.t0 + duration * (i + 1) / (kills + 1)
                    time.sleep(max(0.0, at - time.monotonic()))
                    before = server.workers()
                    victim = busy_worker(before) or before[(i + len(before) // 2) % len(before)]
                    os.kill(victim, signal.SIGKILL)
                    killed.setdefault("pids", []).append(victim)
                    killed.setdefault("at", []).append(round(time.monotonic() - run.t0, 1))
                    log(f"[{engine}] kill -9 worker {victim} (workers {before})")
                    for _ in range(100):  # the master replaces it
                        time.sleep(0.2)
                        now = server.workers()
                        if victim not in now and len(now) == len(before):
                            killed["replaced"] = killed.get("replaced", 0) + 1
                            break

            log(f"[{engine}] {n} learners for {duration:.0f} s; a worker is killed halfway")
            k = threading.Thread(target=killer, daemon=True)
            threading.Timer(0.5, k.start).start()  # run.t0 is set as run() begins
            run.run()
            k.join(timeout=60)
            # Strict rules minus "zero errors": the beat in flight on the killed worker may fail.
            result = evaluate(url, learners, INTERVAL, strict=False)
            result["killed"] = killed
            result["replaced"] = killed.get("replaced", 0) == kills
            result["ok"] = result["ok"] and result["replaced"] and result["duplicate_online_rows"] == 0
            result["non_200"] = {s: c for s, c in result["statuses"].items() if s != 200}
            # Nothing but the killed worker's in-flight beats may fail (a sync worker holds one request).
            result["ok"] = (result["ok"] and sum(result["non_200"].values()) <= 2 * kills
                            and 500 not in result["non_200"])
            status, _ = common.http_get(server.port, "/healthz")
            result["healthz_after"] = status
            result["ok"] = result["ok"] and status == 200
        finally:
            server.stop()
    return result


def busy_worker(pids: list[int], within: float = 3.0) -> int | None:
    """A worker caught running (state R: in the middle of a request rather than waiting in accept),
    so the kill takes a request down with it; None if none is seen running within `within` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for pid in pids:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state == "R":
                return pid
        time.sleep(0.001)
    return None


def pg_cluster() -> tuple[str, str] | None:
    """The cluster behind PG_ADMIN_URL: $LMS_BENCH_PG_CLUSTER ("15/main") or <the one version>/main."""
    if os.geteuid() != 0 or not shutil.which("pg_ctlcluster") or not Path("/etc/postgresql").is_dir():
        return None
    if os.environ.get("LMS_BENCH_PG_CLUSTER"):
        version, name = os.environ["LMS_BENCH_PG_CLUSTER"].split("/", 1)
        return version, name
    versions = sorted(os.listdir("/etc/postgresql"))
    return (versions[-1], "main") if versions else None


def pg_ctl(action: str, cluster: tuple[str, str]) -> None:
    cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", cluster[0], cluster[1], action]
    if action == "stop":
        cmd += ["-m", "fast"]  # disconnect clients now (the app's pooled connections) rather than wait for them
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def ensure_pg_running(cluster: tuple[str, str], log) -> None:
    for _ in range(3):
        if common.postgres_available() is None:
            return
        log("starting PostgreSQL again")
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster[0], cluster[1], "start"],
                       capture_output=True, timeout=120)
        for _ in range(30):
            if common.postgres_available() is None:
                return
            time.sleep(1)
    raise RuntimeError("PostgreSQL did not come back: start it with "
                       f"pg_ctlcluster --skip-systemctl-redirect {cluster[0]} {cluster[1]} start")


def stop_postgres(n: int, duration: float, outage: float, log) -> dict:
    cluster = pg_cluster()
    if cluster is None:
        return {"skipped": "needs root and pg_ctlcluster"}
    if common.postgres_available():
        return {"skipped": "PostgreSQL not reachable"}
    with common.fresh_database("postgresql", "fault") as url:
        common.migrate_and_sync(url)
        users, _ = common.create_learners(url, n, PASSWORD)
        server = common.start_gunicorn("wsgi:app", app_env(url, INTERVAL), log_name="fault-pgstop")
        events: dict = {}
        health: list[tuple[float, int]] = []
        try:
            learners = make_learners(users, duration, INTERVAL)
            run = LoadRun(server.port, learners, lesson_path=common.LESSON_PATH, interval=INTERVAL, duration=duration)

            def outage_thread():
                try:
                    time.sleep(max(0.0, run.t0 - time.monotonic()) + duration / 3)
                    events["stop_at"] = time.monotonic() - run.t0
                    log(f"stopping PostgreSQL {cluster[0]}/{cluster[1]} for {outage:.0f} s")
                    pg_ctl("stop", cluster)
                    events["stopped_at"] = time.monotonic() - run.t0
                    deadline = time.monotonic() + outage
                    while time.monotonic() < deadline:
                        try:
                            health.append((time.monotonic() - run.t0, common.http_get(server.port, "/healthz", 5)[0]))
                        except OSError:
                            health.append((time.monotonic() - run.t0, 0))
                        time.sleep(1)
                finally:
                    pg_ctl("start", cluster)
                    events["started_at"] = time.monotonic() - run.t0
                    log("PostgreSQL started again")

            o = threading.Thread(target=outage_thread, daemon=True)
            threading.Timer(0.5, o.start).start()
            run.run()
            o.join(timeout=outage + 180)
            result = evaluate(url, learners, INTERVAL, strict=False, per_segment_slack=1.0)
            health_after = common.http_get(server.port, "/healthz")[0]
        finally:
            server.stop()
            ensure_pg_running(cluster, log)
    # The outage as the learners saw it.
    bodies = Counter()
    for lr in learners:
        for b in lr.beats:
            if b.status == 503:
                bodies["503 JSON unavailable + Chinese" if b.state == "unavailable" and "数据库" in b.message else
                       f"503 other: {b.body[:80]}"] += 1
    timeline = sorted(run.timeline)
    start, started = events.get("stop_at", 0.0), events.get("started_at", 0.0)
    during = [s for t, s in timeline if start <= t <= started]
    after_ok = [t for t, s in timeline if t > started and s == 200]
    first_ok_after = round(after_ok[0] - started, 1) if after_ok else None
    # Every learner must have had a 200 after the restart (recovered without restarting gunicorn).
    recovered = all(any(b.status == 200 and b.received - run.t0 > started for b in lr.beats) for lr in learners)
    window = max(0.1, started - start)
    rate_during = len(during) / window
    normal_rate = n / INTERVAL
    result.update(
        events={k: round(v, 1) for k, v in events.items()},
        during_outage=dict(Counter(during)),
        bodies=dict(bodies),
        first_200_after_start_s=first_ok_after,
        all_learners_recovered=recovered,
        request_rate_during_outage=round(rate_during, 1),
        normal_request_rate=round(normal_rate, 1),
        healthz_during=sorted(set(s for _, s in health)),
        healthz_after=health_after,
    )
    n500 = result["statuses"].get(500, 0)
    result["ok"] = (
        result["ok"]
        and n500 == 0
        and 503 in result["statuses"]
        and all(k.startswith("503 JSON") for k in bodies)
        and recovered
        and health_after == 200
        and 503 in result["healthz_during"]
        and rate_during <= 1.5 * normal_rate
        and result["duplicate_online_rows"] == 0
    )
    return result


def print_kill(engine: str, r: dict) -> None:
    print(f"{'PASS' if r['ok'] else 'FAIL'} kill -9 worker on {engine}: killed {r['killed'].get('pids')} at "
          f"{r['killed'].get('at')} s, all replaced: {r['replaced']}; {r['beats']:,} beats {r['statuses']}; "
          f"acknowledged credit lost: {len(r['lost_acked_credit'])} learners; duplicate online rows: "
          f"{r['duplicate_online_rows']}; over wall time: {len(r['over_wall_time'])}; outside one interval: "
          f"{len(r['outside_tolerance'])} (worst {r['worst_diff_s']} s); /healthz after: {r['healthz_after']}")
    for key in ("outside_tolerance", "lost_acked_credit", "over_wall_time", "setup_errors"):
        if r.get(key):
            print(f"  {key}: {r[key]}")


def print_stop(r: dict) -> None:
    if "skipped" in r:
        print(f"SKIP PostgreSQL stop/start: {r['skipped']}")
        return
    print(f"{'PASS' if r['ok'] else 'FAIL'} PostgreSQL stop/start: events {r['events']}; answers during the outage "
          f"{r['during_outage']} ({r['bodies']}); all statuses {r['statuses']}; request rate during the outage "
          f"{r['request_rate_during_outage']}/s (normal {r['normal_request_rate']}/s); first 200 "
          f"{r['first_200_after_start_s']} s after the start; every learner recovered: {r['all_learners_recovered']}; "
          f"/healthz during {r['healthz_during']}, after {r['healthz_after']}; acknowledged credit lost: "
          f"{len(r['lost_acked_credit'])}; duplicate online rows: {r['duplicate_online_rows']}; over wall time: "
          f"{len(r['over_wall_time'])}")
    for key in ("outside_tolerance", "lost_acked_credit", "over_wall_time", "setup_errors"):
        if r.get(key):
            print(f"  {key}: {r[key]}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--short", action="store_true", help="50 learners, short runs (CI)")
    ap.add_argument("--learners", type=int)
    ap.add_argument("--skip", default="", help="comma list: kill-sqlite, kill-postgresql, pg-stop")
    args = ap.parse_args(argv)
    n = min(args.learners or (50 if args.short else 200), 1000)
    kill_duration = 30.0 if args.short else 120.0
    stop_duration, outage = (36.0, 6.0) if args.short else (120.0, 15.0)
    skip = set(filter(None, args.skip.split(",")))
    log = _log_factory()
    ok = True
    pg_reason = common.postgres_available()
    for engine in ("sqlite", "postgresql"):
        if f"kill-{engine}" in skip or (args.short and engine == "postgresql"):
            continue
        if engine == "postgresql" and pg_reason:
            print(f"SKIP kill -9 on PostgreSQL: not reachable ({pg_reason})")
            continue
        r = kill_worker(engine, n, kill_duration, log, kills=1 if args.short else 3)
        print_kill(engine, r)
        ok = ok and r["ok"]
    if "pg-stop" not in skip:
        r = stop_postgres(n, stop_duration, outage, log)
        print_stop(r)
        ok = ok and (r.get("ok", True))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
