"""Page sections by area, imported by ``portal.home.autodiscover``: directory, action items."""

from partnerships.sections import action_items, directory, resources  # noqa: F401
