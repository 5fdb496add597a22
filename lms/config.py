"""Configuration: defaults → instance/config.py → LMS_* environment → the mapping given to create_app."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,  # generated once into instance/secret_key when not configured
    "DATABASE_URL": None,  # default: sqlite:///<instance>/lms.db
    "REDIS_URL": None,  # rate-limiter storage; memory when unset
    "TIMEZONE": "Asia/Shanghai",
    "MINUTES_PER_CREDIT_HOUR": 60,
    "ANNUAL_REQUIRED_HOURS": 32,
    # Study tracker (lms/hours): the beat interval, idle pause and the 防挂机 presence check.
    "BEAT_INTERVAL_SECONDS": 30,
    "IDLE_TIMEOUT_SECONDS": 300,
    "PRESENCE_CHECK_MIN_SECONDS": 900,
    "PRESENCE_CHECK_MAX_SECONDS": 1500,
    "PRESENCE_CHECK_TIMEOUT_SECONDS": 60,
    "CONTENT_DIR": None,  # default: <project>/content
    "SECURE_COOKIES": False,
    "PROXY_COUNT": 0,  # reverse proxies in front (nginx: 1) whose X-Forwarded-* headers are trusted
    "LOGIN_LIMIT_PER_ACCOUNT": "5 per 5 minutes",
    "LOGIN_LIMIT_PER_IP": "30 per 5 minutes",
    "RATELIMIT_ENABLED": True,
    "BASE_URL": "http://127.0.0.1:5000",
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,  # bytes per request (roster imports ≤ 2 MB); nginx: client_max_body_size
    "SITE_NAME": "党员在线学习平台",
    "TESTING": False,
}

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _coerce(value: str, like: Any) -> Any:
    if isinstance(like, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(like, int):
        return int(value)
    if isinstance(like, float):
        return float(value)
    return value


def load_config(instance_path: Path, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    cfg: dict[str, Any] = dict(DEFAULTS)
    instance_file = instance_path / "config.py"
    if instance_file.exists():
        ns: dict[str, Any] = {}
        exec(compile(instance_file.read_text(encoding="utf-8"), str(instance_file), "exec"), ns)
        cfg.update({k: v for k, v in ns.items() if k.isupper()})
    for key, value in os.environ.items():
        if key.startswith("LMS_") and key not in {"LMS_TEST_DATABASE_URL"}:
            name = key[4:]
            cfg[name] = _coerce(value, DEFAULTS.get(name, ""))
    if overrides:
        cfg.update(overrides)

    if not cfg.get("DATABASE_URL"):
        cfg["DATABASE_URL"] = f"sqlite:///{instance_path / 'lms.db'}"
    if not cfg.get("CONTENT_DIR"):
        cfg["CONTENT_DIR"] = str(PROJECT_ROOT / "content")
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = _instance_secret(instance_path)

    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["SESSION_COOKIE_SECURE"] = bool(cfg["SECURE_COOKIES"])
    cfg["REMEMBER_COOKIE_HTTPONLY"] = True
    cfg["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    cfg["REMEMBER_COOKIE_SECURE"] = bool(cfg["SECURE_COOKIES"])
    cfg["RATELIMIT_STORAGE_URI"] = cfg.get("REDIS_URL") or "memory://"
    cfg.setdefault("WTF_CSRF_TIME_LIMIT", None)
    return cfg


def _instance_secret(instance_path: Path) -> str:
    instance_path.mkdir(parents=True, exist_ok=True)
    f = instance_path / "secret_key"
    if not f.exists():
        f.write_text(secrets.token_hex(32), encoding="ascii")
        f.chmod(0o600)
    return f.read_text(encoding="ascii").strip()
