"""Rate-limit counters in SQL, shared by every gunicorn worker: a `limits` Storage (scheme `sql://`).

The `limits` package ships memory, Redis, Memcached, MongoDB and etcd storages. Memory is per
process (5 workers multiply every limit by 5) and the others are servers this deployment does not
otherwise need. So when `LMS_REDIS_URL` is unset, Flask-Limiter (and the login throttle,
`lms.auth.throttle`) count in the table `ratelimit_counter`, one row per key:

- on PostgreSQL, in the app database itself (the table comes with migration 0012_throttle);
- on SQLite, in a file of its own beside the app database (`<instance>/ratelimit.db`, the table
  created on first use). SQLite has one writer per file: a POST request's session holds the app
  database's write lock from its first statement, and a counter written on another connection to
  the same file from inside that request would wait for it (a limit checked after the user was
  loaded would hang for the busy timeout). A second file has its own lock.

Every counter change is one statement (`INSERT … ON CONFLICT DO UPDATE … RETURNING count`) in its
own short transaction, so concurrent workers never lose an increment and the count a request sees
is the one it made. Only the fixed-window strategy (Flask-Limiter's default) is supported.
"""

from __future__ import annotations

import hashlib
import threading
import urllib.parse
from pathlib import Path

import sqlalchemy as sa
from limits.storage import Storage
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from lms import clock
from lms.db import create_db_engine, metadata

SCHEME = "sql"
MAX_KEY = 200  # longer keys are stored as a digest

counters = sa.Table(
    "ratelimit_counter",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),  # epoch seconds
)

_INCR = sa.text(
    "INSERT INTO ratelimit_counter (key, count, expires_at) VALUES (:key, :amount, :now + :expiry) "
    "ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN ratelimit_counter.expires_at <= :now THEN :amount "
    "ELSE ratelimit_counter.count + :amount END, "
    "expires_at = CASE WHEN ratelimit_counter.expires_at <= :now THEN :now + :expiry "
    "ELSE ratelimit_counter.expires_at END "
    "RETURNING count"
)
_PURGE_EVERY = 500  # increments per process between deletions of expired rows

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _engine_for(url: str) -> Engine:
    """One engine per URL and process. SQLite connects per use (no pool to leak across many apps)."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                database = sa.engine.make_url(url).database
                if database:
                    Path(database).parent.mkdir(parents=True, exist_ok=True)
                engine = create_db_engine(url, poolclass=NullPool)
                with engine.begin() as conn:  # every worker starts at once: IF NOT EXISTS, not a check
                    conn.execute(sa.schema.CreateTable(counters, if_not_exists=True))
            else:
                engine = create_db_engine(url, pool_size=2, max_overflow=8)
            _engines[url] = engine
        return engine


def storage_uri(database_url: str, instance_path: str) -> str:
    """Flask-Limiter's storage URI for an app database: `sql://counters?url=<where they live>`."""
    url = f"sqlite:///{instance_path}/ratelimit.db" if database_url.startswith("sqlite") else database_url
    return f"{SCHEME}://counters?" + urllib.parse.urlencode({"url": url})


def _now() -> float:
    return clock.now().timestamp()


def _key(key: str) -> str:
    if len(key) <= MAX_KEY:
        return key
    return key[:100] + "#" + hashlib.sha256(key.encode()).hexdigest()


class SQLStorage(Storage):
    """`sql://counters?url=<SQLAlchemy URL>`: fixed-window counters in `ratelimit_counter` there."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        url = urllib.parse.parse_qs(urllib.parse.urlsplit(uri or "").query).get("url", [""])[0]
        if not url:
            raise ValueError("sql:// storage needs ?url= (the database of the counters)")
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.url = url
        self._increments = 0

    @property
    def engine(self) -> Engine:
        return _engine_for(self.url)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sa.exc.SQLAlchemyError

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Adds `amount` (negative: gives back) and returns the new count; a lapsed window starts anew."""
        now = _now()
        with self.engine.begin() as conn:
            count = conn.execute(_INCR, {"key": _key(key), "amount": amount, "now": now, "expiry": expiry}).scalar_one()
            self._increments += 1
            if self._increments % _PURGE_EVERY == 0:
                conn.execute(counters.delete().where(counters.c.expires_at <= now))
        return int(count)

    def _row(self, key: str):
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(counters.c.count, counters.c.expires_at).where(counters.c.key == _key(key))
            ).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.count) if row is not None and row.expires_at > _now() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        now = _now()
        return float(row.expires_at) if row is not None and row.expires_at > now else now

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.select(sa.func.count()).select_from(counters))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(counters.delete()).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(counters.delete().where(counters.c.key == _key(key)))
