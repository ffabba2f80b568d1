"""The demo, crawled as the committee and as the administrator: every detail page of its results, self-assessments,
agreements, meetings and action items renders. The test settings make any undefined template variable raise
(``tests.settings.UndefinedTemplateVariable``), so a template that reads past a missing value fails here rather than
answering 500 to a user."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from assessments.models import QuarterRollup, SelfAssessment
from partnerships.models import ActionItem, Agreement, JointMeeting

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The whole demo, seeded once for the module and rolled back after its last test."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("seed_demo", stdout=io.StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _detail_urls() -> list[str]:
    urls = []
    for pk in QuarterRollup.objects.order_by("pk").values_list("pk", flat=True):
        urls += [reverse("assessments:rollup_detail", args=[pk]), reverse("assessments:self_assessment", args=[pk])]
    for pk in Agreement.objects.order_by("pk").values_list("pk", flat=True):
        urls.append(reverse("partnerships:agreement_detail", args=[pk]))
    for pk in JointMeeting.objects.order_by("pk").values_list("pk", flat=True):
        urls += [reverse("partnerships:meeting_detail", args=[pk]), reverse("partnerships:meeting_print", args=[pk])]
    for pk in ActionItem.objects.order_by("pk").values_list("pk", flat=True):
        urls.append(reverse("partnerships:action_item_detail", args=[pk]))
    return urls


@pytest.mark.parametrize("username", ["committee", "admin"])
def test_every_demo_detail_page_renders(demo, username):
    assert SelfAssessment.objects.filter(submitted_by__isnull=True).exists(), "the demo has anonymous submissions"
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    urls = _detail_urls()
    assert len(urls) > 100
    failures = {}
    for url in urls:
        status = client.get(url).status_code  # a template error raises here, naming the variable
        if status != 200:
            failures[url] = status
    assert not failures, failures
