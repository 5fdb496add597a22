"""The reviewer's logout replay (issue 13): log in with 保持登录, keep a copy of the session cookie
and of the remember cookie, log out, then replay each copy — from the same browser, and from a
fresh client with another address and User-Agent. Every replay gets the login page (401 for the
scripts' JSON endpoints), and a study beat sent with the old session cookie credits nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from lms import clock
from lms.auth.login_cookies import REMEMBER_COOKIE
from tests.conftest import PASSWORD, csrf_token
from tests.hours.conftest import LESSON_PATH, Tab, at

VICTIM = {"REMOTE_ADDR": "10.20.0.5",
          "HTTP_USER_AGENT": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                             "Chrome/120.0.0.0 Safari/537.36"}
ATTACKER = {"REMOTE_ADDR": "203.0.113.66", "HTTP_USER_AGENT": "python-requests/2.32.3"}


@pytest.fixture
def victim(app, make_user, synced):
    clock.freeze(at(2026, 3, 10, 9, 0, 0))
    user = make_user()
    browser = app.test_client()
    browser.environ_base.update(VICTIM)
    resp = browser.post("/login", data={"login": user.login_name, "password": PASSWORD, "remember": "y",
                                        "csrf_token": csrf_token(browser)})
    assert resp.status_code == 302
    return user, browser


def _online_seconds(db, user_id: int) -> int:
    from lms.hours.models import LedgerEntry

    with db() as s:
        return sum(s.exec(select(LedgerEntry.seconds).where(LedgerEntry.user_id == user_id)).all())


def _client(app, environ: dict, **cookies: str):
    client = app.test_client()
    client.environ_base.update(environ)
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def _is_login_page(resp) -> bool:
    return resp.status_code == 302 and resp.headers["Location"].split("?")[0].endswith("/login")


def test_logout_ends_the_session_cookie_and_the_remember_token_everywhere(app, db, victim):
    user, browser = victim
    tab = Tab(browser, csrf_token(browser, LESSON_PATH), _lesson_id(db))
    tab.start()
    clock.advance(seconds=30)
    assert tab.beat()["credited"] == 30  # the login works: a beat credits
    session_cookie = browser.get_cookie("session").value
    remember = browser.get_cookie(REMEMBER_COOKIE).value

    assert browser.post("/logout", data={"csrf_token": csrf_token(browser, "/")}).status_code == 302
    credited = _online_seconds(db, user.id)
    clock.advance(seconds=30)

    replays = {
        "the session cookie, same browser": _client(app, VICTIM, session=session_cookie),
        "the session cookie, another address": _client(app, ATTACKER, session=session_cookie),
        "the remember cookie, same browser": _client(app, VICTIM, **{REMEMBER_COOKIE: remember}),
        "the remember cookie, another address": _client(app, ATTACKER, **{REMEMBER_COOKIE: remember}),
        "both, another address": _client(app, ATTACKER, session=session_cookie, **{REMEMBER_COOKIE: remember}),
    }
    for label, thief in replays.items():
        for path in ("/", LESSON_PATH, "/hours/", "/account/devices"):
            assert _is_login_page(thief.get(path)), (label, path)
        # The scripts' endpoints, with a CSRF token that passes (the login form's, in the replayed
        # session): 401, not a redirect.
        token = csrf_token(thief)
        beat = thief.post("/hours/beat", data={"token": tab.token}, headers={"X-CSRFToken": token})
        assert beat.status_code == 401 and beat.get_json()["state"] == "login", label
        start = thief.post("/hours/start", data={"lesson_id": tab.lesson_id}, headers={"X-CSRFToken": token})
        assert start.status_code == 401, label
    # The logged-out page itself keeps beating with the old cookie and its CSRF token: 401.
    beat = _client(app, VICTIM, session=session_cookie).post(
        "/hours/beat", data={"token": tab.token}, headers={"X-CSRFToken": tab.csrf})
    assert beat.status_code == 401
    # The beat with the old cookie, as the logged-out page would send it: nothing is credited.
    assert _online_seconds(db, user.id) == credited


def test_logging_in_again_does_not_revive_the_old_cookies(app, db, victim):
    user, browser = victim
    session_cookie = browser.get_cookie("session").value
    remember = browser.get_cookie(REMEMBER_COOKIE).value
    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/")})
    again = browser.post("/login", data={"login": user.login_name, "password": PASSWORD, "remember": "y",
                                         "csrf_token": csrf_token(browser)})
    assert again.status_code == 302 and browser.get("/").status_code == 200
    assert _is_login_page(_client(app, VICTIM, session=session_cookie).get("/"))
    assert _is_login_page(_client(app, ATTACKER, **{REMEMBER_COOKIE: remember}).get("/"))


def test_the_old_login_before_this_change_opens_nothing(app, victim):
    """A session cookie of the old form ("<id>:<version>", no login) is refused."""
    from flask_login.utils import _create_identifier

    user, _ = victim
    with app.test_request_context(environ_base=VICTIM):
        this_browser = _create_identifier()  # so session protection lets it through to the loader
    old_style = _client(app, VICTIM)
    with old_style.session_transaction() as sess:
        sess["_user_id"] = f"{user.id}:1"
        sess["_fresh"] = True
        sess["_id"] = this_browser
    assert _is_login_page(old_style.get("/"))


def _lesson_id(db) -> int:
    from lms.content.models import Lesson
    from tests.hours.conftest import LESSON_KEY

    with db() as s:
        return s.exec(select(Lesson.id).where(Lesson.key == LESSON_KEY)).one()

