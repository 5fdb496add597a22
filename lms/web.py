"""Small request helpers the slices' views share: the gate in front of secretary and admin pages,
the ?year= argument, integers read from a URL or a form (bounded, so an id past what the database
holds is "not found", not a 500), a safe local redirect target, the Content-Disposition of a
download, and CheckedForm, the base of every form (text fields refuse invisible characters)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import Response, abort, request
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlmodel import Session
from werkzeug.routing import IntegerConverter
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import ValidationError

from lms import clock, textcheck
from lms.access import Scope, scope_for
from lms.db import get_session

FIRST_YEAR = 2000
# The largest value an INTEGER column holds (4 bytes on PostgreSQL; every id is one). A larger
# number in a URL or a form names nothing, and SQLite (OverflowError past 2^63) or PostgreSQL
# (out of range) would fail on it rather than find no row.
INT_MAX = 2**31 - 1


def bounded_int(value: object) -> int:
    """int(value) when it lies within ±INT_MAX; ValueError otherwise (TypeError for None).

    Pass it as `type=` to request.args.get / request.form.get (a bad value then reads as the
    default), or call it and turn ValueError into a 400."""
    number = int(value)  # type: ignore[call-overload]
    if not -INT_MAX - 1 <= number <= INT_MAX:
        raise ValueError(f"{number} is out of range")
    return number


def int_or_none(value: object) -> int | None:
    """bounded_int(value), or None when it is missing, not an integer or out of range."""
    try:
        return bounded_int(value)
    except (TypeError, ValueError):
        return None


def form_ints(name: str) -> list[int]:
    """Every value of a repeated form field as ints (ticked ids); 400 if one is not an id."""
    try:
        return [bounded_int(v) for v in request.form.getlist(name)]
    except ValueError:
        abort(400)


class BoundedIntConverter(IntegerConverter):
    """The app's `<int:…>` URL converter: Flask's, but a number past INT_MAX does not match the
    route, so the URL is a 404 like any other id that names nothing (lms/__init__.py installs it)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


def require_manager() -> Session:
    """The request's session, or 403 unless the user is a secretary or an admin.

    What the manager then sees is still decided by the Scope's query filters (lms/access.py); this
    only refuses members before a query runs."""
    if not current_user.is_manager:
        abort(403)
    return get_session()


def manager_scope() -> tuple[Session, Scope]:
    """(session, scope) for a manager's page; 403 for members."""
    session = require_manager()
    return session, scope_for(session=session, user=current_user)


def requested_year() -> int | None:
    """?year= when it is a year from 2000 to this one, else None."""
    year = request.args.get("year", type=bounded_int)
    return year if year and FIRST_YEAR <= year <= clock.today().year else None


def year_arg() -> int:
    """?year= when it is a year from 2000 to this one, else this year."""
    return requested_year() or clock.today().year


def safe_local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site ("/…", not "//host…" and no scheme or host), else None:
    where a form's `next` may send the browser without making the site an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return None


def attachment(resp: Response, name: str, *, ascii_name: str | None = None) -> Response:
    """Mark `resp` as a download saved as `name` (UTF-8, RFC 5987), with an ASCII `filename`
    for old clients when `ascii_name` is given. Invisible and control characters are dropped from
    both (lms.textcheck.safe_filename): a name read from the database cannot spoof the extension."""
    name = textcheck.safe_filename(name)
    ascii_name = textcheck.safe_filename(ascii_name).replace('"', "") if ascii_name else None
    fallback = f'filename="{ascii_name}"; ' if ascii_name else ""
    resp.headers["Content-Disposition"] = f"attachment; {fallback}filename*=UTF-8''{quote(name)}"
    return resp


class PlainText:
    """WTForms validator: refuses what `textcheck.problem` refuses, naming the field by its label."""

    def __init__(self, *, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, form, field) -> None:
        if not isinstance(field.data, str):
            return
        if message := textcheck.problem(field.data, label=str(field.label.text), multiline=self.multiline):
            raise ValidationError(message)


class CheckedForm(FlaskForm):
    """FlaskForm whose text fields refuse invisible characters: every StringField (TelField and
    HiddenField included) by the single-line rule, every TextAreaField by the multi-line one.
    Passwords are left alone: they are hashed, never shown, and one set before this rule must still
    log in. The field keeps what was typed, so the page shows it back with the message."""

    def validate(self, extra_validators=None) -> bool:
        extra = {name: list(v) for name, v in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            if isinstance(field, StringField) and not isinstance(field, PasswordField | CSRFTokenField):
                extra.setdefault(name, []).append(PlainText(multiline=isinstance(field, TextAreaField)))
        return super().validate(extra_validators=extra)
