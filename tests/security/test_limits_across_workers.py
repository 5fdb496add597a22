"""The limits hold across gunicorn workers with the default configuration (no Redis).

gunicorn runs the app with 5 sync workers, as deployed (deploy/gunicorn.conf.py), on the test's
database; the counters are the SQL ones of lms/limiter_storage.py. The requests come through
127.0.0.1 with X-Forwarded-For (LMS_PROXY_COUNT=1, as behind nginx), so the test can speak from
several addresses.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 5
EVALUATED = "账号或密码不正确"
LOCKED = "该账号在当前网络已暂时锁定"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, port: int):
        self.port = port

    def request(self, method: str, path: str, *, address: str = "10.9.0.1", cookie: str = "",
                form: dict | None = None) -> tuple[int, str, list[str]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"X-Forwarded-For": address}
        if cookie:
            headers["Cookie"] = cookie
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read().decode(), resp.headers.get_all("Set-Cookie") or []
        finally:
            conn.close()

    def login_form(self, address: str) -> tuple[str, str]:
        """(session cookie, CSRF token) of a fresh visit to the login page."""
        _, html, cookies = self.request("GET", "/login", address=address)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        cookie = next(c.split(";", 1)[0] for c in cookies if c.startswith("session="))
        return cookie, token

    def login(self, login: str, password: str, *, address: str, visit: tuple[str, str]) -> tuple[int, str]:
        cookie, token = visit
        status, html, _ = self.request("POST", "/login", address=address, cookie=cookie,
                                       form={"login": login, "password": password, "csrf_token": token})
        return status, html


@pytest.fixture
def server(app, database_url, tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "LMS_REDIS_URL"}
    env.update({
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(WORKERS),
        "GUNICORN_ACCESSLOG": "",
        "GUNICORN_LOGLEVEL": "warning",
        "LMS_DATABASE_URL": database_url,
        "LMS_INSTANCE_PATH": app.config["INSTANCE_PATH"],
        "LMS_SECRET_KEY": "workers-test",
        "LMS_PROXY_COUNT": "1",
        "LMS_CERT_VERIFY_LIMIT": "10 per minute",
    })
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = (tmp_path / "gunicorn.log").open("wb")
    proc = subprocess.Popen([str(gunicorn), "-c", "deploy/gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        srv = Server(port)
        for _ in range(300):
            try:
                if srv.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.1)
        time.sleep(1.0)  # let every worker finish booting, so the requests spread over all of them
        yield srv
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_limits_hold_across_five_workers_without_redis(server, make_user):
    victim = make_user(phone="13900139000")
    other = make_user()

    # 40 sequential wrong logins, alternating 党员编号 and phone: exactly 5 are checked.
    visit = server.login_form("10.9.0.1")
    sequential = [server.login(victim.member_no if i % 2 else "13900139000", "wrong-guess-1",
                               address="10.9.0.1", visit=visit) for i in range(40)]
    evaluated = [status for status, html in sequential if EVALUATED in html]
    locked = [status for status, html in sequential if LOCKED in html]
    assert (len(evaluated), len(locked)) == (5, 35)
    assert set(evaluated) == {200} and set(locked) == {429}

    # The owner, from another address, signs in; the locked address cannot, even with the password.
    assert server.login(victim.member_no, PASSWORD, address="10.9.0.1", visit=visit)[0] == 429
    assert server.login(victim.member_no, PASSWORD, address="10.9.0.2",
                        visit=server.login_form("10.9.0.2"))[0] == 302

    # 30 concurrent wrong logins on another account: at most 5 are checked.
    visits = [server.login_form("10.9.0.3") for _ in range(30)]
    start = threading.Barrier(30)

    def guess(v):
        start.wait()
        return server.login(other.member_no, "wrong-guess-2", address="10.9.0.3", visit=v)

    with ThreadPoolExecutor(30) as pool:
        concurrent = list(pool.map(guess, visits))
    evaluated = sum(EVALUATED in html for _, html in concurrent)
    assert evaluated <= 5
    assert sum(status == 429 for status, _ in concurrent) == 30 - evaluated

    # 40 wrong logins from one address, each naming another account: the address's 30 are checked.
    visit = server.login_form("10.9.0.5")
    spread = [server.login(f"NOBODY-{i:03d}", "wrong-guess-3", address="10.9.0.5", visit=visit) for i in range(40)]
    per_address = sum(EVALUATED in html for _, html in spread)
    assert per_address == 30 and sum(status == 429 for status, _ in spread) == 10

    # Certificate verification at 10 per minute per address: 10 answered out of 25 concurrent ones.
    with ThreadPoolExecutor(25) as pool:
        statuses = list(pool.map(lambda _: server.request("GET", "/verify/ABCD-EFGH-JKLM", address="10.9.0.4")[0],
                                 range(25)))
    assert sorted(statuses).count(429) == 15 and all(s in (200, 404) for s in statuses if s != 429)
    print(f"\nworkers={WORKERS}: sequential evaluated 5/40, concurrent evaluated {evaluated}/30, "
          f"one address over 40 accounts evaluated {per_address}/40, "
          f"verify answered {25 - statuses.count(429)}/25 at 10 per minute")
