"""The site icon: /favicon.ico answers (no 404 on every page) and every page links it."""

from __future__ import annotations


def test_favicon_is_served_and_linked(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200
    assert resp.mimetype == "image/vnd.microsoft.icon"
    assert resp.data[:4] == b"\x00\x00\x01\x00"  # an ICO header
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    html = client.get("/login").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg"' in html and 'rel="icon" href="/favicon.ico"' in html
