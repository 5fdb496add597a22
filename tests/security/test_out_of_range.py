"""Numbers no id can be: every `<int:…>` route answers them 404, and ids read from the query string
or a form are refused (404 or 400) instead of reaching the database, where SQLite raises
OverflowError past 2^63 and PostgreSQL refuses values past its 4-byte INTEGER."""

from __future__ import annotations

import pytest
from werkzeug.routing import AnyConverter
from werkzeug.routing.converters import NumberConverter

from lms.web import INT_MAX, bounded_int, int_or_none
from tests.conftest import csrf_token

HUGE = (INT_MAX + 1, 2**63, 2**64, 10**30)


def _int_rules(app):
    """(method, rule) for every GET and POST route with an integer URL argument."""
    for rule in app.url_map.iter_rules():
        if not any(isinstance(c, NumberConverter) for c in rule._converters.values()):
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield method, rule


def _path(rule, number: int) -> str:
    values = {}
    for name, conv in rule._converters.items():
        if isinstance(conv, NumberConverter):
            values[name] = number
        elif isinstance(conv, AnyConverter):
            values[name] = sorted(conv.items)[0]
        else:
            values[name] = "x"
    return rule.build(values)[1]


def test_the_int_routes_are_found(app):
    endpoints = {rule.endpoint for _, rule in _int_rules(app)}
    # A sample from each slice with such routes, so an empty enumeration cannot pass.
    assert {"orgs.member", "quiz.attempt", "certificates.batch_download", "hours.adjust", "offline.edit",
            "reports.export_xlsx", "notes.submit"} <= endpoints
    assert len(endpoints) >= 25


def test_every_int_route_answers_404_for_ids_out_of_range(app, client, tree, login):
    login(tree["admin"])
    token = csrf_token(client, "/")
    seen = []
    for method, rule in _int_rules(app):
        for number in HUGE:
            path = _path(rule, number)
            if method == "GET":
                resp = client.get(path)
            else:
                resp = client.post(path, data={"csrf_token": token}, headers={"X-CSRFToken": token})
            seen.append((method, path, resp.status_code))
    wrong = [s for s in seen if s[2] != 404]
    assert not wrong, wrong
    assert client.get(f"/orgs/members/{tree['m1'].id}").status_code == 200  # ids in range still work


def test_query_and_form_ids_out_of_range_are_refused(client, tree, login):
    login(tree["admin"])
    token = csrf_token(client, "/")
    for n in (2**63, 2**64):
        assert client.get(f"/audit/?page={n}").status_code == 200
        assert client.get(f"/orgs/?page={n}").status_code == 200
        assert client.get(f"/sessions/?org_id={n}").status_code in (200, 404)
        assert client.get(f"/sessions/new?org_id={n}").status_code in (200, 404)
        assert client.get(f"/certificates/manage?org_id={n}").status_code == 200
        assert client.get(f"/certificates/batch?org_id={n}&year={n}").status_code == 200
        assert client.get(f"/hours/?year={n}").status_code == 200
        resp = client.post("/hours/start", data={"lesson_id": n}, headers={"X-CSRFToken": token})
        assert resp.status_code == 404 and resp.json["state"] == "not_found"
        assert client.post("/hours/self-reports/approve-batch",
                           data={"report_ids": [str(n)], "csrf_token": token}).status_code == 400
        resp = client.post("/orgs/import/passwords.csv", data={"passwords": f"[[{n}, \"x\"]]", "csrf_token": token})
        assert resp.status_code == 400
        resp = client.post(f"/orgs/members/{tree['m1'].id}/move", data={"org_id": n, "csrf_token": token})
        assert resp.status_code in (200, 400, 404)
        resp = client.post(f"/orgs/{tree['b1'].id}/members/new",
                           data={"name": "张三", "member_no": "OOR-0001", "org_id": n, "csrf_token": token})
        assert resp.status_code in (200, 400, 404)
        resp = client.post("/certificates/claim", data={"kind": "course", "course_id": n, "year": n,
                                                         "csrf_token": token})
        assert resp.status_code == 302


def test_offline_attendees_out_of_range_are_a_400(client, tree, login):
    login(tree["sec1"])
    token = csrf_token(client, "/")
    resp = client.post(f"/sessions/new?org_id={tree['b1'].id}", data={
        "type": "支部党员大会", "topic": "学习", "held_on": "2025-03-01", "duration_hours": "1",
        "attendees": [str(2**63)], "csrf_token": token})
    assert resp.status_code == 400


@pytest.mark.parametrize("raw", ["2147483648", "-2147483649", str(2**63), "1e3", "", "x", None])
def test_bounded_int_refuses_what_no_id_can_be(raw):
    assert int_or_none(raw) is None
    with pytest.raises((ValueError, TypeError)):
        bounded_int(raw)


def test_bounded_int_takes_ids_in_range():
    assert bounded_int("2147483647") == INT_MAX
    assert bounded_int(" 7 ") == 7
    assert int_or_none("-3") == -3
