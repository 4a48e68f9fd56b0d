"""WSGI entry point: ``gunicorn wsgi:app``."""

from circle import create_app

app = create_app()
