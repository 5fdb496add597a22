"""Access decorators shared by the slices."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, jsonify
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])

LOGIN_EXPIRED = "登录已失效，请重新登录后继续。"


def login_expired() -> tuple[Response, int]:
    """The 401 JSON answer to a script whose login is gone (tracker.js, exam.js, certificates.js)."""
    return jsonify(state="login", ok=False, message=LOGIN_EXPIRED), 401


def json_login_required(view: F) -> F:
    """`login_required` for endpoints that scripts call (the study tracker, exam answers, batch
    progress): an anonymous caller gets 401 JSON with a Chinese message, not a redirect to the
    login page that a script would try to read as JSON."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_expired()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
