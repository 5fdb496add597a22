"""Typed configuration: defaults → instance/config.py → LMS_* environment → the create_app mapping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lms import create_app
from lms.config import DEFAULTS, KEYS, ConfigError, Settings, load_config, settings

ROOT = Path(__file__).resolve().parent.parent


def load(tmp_path, env=None, overrides=None, instance_py: str | None = None) -> dict:
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    if instance_py is not None:
        (instance / "config.py").write_text(instance_py, encoding="utf-8")
    return load_config(instance, overrides, environ=env or {})


# --- the two bugs found ----------------------------------------------------------------------------


def test_cert_batch_inline_0_is_false(app_config, monkeypatch):
    """It arrived as the string '0', which counted as true: batch jobs ran inside the request."""
    monkeypatch.setenv("LMS_CERT_BATCH_INLINE", "0")
    app = create_app(app_config)
    assert app.config["CERT_BATCH_INLINE"] is False
    monkeypatch.setenv("LMS_CERT_BATCH_INLINE", "1")
    assert create_app(app_config).config["CERT_BATCH_INLINE"] is True


def test_annual_required_hours_may_be_a_fraction(app_config, monkeypatch):
    """LMS_ANNUAL_REQUIRED_HOURS=32.5 crashed start-up at int()."""
    monkeypatch.setenv("LMS_ANNUAL_REQUIRED_HOURS", "32.5")
    app = create_app(app_config)
    assert app.config["ANNUAL_REQUIRED_HOURS"] == 32.5
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "不少于 32.5 学时" in page


def test_whole_numbers_print_as_written(tmp_path):
    """A float setting given as 32 stays 32 (pages print the setting: 32 学时, not 32.0)."""
    cfg = load(tmp_path, {"LMS_ANNUAL_REQUIRED_HOURS": "32", "LMS_MINUTES_PER_CREDIT_HOUR": "45.5"})
    assert cfg["ANNUAL_REQUIRED_HOURS"] == 32 and str(cfg["ANNUAL_REQUIRED_HOURS"]) == "32"
    assert cfg["MINUTES_PER_CREDIT_HOUR"] == 45.5 and isinstance(cfg["MINUTES_PER_CREDIT_HOUR"], float)


# --- parsing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("1", True), ("true", True), ("TRUE", True), ("yes", True), ("Yes", True), ("on", True), (" on ", True),
    ("0", False), ("false", False), ("False", False), ("no", False), ("NO", False), ("off", False),
])
def test_boolean_spellings(tmp_path, text, expected):
    cfg = load(tmp_path, {"LMS_SECURE_COOKIES": text, "LMS_RATELIMIT_ENABLED": text})
    assert cfg["SECURE_COOKIES"] is expected and cfg["RATELIMIT_ENABLED"] is expected
    assert cfg["SESSION_COOKIE_SECURE"] is expected


@pytest.mark.parametrize("text", ["maybe", "", "2", "y"])
def test_a_boolean_that_is_none_of_the_spellings_is_an_error(tmp_path, text):
    with pytest.raises(ConfigError, match=r"LMS_SECURE_COOKIES.*bool"):
        load(tmp_path, {"LMS_SECURE_COOKIES": text})


def test_ints_are_ints(tmp_path):
    cfg = load(tmp_path, {"LMS_BEAT_INTERVAL_SECONDS": " 20 ", "LMS_PROXY_COUNT": "1"})
    assert cfg["BEAT_INTERVAL_SECONDS"] == 20 and cfg["PROXY_COUNT"] == 1


@pytest.mark.parametrize(("var", "value", "expected"), [
    ("LMS_BEAT_INTERVAL_SECONDS", "abc", "int"),
    ("LMS_BEAT_INTERVAL_SECONDS", "1.5", "int"),
    ("LMS_ANNUAL_REQUIRED_HOURS", "三十二", "float"),
    ("LMS_ANNUAL_REQUIRED_HOURS", "nan", "float"),
    ("LMS_TIMEZONE", "Mars/Olympus", "时区"),
])
def test_a_bad_value_names_the_variable_and_the_expected_type(tmp_path, var, value, expected):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, {var: value})
    assert var in str(err.value) and expected in str(err.value) and repr(value) in str(err.value)


def test_a_value_out_of_range_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="LMS_BEAT_INTERVAL_SECONDS.*1 到 3600"):
        load(tmp_path, {"LMS_BEAT_INTERVAL_SECONDS": "0"})


def test_a_bad_value_stops_create_app(app_config, monkeypatch):
    monkeypatch.setenv("LMS_BEAT_INTERVAL_SECONDS", "abc")
    with pytest.raises(ConfigError, match="LMS_BEAT_INTERVAL_SECONDS"):
        create_app(app_config)


# --- unknown variables -----------------------------------------------------------------------------


def test_an_unknown_lms_variable_is_an_error_with_its_name(app_config, monkeypatch):
    monkeypatch.setenv("LMS_BEAT_INTERVAL", "20")  # a typo of LMS_BEAT_INTERVAL_SECONDS
    with pytest.raises(ConfigError) as err:
        create_app(app_config)
    assert "LMS_BEAT_INTERVAL" in str(err.value) and "LMS_BEAT_INTERVAL_SECONDS？" in str(err.value)


def test_every_unknown_variable_is_named(tmp_path):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, {"LMS_FOO": "1", "LMS_SECURE_COOKIE": "true"})
    assert "LMS_FOO" in str(err.value) and "LMS_SECURE_COOKIE（" in str(err.value)


def test_the_test_suite_ci_and_bench_variables_are_not_settings(tmp_path):
    env = {"LMS_TEST_DATABASE_URL": "postgresql+psycopg://x/y", "LMS_TEST_REDIS_URL": "redis://x",
           "LMS_REQUIRE_E2E": "1", "LMS_CI_POSTGRES_URL": "postgresql://x", "LMS_BENCH_POSTGRES_URL": "x",
           "LMS_BENCH_PG_CLUSTER": "15/main", "PATH": "/usr/bin", "LMSX": "not ours"}
    assert load(tmp_path, env)["DATABASE_URL"].startswith("sqlite:///")


def test_other_keys_in_the_mapping_and_instance_file_pass_through(tmp_path):
    """Flask's and its extensions' own keys are not ours to declare."""
    cfg = load(tmp_path, overrides={"WTF_CSRF_ENABLED": False}, instance_py="RATELIMIT_KEY_PREFIX = 'x'\n")
    assert cfg["WTF_CSRF_ENABLED"] is False and cfg["RATELIMIT_KEY_PREFIX"] == "x"


# --- the order of the sources ----------------------------------------------------------------------


def test_instance_config_overrides_defaults_and_environment_overrides_it(tmp_path):
    instance_py = "BEAT_INTERVAL_SECONDS = 20\nSITE_NAME = '示范单位学习平台'\nSECURE_COOKIES = 'yes'\n"
    cfg = load(tmp_path, instance_py=instance_py)
    assert cfg["BEAT_INTERVAL_SECONDS"] == 20 and cfg["SITE_NAME"] == "示范单位学习平台"
    assert cfg["SECURE_COOKIES"] is True
    cfg = load(tmp_path, {"LMS_BEAT_INTERVAL_SECONDS": "15"}, instance_py=instance_py)
    assert cfg["BEAT_INTERVAL_SECONDS"] == 15 and cfg["SITE_NAME"] == "示范单位学习平台"


def test_a_bad_value_in_instance_config_names_the_file_and_key(tmp_path):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, instance_py="BEAT_INTERVAL_SECONDS = 'abc'\n")
    assert "config.py" in str(err.value) and "BEAT_INTERVAL_SECONDS" in str(err.value)


def test_the_create_app_mapping_overrides_everything(app_config, monkeypatch):
    monkeypatch.setenv("LMS_BEAT_INTERVAL_SECONDS", "15")
    app = create_app({**app_config, "BEAT_INTERVAL_SECONDS": 5, "SITE_NAME": "测试平台"})
    assert app.config["BEAT_INTERVAL_SECONDS"] == 5
    assert "<title>" in (page := app.test_client().get("/login").get_data(as_text=True)) and "测试平台" in page
    with pytest.raises(ConfigError, match="BEAT_INTERVAL_SECONDS"):
        create_app({**app_config, "BEAT_INTERVAL_SECONDS": "abc"})


# --- the declaration -------------------------------------------------------------------------------


def test_cert_keys_are_declared_with_defaults(tmp_path):
    cfg = load(tmp_path)
    assert cfg["CERT_BATCH_INLINE"] is False
    assert cfg["CERT_VERIFY_LIMIT"] == "30 per minute"
    assert cfg["CERT_RENDER_PROCESSES"] == 0
    assert cfg["CERT_PARALLEL_MIN_PAGES"] == 24
    assert cfg["CERT_FONT_DIR"] == str(tmp_path / "instance" / "fonts")


def test_every_key_the_code_reads_is_declared():
    """A config key read in lms/ or bench/ (config["X"], config.get("X"), cfg[...]) is a setting or Flask's."""
    flask_keys = {"SESSION_COOKIE_SECURE", "PROPAGATE_EXCEPTIONS", "TESTING"}
    read = set()
    for path in [*ROOT.joinpath("lms").rglob("*.py"), *ROOT.joinpath("bench").rglob("*.py"),
                 *ROOT.joinpath("lms").rglob("*.html")]:
        if path == ROOT / "lms" / "config.py":  # sets Flask's own keys from the settings
            continue
        text = path.read_text(encoding="utf-8")
        read |= set(re.findall(r"(?:config|cfg)(?:\[|\.get\()\s*[\"']([A-Z][A-Z0-9_]+)[\"']", text))
        read |= set(re.findall(r"\bconfig\.([A-Z][A-Z0-9_]+)", text))
    assert read - set(KEYS) - flask_keys == set()
    assert {"CERT_BATCH_INLINE", "CERT_FONT_DIR", "CERT_RENDER_PROCESSES", "CERT_PARALLEL_MIN_PAGES",
            "CERT_VERIFY_LIMIT"} <= read


def test_the_readme_table_lists_every_setting_once_with_its_default():
    text = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    section = text.split("## 配置", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `LMS_([A-Z0-9_]+)` \| ([^|]*) \|", section, re.M)
    names = [name for name, _ in rows]
    assert sorted(names) == sorted(KEYS) and len(names) == len(set(names))
    for name, default_cell in rows:
        default = DEFAULTS[name]
        if default is None:  # computed at start-up; the README says how
            continue
        shown = "true" if default is True else "false" if default is False else str(default)
        assert default_cell.startswith(f"`{shown}`"), (name, default_cell)


def test_settings_are_typed_and_follow_app_config(app):
    s = settings(app)
    assert isinstance(s, Settings)
    assert s.beat_interval_seconds == 30 and s.cert_batch_inline is False and s.timezone == "Asia/Shanghai"
    assert settings(app) is s  # kept while nothing changes
    app.config["ANNUAL_REQUIRED_HOURS"] = 40
    assert settings(app).annual_required_hours == 40
    with app.app_context():
        assert settings().annual_required_hours == 40
