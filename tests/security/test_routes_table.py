"""The expectations table itself: a route the table does not know is named (on an app of its own,
so the matrix's shared world is left alone)."""

from __future__ import annotations

from tests.security.routes import classification_problems


def test_an_unclassified_route_is_named(app):
    app.add_url_rule("/reports/new-export", "reports.new_export", lambda: "x", methods=["GET", "POST"])
    assert classification_problems(app) == [
        "routes missing from tests/security/routes.py: ['reports.new_export']"
    ]
