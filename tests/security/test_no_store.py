"""Cache-Control: no-store on every personal page, the login page and errors (the matrix checks each
page it opens with checks.cache_problems); static files and the anonymous verification page stay
cacheable as before. (The Server header: tests/ops/test_deploy.py, under gunicorn.)"""

from __future__ import annotations

from tests.conftest import csrf_token
from tests.security.checks import cache_problems


def _endpoint(app, path: str, method: str = "GET") -> str:
    adapter = app.url_map.bind("localhost")
    return adapter.match(path.split("?")[0], method=method)[0]


def test_personal_pages_login_and_errors_say_no_store(app, client, tree, login):
    anonymous = {"/login": client.get("/login"), "/": client.get("/")}
    for path, resp in anonymous.items():
        assert "no-store" in resp.headers["Cache-Control"], path
    assert "no-store" in client.get("/no-such-page").headers["Cache-Control"]
    login(tree["m1"])
    for path in ("/", "/hours/", "/hours/self-reports", "/account/password", "/certificates/", "/notes/",
                 "/verify", "/verify/NO-SUCH-CODE"):
        resp = client.get(path)
        assert resp.status_code in (200, 404), path
        assert cache_problems(resp, endpoint=_endpoint(app, path), signed_in=True) == [], path
        assert resp.headers["Cache-Control"] == "no-store", path
    resp = client.post("/hours/beat", headers={"X-CSRFToken": csrf_token(client, "/account/password")})
    assert "no-store" in resp.headers["Cache-Control"]


def test_static_files_and_the_public_verification_stay_cacheable(app, client, tree, login):
    for path in ("/static/css/site.css", "/verify", "/verify/NO-SUCH-CODE"):
        resp = client.get(path)
        assert "no-store" not in resp.headers.get("Cache-Control", ""), path
        assert cache_problems(resp, endpoint=_endpoint(app, path), signed_in=False) == [], path
    static = [r.rule for r in app.url_map.iter_rules() if r.endpoint.endswith(".static")]
    assert static  # the slices' own static folders, e.g. /hours/static/…
    login(tree["m1"])
    assert "no-store" not in client.get("/static/css/site.css").headers.get("Cache-Control", "")


def test_downloads_keep_their_own_no_store(client, tree, login):
    login(tree["admin"])
    resp = client.get(f"/reports/org/{tree['b1'].id}/export.csv")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"

