"""WSGI entry point: `gunicorn wsgi:app` (config from $CERTIFIKATION_ENV, default production)."""

from webapp import create_app

app = create_app(None)
