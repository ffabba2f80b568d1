"""Page sections by area, imported by ``portal.home.autodiscover``: the dashboard card, the review inbox."""

from assessments.sections import dashboard, review, todo  # noqa: F401
