"""The demo, crawled as the committee and as the administrator: every detail page of its results, self-assessments,
agreements, meetings and action items renders. The test settings make any undefined template variable raise
(``tests.settings.UndefinedTemplateVariable``), so a template that reads past a missing value fails here rather than
answering 500 to a user."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from assessments.models import QuarterRollup, SelfAssessment
from partnerships.models import Agreement, JointMeeting
from tests.rollback import rolled_back

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The whole demo, seeded once for the module and rolled back after its last test."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True):
        with rolled_back():
            call_command("seed_demo", stdout=io.StringIO())
            yield


def _detail_urls() -> list[str]:
    urls = []
    for pk in QuarterRollup.objects.order_by("pk").values_list("pk", flat=True):
        urls += [reverse("assessments:rollup_detail", args=[pk]), reverse("assessments:self_assessment", args=[pk])]
    for pk in Agreement.objects.order_by("pk").values_list("pk", flat=True):
        urls.append(reverse("partnerships:agreement_detail", args=[pk]))
    for pk in JointMeeting.objects.order_by("pk").values_list("pk", flat=True):
        urls += [reverse("partnerships:meeting_detail", args=[pk]), reverse("partnerships:meeting_print", args=[pk])]
    return urls


@pytest.mark.parametrize("username", ["committee", "admin"])
def test_every_demo_detail_page_renders(demo, username):
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    urls = _detail_urls()
    statuses = {url: client.get(url).status_code for url in urls}  # a template error raises here, naming it
    assert not {url: status for url, status in statuses.items() if status >= 500}
    assert {status for status in statuses.values()} <= {200, 404}  # 404: outside the committee's tree
    anonymous = SelfAssessment.objects.filter(submitted_by__isnull=True, status=SelfAssessment.Status.SUBMITTED)
    shown = [reverse("assessments:self_assessment", args=[sa.rollup_id]) for sa in anonymous]
    assert any(statuses[url] == 200 for url in shown), "no submitted self-assessment without a submitter was shown"
