"""Load: simulated learners study a lesson under gunicorn on 127.0.0.1, and the ledger must agree.

    .venv/bin/python bench/load.py              # 200 learners × 5 minutes, SQLite then PostgreSQL
    .venv/bin/python bench/load.py --short      # 50 learners × 30 s (CI)

Each learner logs in, opens the lesson page (GET, as a browser does), asks for the tracker token
(POST /hours/start, as tracker.js does) and beats every interval (the app runs with
LMS_BEAT_INTERVAL_SECONDS=2). A quarter of them stop beating once for a while (longer than two
intervals: a closed laptop), which must credit nothing; the first beat after such a pause must
answer "new_segment" with nothing credited. At the end, each learner's credited online seconds in
the ledger are compared with their simulated active time (from their (re)start to their last beat
of each stretch): they must agree within one interval, and equal the sum of what the beats
answered. Zero HTTP errors. Bounded: a fixed number of learners, a fixed duration, loopback only.
A learner retries a failed beat with backoff (as tracker.js does); bench/faults.py relies on that.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.common import Client  # noqa: E402

PASSWORD = "learner-pass-1"


@dataclass
class Beat:
    sent: float
    received: float
    status: int  # 0: no HTTP answer (connection refused or reset)
    state: str = ""
    credited: int = 0
    body: str = ""
    message: str = ""  # the JSON "message" of an error answer


@dataclass
class Learner:
    user_id: int
    login: str
    pause_at: float | None = None  # seconds after the start; None: never pauses
    pause_for: float = 0.0
    started: float = 0.0  # when /hours/start answered (the server's first anchor is within it)
    ended: float = 0.0
    beats: list[Beat] = field(default_factory=list)
    segments: list[tuple[float, float]] = field(default_factory=list)  # (anchor, last acknowledged beat)
    resumes: list[Beat] = field(default_factory=list)  # the first answered beat after each pause
    unexpected_segments: int = 0  # "new_segment" answers not after a pause (a gap the learner did not make)
    setup_error: str = ""

    @property
    def active_seconds(self) -> float:
        return sum(max(0.0, last - first) for first, last in self.segments)

    @property
    def acked_credit(self) -> int:
        return sum(b.credited for b in self.beats if b.status == 200)


class LoadRun:
    """n learners on one running app; run() blocks until every learner has finished."""

    def __init__(self, port: int, learners: list[Learner], *, lesson_path: str, interval: float, duration: float,
                 seed: int = 7):
        self.port = port
        self.learners = learners
        self.lesson_path = lesson_path
        self.interval = interval
        self.duration = duration
        self.rng = random.Random(seed)
        self.t0 = 0.0
        self.lock = threading.Lock()
        self.timeline: list[tuple[float, int]] = []  # (time, status) of every beat, for the fault reports

    def _beat(self, client: Client, token: str) -> Beat:
        sent = time.monotonic()
        try:
            status, body, _ = client.request("POST", "/hours/beat", {"token": token})
        except (OSError, http.client.HTTPException) as exc:
            beat = Beat(sent, time.monotonic(), 0, body=type(exc).__name__)
        else:
            beat = Beat(sent, time.monotonic(), status, body=body.decode("utf-8", "replace")[:300])
            if status == 200:
                answer = json.loads(body)
                beat.state, beat.credited = answer["state"], int(answer["credited"])
            elif body.startswith(b"{"):
                answer = json.loads(body)
                beat.state, beat.message = answer.get("state", ""), answer.get("message", "")
        with self.lock:
            self.timeline.append((beat.received - self.t0, beat.status))
        return beat

    def _learn(self, learner: Learner, offset: float) -> None:
        client = Client(self.port, timeout=30)
        try:
            client.login(learner.login, PASSWORD)
            time.sleep(max(0.0, self.t0 + offset - time.monotonic()))
            answer = client.open_lesson(self.lesson_path)
        except Exception as exc:  # noqa: BLE001 - reported as this learner's failure
            learner.setup_error = f"{type(exc).__name__}: {exc}"
            return
        token = answer["token"]
        learner.started = time.monotonic()
        anchor, last_ok = learner.started, learner.started
        end = self.t0 + offset + self.duration
        paused_until = None
        due = learner.started + self.interval
        failures = 0
        while due < end:
            time.sleep(max(0.0, due - time.monotonic()))
            now = time.monotonic()
            if learner.pause_at is not None and paused_until is None and now - learner.started >= learner.pause_at:
                paused_until = now + learner.pause_for  # the laptop closes: no beats
                learner.segments.append((anchor, last_ok))
                anchor = None
            if paused_until is not None and now < paused_until:
                due = paused_until
                continue
            beat = self._beat(client, token)
            learner.beats.append(beat)
            if beat.status == 200:
                failures = 0
                if anchor is None:  # the first beat after the pause: a new stretch starts here
                    learner.resumes.append(beat)
                    anchor = beat.received
                elif beat.state == "new_segment":  # the server saw a gap over 2 intervals (e.g. an outage)
                    learner.unexpected_segments += 1
                    learner.segments.append((anchor, last_ok))
                    anchor = beat.received
                last_ok = beat.received
                due += self.interval
                while due < time.monotonic():
                    due += self.interval
            else:  # as tracker.js: retry with backoff (0.5 s, 1 s, 2 s …, then once an interval)
                failures += 1
                due = time.monotonic() + retry_delay(failures, self.interval, self.rng.random())
        if anchor is not None:
            learner.segments.append((anchor, last_ok))
        learner.ended = time.monotonic()

    def run(self) -> None:
        self.t0 = time.monotonic() + 2.0 + len(self.learners) * 0.01  # time for the logins
        threads = []
        for learner in self.learners:
            offset = self.rng.random() * self.interval  # spread the beats over the interval
            t = threading.Thread(target=self._learn, args=(learner, offset), daemon=True)
            threads.append(t)
            t.start()
        for t in threads:
            t.join(timeout=self.duration + 300)


def retry_delay(failures: int, interval: float, r: float) -> float:
    """The same backoff as tracker.js: jittered doubling from 0.5 s; from one interval on, an interval
    plus up to a quarter (so an outage never draws more requests than normal beating)."""
    base = 0.5 * 2 ** (failures - 1)
    if base >= interval:
        return interval * (1 + r / 4)
    return base * (0.5 + r / 2)


def make_learners(users: list[tuple[int, str]], duration: float, interval: float, seed: int = 11) -> list[Learner]:
    rng = random.Random(seed)
    out = []
    for i, (uid, login) in enumerate(users):
        learner = Learner(uid, login)
        if i % 4 == 0:  # a quarter close the laptop once, for 2.5–4 intervals
            learner.pause_at = rng.uniform(0.2, 0.5) * duration
            learner.pause_for = rng.uniform(2.5, 4.0) * interval
        out.append(learner)
    return out


def ledger_seconds(url: str, user_ids: list[int]) -> dict[int, int]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT user_id, SUM(seconds) FROM ledger_entry WHERE source = 'online' GROUP BY user_id"
        )).all()
    engine.dispose()
    wanted = set(user_ids)
    return {uid: int(total) for uid, total in rows if uid in wanted}


def duplicate_online_rows(url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text(
            "SELECT COUNT(*) FROM (SELECT user_id, lesson_id, local_date FROM ledger_entry WHERE source = 'online' "
            "GROUP BY user_id, lesson_id, local_date HAVING COUNT(*) > 1) d"
        )).scalar_one()
    engine.dispose()
    return int(n)


def app_env(url: str, interval: int) -> dict[str, str]:
    return {
        "LMS_DATABASE_URL": url,
        "LMS_SECRET_KEY": "load-secret",
        "LMS_INSTANCE_PATH": tempfile.mkdtemp(prefix="lms-load-"),
        "LMS_BEAT_INTERVAL_SECONDS": str(interval),
        # No 防挂机 check within the run: this measures crediting, not the check.
        "LMS_PRESENCE_CHECK_MIN_SECONDS": "86400",
        "LMS_PRESENCE_CHECK_MAX_SECONDS": "86400",
    }


def evaluate(url: str, learners: list[Learner], interval: float, *, strict: bool = True,
             per_segment_slack: float = 0.0) -> dict:
    """Compare the ledger with what the learners did. strict: also the zero-error and resume rules.

    The tolerance is one interval; per_segment_slack adds that much for every stretch after the
    first (the server credits whole seconds and a stretch that ends loses its carried fraction,
    under a second: a learner cut into several stretches by an outage can lose one per stretch)."""
    ledger = ledger_seconds(url, [lr.user_id for lr in learners])
    statuses: Counter = Counter()
    outside, unequal, over_wall, lost, bad_resume = [], [], [], [], []
    worst = 0.0
    for lr in learners:
        statuses.update(b.status for b in lr.beats)
        got = ledger.get(lr.user_id, 0)
        diff = got - lr.active_seconds
        worst = max(worst, abs(diff))
        if abs(diff) > interval + per_segment_slack * max(0, len(lr.segments) - 1):
            outside.append((lr.login, got, round(lr.active_seconds, 1)))
        if got != lr.acked_credit:
            unequal.append((lr.login, got, lr.acked_credit))
        if got < lr.acked_credit:
            lost.append((lr.login, got, lr.acked_credit))
        if lr.started and got > (lr.ended - lr.started) + 1:
            over_wall.append((lr.login, got, round(lr.ended - lr.started, 1)))
        if lr.pause_at is not None and any(b.credited or b.state != "new_segment" for b in lr.resumes):
            bad_resume.append((lr.login, [(b.state, b.credited) for b in lr.resumes]))
    setup_errors = [(lr.login, lr.setup_error) for lr in learners if lr.setup_error]
    errors = sum(n for s, n in statuses.items() if s != 200)
    pausers = [lr for lr in learners if lr.pause_at is not None]
    unexpected = sum(lr.unexpected_segments for lr in learners)
    ok = not outside and not lost and not over_wall and not setup_errors
    if strict:
        ok = (ok and errors == 0 and not unequal and not bad_resume and all(lr.resumes for lr in pausers)
              and unexpected == 0)
    return {
        "ok": ok,
        "learners": len(learners),
        "beats": sum(statuses.values()),
        "statuses": dict(statuses),
        "http_errors": errors,
        "credited_total_s": sum(ledger.values()),
        "active_total_s": round(sum(lr.active_seconds for lr in learners), 1),
        "worst_diff_s": round(worst, 2),
        "outside_tolerance": outside[:10],
        "ledger_ne_acked": unequal[:10],
        "lost_acked_credit": lost[:10],
        "over_wall_time": over_wall[:10],
        "pausers": len(pausers),
        "unexpected_new_segments": unexpected,
        "bad_resumes": bad_resume[:10],
        "setup_errors": setup_errors[:10],
        "duplicate_online_rows": duplicate_online_rows(url),
    }


def run_engine(engine: str, n: int, duration: float, interval: int, log, workers: int | None = None) -> dict:
    with common.fresh_database(engine, "load") as url:
        common.migrate_and_sync(url)
        users, _ = common.create_learners(url, n, PASSWORD)
        server = common.start_gunicorn("wsgi:app", app_env(url, interval), workers=workers, log_name=f"load-{engine}")
        try:
            learners = make_learners(users, duration, interval)
            log(f"[{engine}] {n} learners beating every {interval} s for {duration:.0f} s "
                f"(gunicorn, {len(server.workers())} workers, port {server.port})")
            t0 = time.monotonic()
            run = LoadRun(server.port, learners, lesson_path=common.LESSON_PATH, interval=interval, duration=duration)
            run.run()
            result = evaluate(url, learners, interval)
            result["seconds"] = round(time.monotonic() - t0, 1)
            result["duplicate_online_rows"] = duplicate_online_rows(url)
            result["ok"] = result["ok"] and result["duplicate_online_rows"] == 0
        finally:
            server.stop()
    return result


def print_result(engine: str, r: dict) -> None:
    verdict = "PASS" if r["ok"] else "FAIL"
    print(f"{verdict} load on {engine}: {r['learners']} learners, {r['beats']:,} beats {r['statuses']}, "
          f"{r['http_errors']} HTTP errors; credited {r['credited_total_s']:,} s vs simulated active "
          f"{r['active_total_s']:,.0f} s, worst learner off by {r['worst_diff_s']} s; "
          f"{r['pausers']} paused (resumes credited nothing: {not r['bad_resumes']}); unexpected new segments: "
          f"{r['unexpected_new_segments']}; "
          f"duplicate online rows: {r['duplicate_online_rows']}")
    for key in ("outside_tolerance", "ledger_ne_acked", "lost_acked_credit", "over_wall_time", "bad_resumes",
                "setup_errors"):
        if r.get(key):
            print(f"  {key}: {r[key]}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--short", action="store_true", help="50 learners × 30 s (CI)")
    ap.add_argument("--learners", type=int)
    ap.add_argument("--duration", type=float, help="seconds of beating per learner")
    ap.add_argument("--interval", type=int, default=2, help="LMS_BEAT_INTERVAL_SECONDS for the app")
    ap.add_argument("--engines", default="sqlite,postgresql")
    args = ap.parse_args(argv)
    n = args.learners or (50 if args.short else 200)
    duration = args.duration or (30.0 if args.short else 300.0)
    n = min(n, 1000)  # bounded
    duration = min(duration, 1800.0)
    t0 = time.monotonic()

    def log(msg):
        print(f"{time.monotonic() - t0:7.1f}s  {msg}", flush=True)

    ok = True
    for engine in args.engines.split(","):
        if engine == "postgresql":
            reason = common.postgres_available()
            if reason:
                print(f"SKIP load on PostgreSQL: not reachable ({reason})")
                continue
        r = run_engine(engine, n, duration, args.interval, log)
        print_result(engine, r)
        ok = ok and r["ok"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
