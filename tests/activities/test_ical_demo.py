"""The iCal feed on the demo data: byte for byte what the icalendar library wrote for every role's feed before the
feed was written as text (the library's builder is the reference in ``test_ical_text``)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import override
from icalendar import Calendar

from activities.selectors import calendar as selectors
from tests.activities.test_demo import seeded  # noqa: F401 (the module-scoped demo fixture)
from tests.activities.test_ical_text import reference_feed, written_feed

# With the database tests, before any transactional test's flush (the demo module fixture reads the seeded types).
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("username", ["committee", "secretary1", "liaison1", "admin"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_feed_is_what_the_icalendar_library_wrote_on_the_demo(seeded, username, language):  # noqa: F811
    user = get_user_model().objects.get(username=username)
    now = timezone.now()
    with override(language):
        expected = reference_feed(user, now)
        written = written_feed(user, now)
    assert len(Calendar.from_ical(written).walk("VEVENT")) > 0
    assert written == expected


def test_a_capped_demo_feed_is_what_the_library_wrote_too(seeded, monkeypatch):  # noqa: F811
    monkeypatch.setattr(selectors, "FEED_MAX_EVENTS", 7)
    user = get_user_model().objects.get(username="committee")
    now = timezone.now()
    written = written_feed(user, now)
    assert len(Calendar.from_ical(written).walk("VEVENT")) == 7
    assert written == reference_feed(user, now)
