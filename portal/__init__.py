"""The Gongjian project package: settings, URLs, the Celery app and the shell around the domain apps."""

from .celery import app as celery_app

__all__ = ("celery_app",)
