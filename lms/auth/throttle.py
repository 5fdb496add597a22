"""The login throttle: failed password checks counted per (address, account) and per address.

A slot is reserved *before* the password is checked, in the rate-limit storage every worker
shares (`limiter.storage`: Redis with LMS_REDIS_URL, otherwise the SQL counters of
lms/limiter_storage.py). Each reservation is one atomic increment that returns the new count, so
30 concurrent guesses from 5 workers still get at most `LOGIN_LIMIT_PER_ACCOUNT` checked. A
success gives the slots back (the account's counter is cleared, the address's decremented).

The account is the one both login names resolve to (党员编号 and phone count together); a login
that names no account is counted under its normalised text. The lock is per address and account:
after 5 wrong passwords from one address, that address cannot try that account for the window,
while the rightful owner signing in from another address is not affected. Every address also has
its own limit across accounts (`LOGIN_LIMIT_PER_IP`). Old-password guesses on the password-change
form count against the same account counter as logins.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from limits import parse

from lms import clock, units
from lms.extensions import limiter

FAILED_LOGIN = "账号或密码不正确。"
WARN_WHEN_LEFT = 2  # from this many attempts left, a failed login says how many remain
PREFIX = "lms-login"


@dataclass(frozen=True)
class Attempt:
    """One reserved password check (or a refusal, when `locked_message` is set)."""

    account_key: str | None  # None: throttling is off
    address_key: str | None
    count: int = 0  # this address's failures for this account, this one included
    limit: int = 0
    window: int = 0  # seconds
    locked_message: str | None = None

    @property
    def refused(self) -> bool:
        return self.locked_message is not None


def account_ref(login: str, user_id: int | None) -> str:
    """The counter's account: the user's id, or the login text normalised (case, width, spaces)."""
    if user_id is not None:
        return f"user:{user_id}"
    text = unicodedata.normalize("NFKC", login or "")
    return "login:" + "".join(text.split()).lower()


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _until_text(expires_at: float) -> str:
    wait = max(0.0, expires_at - clock.now().timestamp())
    at = datetime.fromtimestamp(expires_at, clock.zone()).strftime("%H:%M")
    return f"请 {units.minutes_up_text(wait)}后（{at} 以后）再试。"


def reserve(*, account: str, address: str | None) -> Attempt:
    """Counts one password check for `account` from `address` before it is made; refuses past a limit."""
    if not _enabled():
        return Attempt(None, None)
    storage = limiter.storage
    per_account = parse(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])
    per_address = parse(current_app.config["LOGIN_LIMIT_PER_IP"])
    address = address or "-"
    prefix = f"{limiter._key_prefix or ''}{PREFIX}"  # Flask-Limiter's RATELIMIT_KEY_PREFIX, as its keys have
    account_key = f"{prefix}/account/{account}/{address}"
    address_key = f"{prefix}/address/{address}"
    count = storage.incr(account_key, per_account.get_expiry())
    if count > per_account.amount:
        return Attempt(account_key, None, count, per_account.amount, per_account.get_expiry(),
                       locked_message=f"密码错误次数过多，该账号在当前网络已暂时锁定，{_until_text(storage.get_expiry(account_key))}"
                                      "如忘记密码，请联系本支部书记重置。")
    if storage.incr(address_key, per_address.get_expiry()) > per_address.amount:
        storage.incr(account_key, per_account.get_expiry(), amount=-1)  # not checked: not counted
        return Attempt(account_key, None, count - 1, per_account.amount, per_account.get_expiry(),
                       locked_message=f"当前网络登录失败次数过多，已暂时锁定，{_until_text(storage.get_expiry(address_key))}"
                                      "如忘记密码，请联系本支部书记重置。")
    return Attempt(account_key, address_key, count, per_account.amount, per_account.get_expiry())


def release(attempt: Attempt) -> None:
    """The password was right, or the check was not about the password: give the slots back."""
    if attempt.account_key is None or attempt.refused:
        return
    storage = limiter.storage
    storage.incr(attempt.account_key, attempt.window, amount=-1)
    if attempt.address_key is not None:
        storage.incr(attempt.address_key, parse(current_app.config["LOGIN_LIMIT_PER_IP"]).get_expiry(), amount=-1)


def succeeded(attempt: Attempt) -> None:
    """The right password: this address's failures for the account are forgotten."""
    if attempt.account_key is None or attempt.refused:
        return
    release(attempt)
    limiter.storage.clear(attempt.account_key)


def failure_message(attempt: Attempt) -> str:
    """账号或密码不正确, and, near the limit, how many tries are left and what happens next."""
    if attempt.account_key is None:
        return FAILED_LOGIN
    left = max(0, attempt.limit - attempt.count)
    window = units.minutes_up_text(attempt.window)
    if left == 0:
        return f"{FAILED_LOGIN}尝试次数已用完，请 {window}后再试。"
    if left <= WARN_WHEN_LEFT:
        return f"{FAILED_LOGIN}还可尝试 {left} 次；再错 {left} 次将锁定 {window}。"
    return FAILED_LOGIN
