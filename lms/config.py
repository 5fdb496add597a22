"""Configuration: defaults → instance/config.py → LMS_* environment → the mapping given to create_app.

Every setting is declared once, in `Settings` below, with its type and default; the README's
configuration table lists the same names (tests/test_config.py checks both agree). Each source is
parsed against the declaration: `LMS_BEAT_INTERVAL_SECONDS=abc` or an `LMS_*` variable that names
no setting stops start-up with a message naming the variable. Booleans accept 1/0, true/false,
yes/no and on/off. `float` settings keep whole numbers as `int` (32, not 32.0), so a page that
prints the setting shows what the operator wrote.

`app.config` stays the plain Flask mapping that the code and templates read (with typed values);
`settings()` gives the same values as a typed, frozen `Settings`.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import secrets
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "LMS_"

# LMS_* variables that belong to the test suite, CI and the benchmarks, not to the app.
NOT_SETTINGS_PREFIXES = ("LMS_TEST_", "LMS_CI_", "LMS_BENCH_")
NOT_SETTINGS = frozenset({"LMS_REQUIRE_E2E"})


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the variable and what it should be."""


def _setting(
    default: Any, *, lo: float | None = None, hi: float | None = None, check=None, expected: str = ""
) -> Any:
    """A declared setting: its default, bounds for numbers, or a check with what it expects."""
    return field(default=default, metadata={"lo": lo, "hi": hi, "check": check, "expected": expected})


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Settings:
    """Every setting, with its type and default. The key (and `LMS_<KEY>` variable) is the upper-cased name."""

    # None means "computed at start-up": see load_config.
    secret_key: str | None = _setting(None)  # generated once into <instance>/secret_key
    database_url: str | None = _setting(None)  # sqlite:///<instance>/lms.db
    instance_path: str | None = _setting(None)  # <project>/instance (read by create_app before the rest)
    content_dir: str | None = _setting(None)  # <project>/content
    redis_url: str | None = _setting(None)  # rate-limiter storage; the database (lms/limiter_storage.py) when unset
    timezone: str = _setting("Asia/Shanghai", check=_is_zone, expected="时区名称（如 Asia/Shanghai）")
    site_name: str = _setting("党员在线学习平台")
    base_url: str = _setting("http://127.0.0.1:5000")
    # 学时 units (lms/units.py reads them).
    minutes_per_credit_hour: float = _setting(60, lo=1)
    annual_required_hours: float = _setting(32, lo=1)
    # Study tracker (lms/hours): the beat interval, idle pause and the 防挂机 presence check.
    beat_interval_seconds: int = _setting(30, lo=1, hi=3600)  # a credited span must fit one day boundary
    idle_timeout_seconds: int = _setting(300, lo=1)
    presence_check_min_seconds: int = _setting(900, lo=1)
    presence_check_max_seconds: int = _setting(1500, lo=1)
    presence_check_timeout_seconds: int = _setting(60, lo=1)
    # The ledger: no member is credited more 学时 than this in one local day, all sources together.
    daily_max_hours: float = _setting(12, lo=0.5, hi=24)
    presence_check_deliver_percent: int = _setting(50, lo=1, hi=100)  # chance that a beat delivers a due check
    presence_min_response_ms: int = _setting(800, lo=0)  # a sooner answer is not presence
    study_ticket_max_age_seconds: int = _setting(600, lo=1)  # a lesson page view's ticket opens study this long
    study_start_limit: str = _setting("20 per minute")  # /hours/start per account
    study_presence_limit: str = _setting("20 per minute")  # /hours/presence per account
    # 学时异常 detection (lms/integrity): what makes a member's study suspect.
    anomaly_window_days: int = _setting(30, lo=1)
    anomaly_fast_answers: int = _setting(1, lo=1)
    anomaly_refused_starts: int = _setting(3, lo=1)
    anomaly_min_beats: int = _setting(10, lo=2)
    anomaly_beat_spread_percent: float = _setting(2, lo=0)
    anomaly_back_to_back_lessons: int = _setting(3, lo=2)
    anomaly_back_to_back_gap_seconds: int = _setting(60, lo=0)
    anomaly_day_hours: int = _setting(16, lo=1, hi=24)
    anomaly_stretch_hours: float = _setting(8, lo=0.5)
    anomaly_same_ip_accounts: int = _setting(8, lo=2)
    # HTTP and security.
    secure_cookies: bool = _setting(False)
    remember_days: int = _setting(30, lo=1, hi=365)  # "保持登录": a remembered device, and any login, lapse unused
    proxy_count: int = _setting(0, lo=0)  # reverse proxies in front (nginx: 1) whose X-Forwarded-* are trusted
    max_content_length: int = _setting(5 * 1024 * 1024, lo=1)  # bytes per request; nginx: client_max_body_size
    ratelimit_enabled: bool = _setting(True)
    login_limit_per_account: str = _setting("5 per 5 minutes")
    login_limit_per_ip: str = _setting("30 per 5 minutes")
    password_min_score: int = _setting(2, lo=0, hi=4)  # zxcvbn's 0–4 (lms/auth/passwords.py)
    # Certificates.
    cert_verify_limit: str = _setting("30 per minute")  # the public verification page, per IP
    cert_font_dir: str | None = _setting(None)  # <instance>/fonts
    cert_render_processes: int = _setting(0, lo=0)  # 0: as many as CPUs, at most 4; 1: in-process only
    cert_parallel_min_pages: int = _setting(24, lo=0)  # fewer pages render in-process
    cert_batch_inline: bool = _setting(False)  # run batch jobs in the request (no background thread)
    cert_signing_keyring: str | None = _setting(None)  # shared key file; <instance>/cert_signing_keys.json

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """The declared settings out of a Flask config, each checked against its type."""
        return cls(**{f.name: _parse(f, config.get(f.name.upper()), f.name.upper()) for f in _FIELDS})


_FIELDS = dataclasses.fields(Settings)
_HINTS = typing.get_type_hints(Settings)
KEYS: tuple[str, ...] = tuple(f.name.upper() for f in _FIELDS)
DEFAULTS: dict[str, Any] = {f.name.upper(): f.default for f in _FIELDS}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _kind(f: dataclasses.Field) -> tuple[type, bool]:
    """(the base type, whether None is allowed)."""
    hint = _HINTS[f.name]
    if isinstance(hint, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0], True
    return hint, False


_EXPECTED = {
    bool: "布尔值（bool：1/0、true/false、yes/no、on/off）",
    int: "整数（int）",
    float: "数值（float，可带小数，如 32.5）",
    str: "字符串（str）",
}


def _parse(f: dataclasses.Field, raw: Any, where: str) -> Any:
    kind, optional = _kind(f)

    def bad() -> ConfigError:
        return ConfigError(f"配置错误：{where} 的值 {raw!r} 无效，应为{f.metadata['expected'] or _EXPECTED[kind]}。")

    if raw is None or (optional and isinstance(raw, str) and not raw.strip()):
        if optional:
            return None
        raise bad()
    raw_text = raw.strip() if isinstance(raw, str) and kind is not str else None
    if kind is bool:
        if isinstance(raw, bool):
            value = raw
        elif isinstance(raw, int) and raw in (0, 1):
            value = bool(raw)
        elif raw_text is not None and raw_text.lower() in _TRUE | _FALSE:
            value = raw_text.lower() in _TRUE
        else:
            raise bad()
    elif kind is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif raw_text is not None:
            try:
                value = int(raw_text)
            except ValueError:
                raise bad() from None
        else:
            raise bad()
    elif kind is float:
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            number = raw
        elif raw_text is not None:
            try:
                number = float(raw_text)
            except ValueError:
                raise bad() from None
        else:
            raise bad()
        if not math.isfinite(number):
            raise bad()
        value = int(number) if float(number).is_integer() else float(number)
    else:
        if not isinstance(raw, str):
            raise bad()
        value = raw
    if f.metadata["check"] is not None and not f.metadata["check"](value):
        raise bad()
    lo, hi = f.metadata["lo"], f.metadata["hi"]
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        span = f"不小于 {lo}" if hi is None else f"在 {lo} 到 {hi} 之间"
        raise ConfigError(f"配置错误：{where} 的值 {raw!r} 超出范围，应{span}。")
    return value


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    by_key = {f.name.upper(): f for f in _FIELDS}
    values: dict[str, Any] = {}
    unknown: list[str] = []
    for var, raw in sorted(environ.items()):
        if not var.startswith(ENV_PREFIX) or var in NOT_SETTINGS or var.startswith(NOT_SETTINGS_PREFIXES):
            continue
        key = var[len(ENV_PREFIX):]
        if key in by_key:
            values[key] = _parse(by_key[key], raw, f"环境变量 {var}")
        else:
            close = difflib.get_close_matches(key, KEYS, n=1)
            unknown.append(f"{var}（是否应为 {ENV_PREFIX}{close[0]}？）" if close else var)
    if unknown:
        raise ConfigError(
            f"配置错误：未知的环境变量 {'、'.join(unknown)}，不是本系统的配置项（可用的配置项见 README 的“配置”一节）。"
        )
    return values


def _checked(values: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Declared keys parsed against their type; other keys (Flask's, its extensions') pass through."""
    by_key = {f.name.upper(): f for f in _FIELDS}
    return {
        k: _parse(by_key[k], v, f"{source} 中的 {k}") if k in by_key else v
        for k, v in values.items()
    }


def load_config(
    instance_path: Path,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    cfg: dict[str, Any] = dict(DEFAULTS)
    instance_file = instance_path / "config.py"
    if instance_file.exists():
        ns: dict[str, Any] = {}
        exec(compile(instance_file.read_text(encoding="utf-8"), str(instance_file), "exec"), ns)
        cfg.update(_checked({k: v for k, v in ns.items() if k.isupper()}, str(instance_file)))
    cfg.update(_from_environment(os.environ if environ is None else environ))
    if overrides:
        cfg.update(_checked(overrides, "create_app 的配置"))

    if not cfg["INSTANCE_PATH"]:
        cfg["INSTANCE_PATH"] = str(instance_path)
    if not cfg["DATABASE_URL"]:
        cfg["DATABASE_URL"] = f"sqlite:///{instance_path / 'lms.db'}"
    if not cfg["CONTENT_DIR"]:
        cfg["CONTENT_DIR"] = str(PROJECT_ROOT / "content")
    if not cfg["CERT_FONT_DIR"]:
        cfg["CERT_FONT_DIR"] = str(instance_path / "fonts")
    if not cfg["SECRET_KEY"]:
        cfg["SECRET_KEY"] = _instance_secret(instance_path)

    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["SESSION_COOKIE_SECURE"] = cfg["SECURE_COOKIES"]
    if cfg["REDIS_URL"]:
        cfg["RATELIMIT_STORAGE_URI"] = cfg["REDIS_URL"]
    else:  # counters every worker shares, in SQL (lms/limiter_storage.py)
        from lms.limiter_storage import storage_uri

        cfg["RATELIMIT_STORAGE_URI"] = storage_uri(cfg["DATABASE_URL"], cfg["INSTANCE_PATH"])
    cfg.setdefault("WTF_CSRF_TIME_LIMIT", None)
    return cfg


def settings(app=None) -> Settings:
    """The app's settings, typed. Built from `app.config` (so a test that changes app.config is seen),
    and kept until one of the declared values changes."""
    if app is None:
        app = current_app
    values = tuple(app.config.get(k) for k in KEYS)
    cached = app.extensions.get("lms_settings")
    if cached is None or cached[0] != values:
        cached = (values, Settings.from_config(app.config))
        app.extensions["lms_settings"] = cached
    return cached[1]


def _instance_secret(instance_path: Path) -> str:
    instance_path.mkdir(parents=True, exist_ok=True)
    f = instance_path / "secret_key"
    if not f.exists():
        f.write_text(secrets.token_hex(32), encoding="ascii")
        f.chmod(0o600)
    return f.read_text(encoding="ascii").strip()
