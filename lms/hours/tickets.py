"""Study tickets: the lesson page's proof that the member loaded it, which /hours/start requires.

The page (the hours panel on the lesson page, rendered after the visit is recorded) signs
(member, lesson, the view's instant, a nonce) with the app's secret: issuing one costs no database
statement. A start accepts a ticket for this member and lesson, signed by this app, at most
STUDY_TICKET_MAX_AGE_SECONDS old, and newer than the ticket the member's session was last
opened with (lms/hours/tracker.py stores its instant and nonce in the session row), so each page
view opens one study session.

And the 防挂机 challenge: the numbers the page shows for a pending check are derived from the
check's issue instant with the same secret, so the row stores nothing but that instant, the page
can be shown the same challenge again after a reload, and only the server knows the next one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "lms.hours.study-ticket"
CHOICES = 4  # buttons in the presence dialog


@dataclass(frozen=True)
class Ticket:
    user_id: int
    lesson_id: int
    view_ms: int
    nonce: str


def issue(secret: str, *, user_id: int, lesson_id: int, view_ms: int) -> str:
    return URLSafeSerializer(secret, salt=SALT).dumps([user_id, lesson_id, view_ms, secrets.token_hex(8)])


def read(secret: str, raw: str | None) -> Ticket | None:
    """The ticket, or None when it is missing, malformed or not signed by this app."""
    if not raw or len(raw) > 300:
        return None
    try:
        data = URLSafeSerializer(secret, salt=SALT).loads(raw)
        user_id, lesson_id, view_ms, nonce = data
    except (BadSignature, TypeError, ValueError):
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (user_id, lesson_id, view_ms)):
        return None
    return Ticket(user_id, lesson_id, view_ms, str(nonce)[:32])


@dataclass(frozen=True)
class Challenge:
    answer: str  # the number to click
    options: tuple[str, ...]  # the buttons, in the order shown

    def as_json(self) -> dict:
        return {"number": self.answer, "options": list(self.options)}


def challenge(secret: str, *, user_id: int, issued_ms: int) -> Challenge:
    """The presence check issued at `issued_ms`: CHOICES distinct two-digit numbers, one to click."""
    digest = hmac.new(secret.encode(), f"presence:{user_id}:{issued_ms}".encode(), hashlib.sha256).digest()
    options: list[str] = []
    for byte in digest[1:]:
        n = str(10 + byte % 90)
        if n not in options:
            options.append(n)
        if len(options) == CHOICES:
            break
    return Challenge(options[digest[0] % CHOICES], tuple(options))
