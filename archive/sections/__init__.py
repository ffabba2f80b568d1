"""Page sections by area, imported by ``portal.home.autodiscover``: the 年度台账 card."""

from archive.sections import archive  # noqa: F401
