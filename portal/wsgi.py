"""WSGI entry point for gunicorn: ``gunicorn portal.wsgi`` (configured by ``gunicorn.conf.py``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# Web connections get DB_STATEMENT_TIMEOUT_MS; Celery workers and management commands never import this module.
os.environ.setdefault("GONGJIAN_WEB_PROCESS", "true")
application = get_wsgi_application()
