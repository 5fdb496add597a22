"""Template hooks: a page shows other slices' panels without naming them (after Indico's
register_template_hook / call_template_hook).

A slice registers a provider for a named hook when its blueprint is registered on the app
(`@panel(bp, "lesson.status")`). The page's view calls `collect_panels(hook, **context)` before
`render_template`: each provider loads its data then, in the view's transaction, and returns its
panel — Markup, a `(template, context)` pair that is rendered at once, or None for nothing. The
page's template only prints what the view collected, with `{{ panels("lesson.status") }}`, so
nothing touches the database while the page renders.

A hook whose slice is absent (no provider registered) collects empty Markup, and the page renders
without that panel. Printing a hook the view did not collect is a programming error and raises.

The hooks, their context and who provides them are listed in HOOKS.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from flask import Blueprint, Flask, current_app, g, render_template
from markupsafe import Markup

EXTENSION = "lms_panels"

# name -> (the page that shows it, the context its providers receive). Providers accept **_ too,
# so a page may pass more later without breaking them.
HOOKS: dict[str, tuple[str, str]] = {
    "dashboard.summary": ("content/dashboard.html, above the course list", "user"),
    "dashboard.course_status": ("content/dashboard.html, one per course (key: course id)", "user, progress"),
    "course.extra": ("content/course.html, after the lesson list", "user, course, progress"),
    "lesson.status": ("content/lesson.html, above the lesson text", "user, course, lesson"),
    "lesson.after": ("content/lesson.html, after the lesson text", "user, course, lesson"),
    "member.extra": ("orgs/member.html, below the member's details", "viewer, member"),
    "review.extra": ("hours/review.html, after the pending self-reports", "user, scope"),
}

Provider = Callable[..., "Markup | str | tuple[str, Mapping[str, Any]] | None"]
_seq = count()


@dataclass(frozen=True, order=True)
class _Entry:
    order: int
    seq: int
    func: Provider = field(compare=False)


def register_panel(app: Flask, hook: str, func: Provider, *, order: int = 50) -> None:
    """Add a provider for `hook` on `app`; lower `order` comes first (ties: registration order)."""
    if hook not in HOOKS:
        raise ValueError(f"unknown template hook {hook!r}; known: {sorted(HOOKS)}")
    entries = app.extensions.setdefault(EXTENSION, {}).setdefault(hook, [])
    entries.append(_Entry(order, next(_seq), func))
    entries.sort()


def panel(bp: Blueprint, hook: str, *, order: int = 50) -> Callable[[Provider], Provider]:
    """Decorator: register the function as a provider of `hook` when `bp` is registered on an app."""

    def decorate(func: Provider) -> Provider:
        bp.record_once(lambda state: register_panel(state.app, hook, func, order=order))
        return func

    return decorate


def providers(app: Flask, hook: str) -> list[Provider]:
    return [e.func for e in app.extensions.get(EXTENSION, {}).get(hook, ())]


def collect_panels(hook: str, *, key: Hashable = None, **context: Any) -> Markup:
    """Run the providers of `hook` now (they load their data) and keep their panels for the page."""
    if hook not in HOOKS:
        raise ValueError(f"unknown template hook {hook!r}")
    parts: list[Markup] = []
    for func in providers(current_app, hook):
        out = func(**context)
        if out is None:
            continue
        if isinstance(out, tuple):
            template, ctx = out
            out = render_template(template, **ctx)
        parts.append(Markup(out))
    html = Markup("").join(parts)
    g.setdefault("_lms_panels", {})[(hook, key)] = html
    return html


def panels(hook: str, key: Hashable = None) -> Markup:
    """Jinja global: the panels the view collected for `hook` (and `key`); runs no provider."""
    collected = g.get("_lms_panels", {})
    if (hook, key) not in collected:
        raise RuntimeError(f"the view did not collect the panels of {hook!r} (key {key!r}) before rendering")
    return collected[(hook, key)]


def init_app(app: Flask) -> None:
    app.extensions.setdefault(EXTENSION, {})
    app.jinja_env.globals["panels"] = panels
