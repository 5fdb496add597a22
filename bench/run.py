"""`make bench`: one command, one report — bench/RESULTS.md (quick: bench/out/RESULTS-quick.md).

    .venv/bin/python bench/run.py            # 100,000 members, a year of ledger; about 15 minutes
    .venv/bin/python bench/run.py --quick    # 10,000 members, short runs; a few minutes (CI)

For SQLite (a fresh file under bench/out/) and PostgreSQL (a fresh database, created and dropped
through postgresql+psycopg://postgres@127.0.0.1:5432/postgres, or $LMS_BENCH_POSTGRES_URL; skipped
— not failed — when it does not answer):
  1. migrate, sync content, load the data set with bench/datagen.py;
  2. start the app (wsgi:app) and the bare Flask baseline (bench/bare_app.py) under gunicorn with
     deploy/gunicorn.conf.py on 127.0.0.1, the same workers and database settings;
  3. log members in over HTTP and open a study session for each;
  4. drive load from a separate process, wrk (Debian package `wrk`; `make bench` installs it),
     cycling through the members: POST /hours/beat vs the bare POST, the lesson page vs a bare GET;
  5. time the reports over HTTP as the admin: GET /reports/ (committee roll-up) and
     /reports/org/<the 1,000-member branch> — "n/a" while the reports slice is not merged.
Certificates are timed once (they do not touch the database) in a subprocess calling
lms.certificates.render: one warm render, 100 in one PDF, and that process's RSS after 1,000 renders.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.common import OUT, ROOT, Client  # noqa: E402

WRK_SCRIPT = ROOT / "bench" / "wrk_members.lua"
RESULTS = ROOT / "bench" / "RESULTS.md"
QUICK_RESULTS = OUT / "RESULTS-quick.md"


class Plan:
    def __init__(self, quick: bool, members: int | None, duration: float | None):
        self.quick = quick
        self.members = members or (10_000 if quick else 100_000)
        self.duration = duration or (6.0 if quick else 30.0)  # seconds per wrk run
        self.warmup = 2.0 if quick else 5.0
        self.drivers = 400 if quick else 2000  # members logged in for the beat and page runs
        self.connections = 16
        self.report_rounds = 3 if quick else 7
        self.cert_renders = 50 if quick else 1000
        self.cert_rounds = 3 if quick else 5


# ---------------------------------------------------------------- the machine

def _cmd(args: list[str]) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def describe_machine(pg_version: str | None) -> dict[str, str]:
    import sqlite3

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    mem_kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    os_name = platform.platform()
    release = Path("/etc/os-release")
    if release.exists():
        m = re.search(r'PRETTY_NAME="([^"]+)"', release.read_text())
        os_name = f"{m.group(1)} (Linux {platform.release()})" if m else os_name
    import gunicorn

    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "RAM": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "OS": os_name,
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "PostgreSQL": pg_version or "not available",
        "gunicorn": gunicorn.__version__,
        "load driver": _cmd(["wrk", "--version"]).splitlines()[0] if shutil.which("wrk") else "wrk missing",
    }


def postgres_version() -> str | None:
    import sqlalchemy as sa

    engine = sa.create_engine(common.PG_ADMIN_URL)
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SHOW server_version").scalar_one()
    engine.dispose()
    return version


# ---------------------------------------------------------------- wrk

def wrk(port: int, members_file: Path, mode: str, path: str, duration: float, connections: int) -> dict:
    threads = 2
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "10s",
           "-s", str(WRK_SCRIPT), f"http://{common.HOST}:{port}", "--", str(members_file), mode, path,
           str(threads), common.USER_AGENT]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    m = re.search(r"^WRK_JSON (.*)$", out.stdout, re.M)
    if not m:
        raise RuntimeError(f"wrk gave no result: {out.stdout[-1500:]} {out.stderr[-1500:]}")
    r = json.loads(m.group(1))
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["p50_ms"], r["p99_ms"] = r["p50_us"] / 1000, r["p99_us"] / 1000
    # wrk counts every non-2xx answer as a status error; the beat's 429 "too_many" (its burst limit,
    # met when members beat faster than a page does) is a beat outcome the script already counted.
    status_errors = max(0, r["errors"].get("status", 0) - r.get("states", {}).get("too_many", 0))
    r["failed"] = r["odd"] + status_errors + sum(v for k, v in r["errors"].items() if k != "status")
    return r


# ---------------------------------------------------------------- one database engine

def open_members(port: int, logins: list[str], password: str) -> list[tuple[str, str, str]]:
    def one(login: str):
        c = Client(port)
        c.login(login, password)
        answer = c.open_lesson()  # the lesson page (its study ticket), then /hours/start
        return c.cookie, c.csrf, answer["token"]

    return common.parallel(8, logins, one)


def time_get(client: Client, path: str, rounds: int) -> dict:
    status, _, _ = client.request("GET", path)  # warm-up (and the 404 check)
    if status == 404:
        return {"status": 404}
    if status != 200:
        return {"status": status}
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        status, body, _ = client.request("GET", path)
        times.append(time.perf_counter() - t0)
        assert status == 200, status
    return {"status": 200, "median_ms": 1000 * statistics.median(times), "max_ms": 1000 * max(times),
            "min_ms": 1000 * min(times), "rounds": rounds, "bytes": len(body)}


def drivers_for(url: str, n: int) -> tuple[int, list[str]]:
    """The bench lesson and n members who have not studied it online yet this year (so no beat is
    "capped": each takes the full path, ledger upsert included)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        lid = conn.execute(sa.text("SELECT id FROM lesson WHERE key = :k"), {"k": common.LESSON_KEY}).scalar_one()
        logins = conn.execute(sa.text(
            "SELECT member_no FROM \"user\" u WHERE role = 'member' AND NOT EXISTS (SELECT 1 FROM ledger_entry e "
            "WHERE e.user_id = u.id AND e.lesson_id = :l AND e.source = 'online') ORDER BY id LIMIT :n"
        ), {"l": lid, "n": n}).scalars().all()
    engine.dispose()
    return lid, list(logins)


def db_size(url: str) -> str:
    import sqlalchemy as sa

    if url.startswith("sqlite"):
        path = Path(sa.engine.make_url(url).database)
        size = sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists())
    else:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()
        engine.dispose()
    return f"{size / 1024 / 1024:.0f} MB"


def run_engine(engine: str, plan: Plan, log) -> dict:
    from bench import datagen

    res: dict = {"engine": engine}
    keep = OUT / ("bench-quick.db" if plan.quick else "bench.db") if engine == "sqlite" else None
    with common.fresh_database(engine, "bench", keep_sqlite=keep) as url:
        t0 = time.perf_counter()
        common.migrate_and_sync(url)
        info = datagen.generate(url, members=plan.members, log=lambda s: log(f"[{engine}] datagen{s}"))
        res["data"] = {"members": info["members"], "ledger_rows": info["ledger_rows"], "year": info["year"],
                       "seconds": round(time.perf_counter() - t0, 1), "size": db_size(url),
                       "big_branch_id": info["big_branch_id"], "branches": len(info["branch_ids"])}
        log(f"[{engine}] data set ready: {res['data']}")
        env = {"LMS_DATABASE_URL": url, "LMS_SECRET_KEY": "bench-secret", "LMS_RATELIMIT_ENABLED": "false",
               "LMS_INSTANCE_PATH": tempfile.mkdtemp(prefix="lms-bench-instance-")}
        app = common.start_gunicorn("wsgi:app", env, log_name=f"app-{engine}")
        bare = common.start_gunicorn("bench.bare_app:app", env, log_name=f"bare-{engine}")
        try:
            res["workers"] = len(app.workers())
            lesson_id, logins = drivers_for(url, plan.drivers)
            t1 = time.perf_counter()
            members = open_members(app.port, logins, info["password"])
            log(f"[{engine}] {len(members)} members logged in, study sessions open ({time.perf_counter() - t1:.0f} s)")
            mfile = OUT / f"members-{engine}.txt"
            mfile.write_text("".join(f"{c} {x} {t}\n" for c, x, t in members))

            def measure(name, server, mode, path):
                wrk(server.port, mfile, mode, path, plan.warmup, plan.connections)
                r = wrk(server.port, mfile, mode, path, plan.duration, plan.connections)
                log(f"[{engine}] {name}: {r['rps']:.0f} req/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
                    f"failed {r['failed']}, states {r['states']}")
                return r

            res["beat"] = measure("POST /hours/beat", app, "beat", "/hours/beat")
            res["beat_bare"] = measure("bare POST /beat", bare, "beat", "/beat")
            res["page"] = measure("lesson page", app, "page", common.LESSON_PATH)
            res["page_bare"] = measure("bare GET /page", bare, "page", "/page")

            admin = Client(app.port, timeout=120)
            admin.login(info["admin_login"], info["password"])
            res["rollup"] = time_get(admin, "/reports/", plan.report_rounds)
            res["branch"] = time_get(admin, f"/reports/org/{info['big_branch_id']}", plan.report_rounds)
            log(f"[{engine}] reports: roll-up {res['rollup']}, branch {res['branch']}")
            res["worker_rss_kib"] = [common.rss_kib(p) for p in app.workers()]
        finally:
            app.stop()
            bare.stop()
    return res


# ---------------------------------------------------------------- certificates (a subprocess)

def cert_probe(renders: int, rounds: int) -> dict:
    """Runs in its own process: render timings and this process's RSS before/after `renders` renders."""
    from datetime import date

    from lms.certificates import codes, pdf, render

    app = common.bench_app(f"sqlite:///{tempfile.mkdtemp(prefix='cert-probe-')}/x.db")
    names = ["王建国", "李秀英", "张志强", "刘丽华", "陈海燕", "杨国庆", "赵晓明", "黄春梅", "周卫东", "吴玉兰"]

    def page(i: int):
        return render.Page(
            kind="course", holder_name=names[i % len(names)], org_name="机关第一党支部", issuer_name="示范单位机关党委",
            subject="《党政领导干部选拔任用工作条例》解读", year=2026, hours_text="3.5", required_hours_text="32",
            completed_on=date(2026, 3, 5), issued_on=date(2026, 3, 6), serial=f"2026-{i + 1:04d}", code=codes.new_code(),
        )

    def timed(fn, n):
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
        return out

    pid = os.getpid()
    with app.app_context():
        rss_start = common.rss_kib(pid)
        pdf.render_pdf([page(0)])  # warm-up: template, CSS, fonts
        single = timed(lambda: pdf.render_pdf([page(1)]), rounds)
        batch_pages = [page(i) for i in range(100)]
        batch = timed(lambda: pdf.render_pdf(batch_pages), max(1, rounds // 2))
        rss_warm = common.rss_kib(pid)
        t0 = time.perf_counter()
        for i in range(renders):
            pdf.render_pdf([page(i)])
        loop = time.perf_counter() - t0
        rss_after = common.rss_kib(pid)
    hwm = int(re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))
    return {
        "harfbuzz": render.harfbuzz_subset_available(),
        "single_ms": 1000 * min(single), "single_median_ms": 1000 * statistics.median(single),
        "batch_s": min(batch), "batch_median_s": statistics.median(batch),
        "renders": renders, "loop_s": loop, "rss_start_kib": rss_start, "rss_warm_kib": rss_warm,
        "rss_after_kib": rss_after, "rss_peak_kib": hwm,
    }


def run_certs(plan: Plan, log) -> dict:
    out = subprocess.run([sys.executable, str(Path(__file__)), "--cert-probe", str(plan.cert_renders),
                          "--cert-rounds", str(plan.cert_rounds)], capture_output=True, text=True, cwd=ROOT,
                         timeout=3600)
    m = re.search(r"^CERT_JSON (.*)$", out.stdout, re.M)
    if not m:
        raise RuntimeError(f"certificate probe failed: {out.stdout[-2000:]} {out.stderr[-2000:]}")
    r = json.loads(m.group(1))
    log(f"[certificates] {r}")
    return r


# ---------------------------------------------------------------- the report

def _n(x: float) -> str:
    return f"{x:,.0f}"


def _ms(x: float) -> str:
    return f"{x:.1f} ms" if x < 100 else f"{x:,.0f} ms"


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def gunicorn_settings() -> dict:
    import runpy

    conf = runpy.run_path(str(common.GUNICORN_CONF))
    return {"max_requests": f"max_requests {conf['max_requests']:,} + up to {conf['max_requests_jitter']:,}, "
                            f"timeout {conf['timeout']} s"}


def render_report(plan: Plan, machine: dict, results: dict, certs: dict, load_summary: str, started: datetime,
                  elapsed: float, gconf: dict | None = None) -> str:
    engines = [("sqlite", "SQLite"), ("postgresql", "PostgreSQL")]
    gconf = gconf or {}

    def cell(engine: str, fn) -> str:
        r = results.get(engine)
        if r is None:
            return "—"
        if "skipped" in r:
            return "skipped"
        return fn(r)

    def cmp(engine: str, fn) -> str:
        r = results.get(engine)
        return fn(r) if r and "skipped" not in r else ""

    def report_cell(key: str):
        def f(r):
            t = r[key]
            if t.get("status") == 404:
                return "n/a (reports slice not merged)"
            if t.get("status") != 200:
                return f"HTTP {t.get('status')}"
            return f"{_ms(t['median_ms'])} (max {_ms(t['max_ms'])})"
        return f

    def joined(fn) -> str:
        parts = [f"{label}: {cmp(e, fn)}" for e, label in engines if cmp(e, fn)]
        return "; ".join(parts) if parts else "—"

    rows = [
        ("beat endpoint `POST /hours/beat` req/s",
         lambda r: _n(r["beat"]["rps"]),
         joined(lambda r: f"bare Flask POST {_n(r['beat_bare']['rps'])} req/s → ratio **{r['beat']['rps'] / r['beat_bare']['rps']:.2f}**")),
        ("beat endpoint p99",
         lambda r: _ms(r["beat"]["p99_ms"]),
         joined(lambda r: f"bare p99 {_ms(r['beat_bare']['p99_ms'])} → ratio **{r['beat']['p99_ms'] / r['beat_bare']['p99_ms']:.1f}**")),
        ("lesson page req/s",
         lambda r: _n(r["page"]["rps"]),
         joined(lambda r: f"bare Flask GET {_n(r['page_bare']['rps'])} req/s → ratio **{r['page']['rps'] / r['page_bare']['rps']:.2f}**")),
        ("lesson page p99",
         lambda r: _ms(r["page"]["p99_ms"]),
         joined(lambda r: f"bare p99 {_ms(r['page_bare']['p99_ms'])} → ratio **{r['page']['p99_ms'] / r['page_bare']['p99_ms']:.1f}**")),
        ("branch report, 1,000-member branch (`/reports/org/<id>`), median", report_cell("branch"), "—"),
        (f"committee roll-up, {plan.members:,} members (`/reports/`), median", report_cell("rollup"), "—"),
    ]
    lines = [
        f"# Benchmark results{' (quick)' if plan.quick else ''}",
        "",
        f"`{'make bench-quick' if plan.quick else 'make bench'}` on {started:%Y-%m-%d %H:%M} UTC, "
        f"{elapsed / 60:.1f} minutes in all. Written by `bench/run.py`; every number below comes from that run.",
        "",
        "| measurement | SQLite | PostgreSQL | compared with |",
        "|---|---|---|---|",
    ]
    for name, fn, comp in rows:
        lines.append(f"| {name} | {cell('sqlite', fn)} | {cell('postgresql', fn)} | {comp} |")
    c = certs
    lines += [
        f"| one certificate (warm, best of {plan.cert_rounds}) | {_ms(c['single_ms'])} | (no database) | — |",
        f"| 100 certificates in one PDF | {c['batch_s']:.2f} s | (no database) | — |",
        f"| RSS after {c['renders']:,} certificate renders | {_mib(c['rss_after_kib'])} | (no database) | "
        f"— (warm: {_mib(c['rss_warm_kib'])}; peak {_mib(c['rss_peak_kib'])}) |",
        "",
        "## How it was measured",
        "",
        "- **Servers**: gunicorn with `deploy/gunicorn.conf.py` (sync workers, "
        f"{next((r['workers'] for r in results.values() if 'workers' in r), '?')} workers = 2 × cores + 1, "
        f"{gconf.get('max_requests', '?')}), bound to 127.0.0.1, access log off. The bare baseline "
        "(`bench/bare_app.py`: an empty POST and a GET returning a short HTML page) runs under the same "
        "configuration with the same `LMS_DATABASE_URL`. Rate limiting is off for the bench (it only guards "
        "log-in and verification, not the measured paths).",
        f"- **Driver**: `wrk -t2 -c{plan.connections} -d{plan.duration:.0f}s` (after a {plan.warmup:.0f} s warm-up) "
        "in a separate process with `bench/wrk_members.lua`, cycling through "
        f"{plan.drivers:,} members who logged in over HTTP and opened a study session, so each member beats "
        "every few seconds — the beat takes its real write path (the UPDATE of the study session that checks the login "
        "and credits, then the ledger upsert), not the \"too fast\" shortcut. The lesson page is a logged-in GET that also "
        "records the visit (a write). The client shares the 2 cores with the server, the same for both "
        "apps, which is why the ratios matter more than the absolute numbers.",
        "- **Reports**: GET over HTTP as the admin of the whole committee, after one warm-up request; "
        f"median and max of {plan.report_rounds} requests.",
        "- **Certificates**: a separate Python process calling `lms.certificates.pdf.render_pdf` "
        "(the function the app calls when it issues a certificate); RSS is that process's VmRSS after "
        f"{c['renders']:,} single-certificate renders (not a gunicorn worker's). "
        f"HarfBuzz subsetting: {'yes' if c['harfbuzz'] else 'NO'}. "
        f"{c['renders']:,} renders took {c['loop_s']:.0f} s ({1000 * c['loop_s'] / c['renders']:.0f} ms each).",
        "",
        "| data set | SQLite | PostgreSQL |",
        "|---|---|---|",
    ]

    def data(key, fmt):
        return " | ".join(cell(e, lambda r: fmt(r["data"][key])) for e, _ in engines)

    lines += [
        f"| members | {data('members', lambda v: f'{v:,}')} |",
        f"| ledger rows (one year) | {data('ledger_rows', lambda v: f'{v:,}')} |",
        f"| branches | {data('branches', lambda v: f'{v:,}')} |",
        f"| build (migrate, sync, generate) | {data('seconds', lambda v: f'{v:.0f} s')} |",
        f"| database size | {data('size', str)} |",
        "",
        "| run details | SQLite | PostgreSQL |",
        "|---|---|---|",
    ]
    for key, label in (("beat", "beat"), ("beat_bare", "bare POST"), ("page", "lesson page"), ("page_bare", "bare GET")):
        lines.append(f"| {label}: requests, p50, failed | " + " | ".join(
            cell(e, lambda r, k=key: f"{r[k]['requests']:,}, {_ms(r[k]['p50_ms'])}, {r[k]['failed']}") for e, _ in engines
        ) + " |")
    lines.append("| beat answers (state: count) | " + " | ".join(
        cell(e, lambda r: ", ".join(f"{k} {v:,}" for k, v in sorted(r["beat"]["states"].items()))) for e, _ in engines
    ) + " |")
    lines.append("| app worker RSS after the runs | " + " | ".join(
        cell(e, lambda r: ", ".join(_mib(k) for k in r["worker_rss_kib"])) for e, _ in engines) + " |")
    skipped = [f"{label}: {results[e]['skipped']}" for e, label in engines if "skipped" in results.get(e, {})]
    lines += ["", "## Machine", ""]
    lines += [f"- **{k}**: {v}" for k, v in machine.items()]
    lines.append(f"- **Load average during the run**: {load_summary}")
    mean_load = re.search(r"mean ([\d.]+)", load_summary)
    cores = os.cpu_count() or 1
    if mean_load and float(mean_load.group(1)) > cores + 1:
        lines += ["", f"Note: the CPUs were oversubscribed (mean load {mean_load.group(1)} on {cores} cores: the driver, "
                      "the servers, the database and whatever else ran on the machine). Requests then also wait "
                      "for a CPU, which shows in the p99 tails of both apps (the bare app's too); the medians "
                      "(p50) and the throughput ratios are the steadier numbers."]
    if skipped:
        lines += ["", "Skipped: " + "; ".join(skipped)]
    extra = ROOT / "bench" / "RESULTS-load-faults.md"
    lines += ["", "Long load and fault runs (200 learners, kill -9 of a worker, PostgreSQL stop/start) are separate: "
              "`bench/load.py` and `bench/faults.py` (README: 性能与可靠性测试)"
              + (f"; their last full results are in [{extra.name}]({extra.name})." if extra.exists() else "."), ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10,000 members, short runs (CI)")
    ap.add_argument("--members", type=int)
    ap.add_argument("--duration", type=float, help="seconds per wrk run")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--output", type=Path)
    ap.add_argument("--rerender", type=Path, metavar="RESULTS_JSON", help="write the report again from a saved run")
    ap.add_argument("--cert-probe", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--cert-rounds", type=int, default=5, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.cert_probe is not None:
        print("CERT_JSON " + json.dumps(cert_probe(args.cert_probe, args.cert_rounds)))
        return 0
    if args.rerender:
        saved = json.loads(args.rerender.read_text())
        meta = saved["meta"]
        plan = Plan(meta["quick"], meta["members"], meta["duration"])
        report = render_report(plan, saved["machine"], saved["results"], saved["certificates"], meta["load"],
                               datetime.fromisoformat(meta["started"]), meta["elapsed"], meta.get("gunicorn"))
        target = args.output or (QUICK_RESULTS if plan.quick else RESULTS)
        target.write_text(report, encoding="utf-8")
        print(f"written to {target}")
        return 0
    if not shutil.which("wrk"):
        print("wrk 未安装：请运行 make bench（会安装 Debian 软件包 wrk）或 apt-get install wrk", file=sys.stderr)
        return 2

    plan = Plan(args.quick, args.members, args.duration)
    OUT.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        print(f"{time.perf_counter() - t0:7.1f}s  {msg}", flush=True)

    pg_reason = "--no-postgres" if args.no_postgres else common.postgres_available()
    machine = describe_machine(None if pg_reason else postgres_version())
    log(f"plan: {plan.members:,} members, {plan.duration:.0f} s per run; PostgreSQL: {pg_reason or 'yes'}")
    results: dict = {}
    with common.LoadSampler() as load:
        certs = run_certs(plan, log)
        results["sqlite"] = run_engine("sqlite", plan, log)
        if pg_reason:
            results["postgresql"] = {"skipped": f"PostgreSQL not reachable ({pg_reason})"}
        else:
            results["postgresql"] = run_engine("postgresql", plan, log)
    elapsed = time.perf_counter() - t0
    gconf = gunicorn_settings()
    report = render_report(plan, machine, results, certs, load.summary(), started, elapsed, gconf)
    target = args.output or (QUICK_RESULTS if plan.quick else RESULTS)
    target.write_text(report, encoding="utf-8")
    meta = {"quick": plan.quick, "members": plan.members, "duration": plan.duration, "started": started.isoformat(),
            "elapsed": elapsed, "load": load.summary(), "gunicorn": gconf}
    (OUT / ("results-quick.json" if plan.quick else "results.json")).write_text(
        json.dumps({"meta": meta, "machine": machine, "results": results, "certificates": certs}, indent=1,
                   default=str))
    print(report)
    log(f"written to {target}")
    failed = [(e, k) for e, r in results.items() if "skipped" not in r
              for k in ("beat", "beat_bare", "page", "page_bare") if r[k]["failed"]]
    if failed:
        print(f"FAILED requests in {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
