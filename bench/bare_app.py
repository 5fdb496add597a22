"""The baseline for bench/beat_bench.py: a bare Flask app with one trivial POST endpoint.

Same process model and settings as the real app under gunicorn (same workers, the same database
engine built by lms.db from LMS_DATABASE_URL), but the endpoint does no login, no CSRF, no query:
it shows what one request costs before the beat does any work of its own.
"""

from __future__ import annotations

import os

from flask import Flask, jsonify, request

from lms.db import create_db_engine

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("LMS_SECRET_KEY", "bench")
engine = create_db_engine(os.environ["LMS_DATABASE_URL"])  # configured like the app's, unused


@app.post("/beat")
def beat():
    request.form.get("token")
    return jsonify(state="ok", credited=0)
