"""lms/limiter_storage.py: the rate-limit counters every worker shares when LMS_REDIS_URL is unset."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from lms import clock
from lms.extensions import limiter
from lms.limiter_storage import SQLStorage


@pytest.fixture
def storage(app):
    with app.app_context():
        yield limiter.storage


def test_the_app_counts_in_sql_without_redis(app, storage):
    assert isinstance(storage, SQLStorage)
    if app.config["DATABASE_URL"].startswith("sqlite"):
        assert storage.url == f"sqlite:///{app.config['INSTANCE_PATH']}/ratelimit.db"
    else:
        assert storage.url == app.config["DATABASE_URL"]
    assert storage.check()


def test_counts_expire_and_clear(storage):
    clock.freeze(datetime(2026, 5, 1, 8, 0, tzinfo=UTC))
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3
    assert storage.get_expiry("k") == clock.now().timestamp() + 60
    assert storage.incr("k", 60, amount=-1) == 2
    clock.advance(seconds=59)
    assert storage.incr("k", 60) == 3  # the same window
    clock.advance(seconds=1)
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1  # a new window, with a new expiry
    assert storage.get_expiry("k") == clock.now().timestamp() + 60
    storage.incr("other", 60)
    storage.clear("k")
    assert storage.get("k") == 0 and storage.get("other") == 1
    assert storage.reset() == 1 and storage.get("other") == 0


def test_long_keys_are_kept_apart(storage):
    a, b = "x" * 300 + "a", "x" * 300 + "b"
    assert (storage.incr(a, 60), storage.incr(a, 60), storage.incr(b, 60)) == (1, 2, 1)


def test_concurrent_increments_are_never_lost(app, storage):
    """Each increment returns the count it made: 8 threads × 25 see every number from 1 to 200 once."""
    seen: list[int] = []
    start = threading.Barrier(8)

    def work():
        with app.app_context():
            start.wait()
            seen.extend(storage.incr("race", 60) for _ in range(25))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(1, 201))
    assert storage.get("race") == 200


def test_a_limit_checked_while_the_request_holds_the_write_lock_does_not_wait(app, storage, make_user):
    """A POST's session takes SQLite's write lock at its first statement (loading the user, say); a
    limit counted after that must not queue behind its own request."""
    from lms.auth.models import User
    from lms.db import get_session, write_intent

    make_user()
    with app.test_request_context("/hours/presence", method="POST"), write_intent():  # as a POST is marked
        get_session().exec(sa.select(User)).first()  # the request's transaction is open now
        assert storage.incr("during-a-request", 60) == 1
