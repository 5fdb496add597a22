"""The baseline for the benchmarks: a bare Flask app with trivial endpoints.

Same process model and settings as the real app under gunicorn (same deploy/gunicorn.conf.py,
same workers, the same database engine built by lms.db from LMS_DATABASE_URL), but the endpoints
do no login, no CSRF, no query: they show what one request costs before the app does any work.
  POST /beat  — the yardstick for POST /hours/beat
  GET  /page  — the yardstick for a lesson page (a short HTML page)
  GET  /ping  — readiness
"""

from __future__ import annotations

import os

from flask import Flask, jsonify, request

from lms.db import create_db_engine

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("LMS_SECRET_KEY", "bench")
engine = create_db_engine(os.environ["LMS_DATABASE_URL"])  # configured like the app's, unused

PAGE = "<!doctype html><html lang=zh-CN><meta charset=utf-8><title>课时</title><p>你好</p></html>"


@app.post("/beat")
def beat():
    request.form.get("token")
    return jsonify(state="ok", credited=0)


@app.get("/page")
def page():
    return PAGE


@app.get("/ping")
def ping():
    return "ok"
