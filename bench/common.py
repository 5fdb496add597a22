"""What bench/run.py, bench/load.py and bench/faults.py share: databases, gunicorn, HTTP, learners.

Everything runs on 127.0.0.1 only; every loop is bounded in count and time.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
HOST = "127.0.0.1"
PG_ADMIN_URL = os.environ.get("LMS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
USER_AGENT = "lms-bench/1.0"  # the session is bound to it (flask-login "strong" protection)
LESSON_KEY = "cadre-selection-regulations/good-cadre-standard"  # 0.5 学时: 1,800 s cap
LESSON_PATH = "/courses/cadre-selection-regulations/good-cadre-standard"

sys.path.insert(0, str(ROOT))


# ---------------------------------------------------------------- databases

def postgres_available(admin_url: str = PG_ADMIN_URL) -> str | None:
    """None when PostgreSQL answers; otherwise why not."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(admin_url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "skip PostgreSQL"
        return str(exc).splitlines()[0]
    return None


@contextlib.contextmanager
def fresh_database(engine: str, label: str, *, admin_url: str = PG_ADMIN_URL, keep_sqlite: Path | None = None):
    """Yield the URL of a new, empty database; dropped (PostgreSQL) or deleted (SQLite) afterwards."""
    import sqlalchemy as sa

    if engine == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        path = keep_sqlite or OUT / f"{label}-{uuid.uuid4().hex[:6]}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        try:
            yield f"sqlite:///{path}"
        finally:
            if keep_sqlite is None:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"lms_{label}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    try:
        yield sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def migrate_and_sync(url: str) -> None:
    """`alembic upgrade head` and `flask lms content sync` on this database."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, "head")

    from lms import clock
    from lms.content.loader import load_tree
    from lms.content.sync import sync_content
    from lms.db import cli_session

    app = bench_app(url)
    with app.app_context(), cli_session() as s:
        courses, problems = load_tree(Path(app.config["CONTENT_DIR"]))
        assert not problems, problems
        sync_content(session=s, courses=courses, now=clock.now())
    app.extensions["lms_engine"].dispose()


def bench_app(url: str):
    from lms import create_app

    # One instance folder under bench/out for every set-up app (nothing left behind in /tmp).
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(OUT / "instance")})


def create_learners(url: str, n: int, password: str, prefix: str = "L") -> tuple[list[tuple[int, str]], int]:
    """n members in one branch with a cheap password hash; returns [(id, login)] and the lesson id."""
    from sqlmodel import select
    from werkzeug.security import generate_password_hash

    from lms.auth.models import User
    from lms.content.models import Lesson
    from lms.db import cli_session
    from lms.orgs.services import create_org

    app = bench_app(url)
    pw_hash = generate_password_hash(password, method="pbkdf2:sha256:1000")
    with app.app_context(), cli_session() as s:
        branch = create_org(session=s, name="压测支部", kind="党支部")
        users = [User(name=f"学员{i}", member_no=f"{prefix}{i:05d}", password_hash=pw_hash, org_id=branch.id,
                      must_change_password=False) for i in range(n)]
        s.add_all(users)
        s.flush()
        out = [(u.id, u.member_no) for u in users]
        lesson_id = s.exec(select(Lesson.id).where(Lesson.key == LESSON_KEY)).one()
    app.extensions["lms_engine"].dispose()
    return out, lesson_id


# ---------------------------------------------------------------- gunicorn

def free_port(lo: int = 5200, hi: int = 5299) -> int:
    """A free port in this project's range (5200–5299)."""
    for port in range(lo, hi + 1):
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {lo}–{hi}")


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    target: str
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def workers(self) -> list[int]:
        return child_pids(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def start_gunicorn(target: str, env: dict[str, str], *, port: int | None = None, workers: int | None = None,
                   log_name: str = "gunicorn") -> Server:
    """gunicorn -c deploy/gunicorn.conf.py on 127.0.0.1 (the documented configuration), access log off."""
    port = port or free_port()
    OUT.mkdir(parents=True, exist_ok=True)
    log = OUT / f"{log_name}-{port}.log"
    full_env = {**os.environ, **env, "GUNICORN_BIND": f"{HOST}:{port}", "GUNICORN_ACCESSLOG": "",
                "GUNICORN_LOGLEVEL": "warning"}
    if workers:
        full_env["GUNICORN_WORKERS"] = str(workers)
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "--chdir", str(ROOT), target]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, env=full_env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
    server = Server(proc, port, target, log)
    deadline = time.time() + 60
    expected = int(full_env.get("GUNICORN_WORKERS") or (os.cpu_count() or 1) * 2 + 1)
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn for {target} exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            status, _ = http_get(port, "/healthz" if target == "wsgi:app" else "/ping", timeout=2)
            if status == 200 and len(server.workers()) >= expected:
                time.sleep(0.5)  # let every worker finish importing the app
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"gunicorn for {target} did not start: {log.read_text()[-2000:]}")


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is pid (gunicorn's workers are the master's children)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(entry.name))
    return sorted(out)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- HTTP

def http_get(port: int, path: str, timeout: float = 30, headers: dict | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"User-Agent": USER_AGENT, **(headers or {})})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


class Client:
    """One browser: a session cookie, the User-Agent it logged in with, a connection per request."""

    def __init__(self, port: int, timeout: float = 30):
        self.port = port
        self.timeout = timeout
        self.cookie: str | None = None
        self.csrf: str | None = None

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        hdrs = {"User-Agent": USER_AGENT, **(headers or {})}
        if self.cookie:
            hdrs["Cookie"] = f"session={self.cookie}"
        body = None
        if form is not None:
            body = urlencode(form)
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
            if self.csrf:
                hdrs["X-CSRFToken"] = self.csrf
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            payload = resp.read()
            for k, v in resp.getheaders():
                if k.lower() == "set-cookie":
                    m = re.match(r"session=([^;]*)", v)
                    if m:
                        self.cookie = m.group(1)
            return resp.status, payload, dict(resp.getheaders())
        finally:
            conn.close()

    def login(self, login: str, password: str) -> None:
        status, html, _ = self.request("GET", "/login")
        assert status == 200, status
        self.csrf = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html).group(1).decode()
        status, _, headers = self.request("POST", "/login", {"login": login, "password": password,
                                                            "csrf_token": self.csrf})
        assert status == 302 and "/login" not in headers.get("Location", ""), f"login failed for {login}: {status}"

    def open_lesson(self, path: str = LESSON_PATH) -> dict:
        """GET the lesson page as the browser does, then POST /hours/start as tracker.js does."""
        status, html, _ = self.request("GET", path)
        assert status == 200 and b'id="study-tracker"' in html, f"lesson page: {status}"
        lesson_id = re.search(rb'data-lesson-id="(\d+)"', html).group(1).decode()
        csrf = re.search(rb'data-csrf="([^"]+)"', html)
        if csrf:
            self.csrf = csrf.group(1).decode()
        ticket = re.search(rb'data-ticket="([^"]+)"', html).group(1).decode()  # this page view's study ticket
        status, body, _ = self.request("POST", "/hours/start", {"lesson_id": lesson_id, "ticket": ticket})
        assert status == 200, f"start: {status} {body[:200]!r}"
        return json.loads(body)


def parallel(n_threads: int, items: list, fn) -> list:
    """fn over items with n threads; the first exception is raised after all have finished."""
    results: list = [None] * len(items)
    errors: list[BaseException] = []
    lock = threading.Lock()
    it = iter(range(len(items)))

    def work():
        while True:
            with lock:
                i = next(it, None)
            if i is None:
                return
            try:
                results[i] = fn(items[i])
            except BaseException as e:  # noqa: BLE001 - re-raised below
                errors.append(e)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


# ---------------------------------------------------------------- machine

@dataclass
class LoadSampler:
    """Samples the 1-minute load average every few seconds in a thread, for the report."""

    every: float = 5.0
    samples: list[float] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self):
        def run():
            while not self._stop.is_set():
                self.samples.append(os.getloadavg()[0])
                self._stop.wait(self.every)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def summary(self) -> str:
        if not self.samples:
            return "n/a"
        return (f"min {min(self.samples):.2f}, mean {sum(self.samples) / len(self.samples):.2f}, "
                f"max {max(self.samples):.2f} (1-min load average, sampled every {self.every:.0f} s)")
