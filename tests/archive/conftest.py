"""Fixtures of the archive's tests: the real-worker harness is the portal tests' own."""

from tests.portal.conftest import harness  # noqa: F401
