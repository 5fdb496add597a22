"""What gunicorn and `flask --app wsgi` load."""

from lms import create_app

app = create_app()
