"""Autodiscovered by portal.home: registers this app's home panels and page sections."""

from assessments.panels import dashboard, review  # noqa: F401
