"""gunicorn configuration: `.venv/bin/gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be overridden from the environment (GUNICORN_*), so one file serves the
embedded SQLite set-up and a PostgreSQL deployment.
"""

import multiprocessing
import os

import gunicorn.http.wsgi

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: the app does short database work per request. 2×cores+1 is the usual start.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
# Recycle workers now and then so a slow leak (e.g. after many PDF renders) cannot grow forever;
# a process's RSS grows little over 1,000 certificate renders (bench/RESULTS.md), so not often.
# The jitter is as large as the limit so the workers do not all restart at the same moment:
# with 2000 + up to 200 under load they did, and nobody accepted requests for ~0.75 s (p99 750 ms on
# bench/bare_app.py, against 10 ms with 2000 + up to 2000).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 10000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 10000))
# Certificate batches run in the background; no request should take longer than this.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None  # empty: no access log
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Behind nginx on the same host: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
preload_app = False  # each worker opens its own database pool


# No "Server: gunicorn" header: it would tell a scanner which software (and so which known flaws)
# to try. gunicorn has no setting for it; its responses start from Response.default_headers,
# which this file (loaded by the master before it forks the workers) filters.
_default_headers = gunicorn.http.wsgi.Response.default_headers


def _without_server_header(self):
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


gunicorn.http.wsgi.Response.default_headers = _without_server_header
