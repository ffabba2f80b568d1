"""Offline activity logs (issue 14, part 1): the idempotency key that makes a retried sync log once, and the log
view's JSON answers to the sync (the same form and service as an ordinary post).

The partnership of tests/activities/test_activities.py: 甲项目党支部 (secretary1) leads, the street community
co-organizes.
"""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from activities.models import Activity, ActivityPhoto, LogSubmission
from activities.services import activities as services
from tests.activities.test_activities import log_kwargs, make_activity, make_agreement, png
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def held(world):
    return make_activity(world, agreement=make_agreement(world))


def _url(activity):
    return reverse("activities:activity_log", args=[activity.pk])


def _post(world, key, **overrides):
    data = {
        "summary": "共同重温入党誓词",
        f"headcount_{world.branch_a.pk}": 10,
        f"headcount_{world.partner.pk}": 6,
        "client_key": str(key),
    }
    data.update(overrides)
    return data


# --- the service ---------------------------------------------------------------------------------------------


def test_the_same_key_applied_twice_logs_once(world, held):
    key = uuid.uuid4()
    first = services.activity_log(actor=world.secretary1, activity=held, client_key=key, **log_kwargs(world))
    assert first.log_replayed is False
    again = services.activity_log(
        actor=world.secretary1, activity=held, client_key=key, **log_kwargs(world, summary="重发时改过的文字")
    )
    assert again.log_replayed is True
    held.refresh_from_db()
    assert held.status == Activity.Status.LOGGED
    assert held.summary == "两支部党员共同重温入党誓词。"  # the replay changed nothing
    assert LogSubmission.objects.filter(key=key, activity=held, user=world.secretary1).count() == 1


def test_a_refused_log_does_not_use_up_its_key(world, held):
    key = uuid.uuid4()
    with pytest.raises(ValidationError) as refused:
        services.activity_log(actor=world.secretary1, activity=held, client_key=key, **log_kwargs(world, summary=""))
    assert "summary" in refused.value.message_dict
    assert not LogSubmission.objects.filter(key=key).exists()
    logged = services.activity_log(actor=world.secretary1, activity=held, client_key=key, **log_kwargs(world))
    assert logged.log_replayed is False and LogSubmission.objects.filter(key=key).count() == 1


def test_a_key_used_for_another_activity_is_refused(world, held):
    other = make_activity(world, agreement=held.agreement)
    key = uuid.uuid4()
    services.activity_log(actor=world.secretary1, activity=held, client_key=key, **log_kwargs(world))
    with pytest.raises(ValidationError):
        services.activity_log(actor=world.secretary1, activity=other, client_key=key, **log_kwargs(world))
    other.refresh_from_db()
    assert other.status != Activity.Status.LOGGED


def test_the_database_refuses_a_second_row_for_one_key(world, held):
    key = uuid.uuid4()
    LogSubmission.objects.create(key=key, activity=held, user=world.secretary1)
    with pytest.raises(IntegrityError), transaction.atomic():
        LogSubmission.objects.create(key=key, activity=held, user=world.secretary1)


def test_without_a_key_a_log_works_as_before(world, held):
    logged = services.activity_log(actor=world.secretary1, activity=held, **log_kwargs(world))
    assert logged.log_replayed is False and not LogSubmission.objects.exists()


# --- the view's JSON answers --------------------------------------------------------------------------------


def test_a_synced_draft_is_logged_and_answered_in_json(client_for, world, held):
    member = MemberFactory(organization=world.branch_a, name="李红梅")
    key = uuid.uuid4()
    response = client_for(world.secretary1).post(_url(held), _post(world, key, participants=[member.pk]), **JSON)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "replayed": False, "url": held.get_absolute_url()}
    held.refresh_from_db()
    assert held.status == Activity.Status.LOGGED
    assert list(held.participants.all()) == [member]
    assert {p.organization_id: p.headcount for p in held.participations.all()} == {
        world.branch_a.pk: 10,
        world.partner.pk: 6,
    }


def test_a_retried_sync_answers_already_synced_and_logs_once(client_for, world, held):
    client = client_for(world.secretary1)
    key = uuid.uuid4()
    photo = client.post(reverse("activities:pending_photo_upload"), {"photo": png()}).json()["id"]
    first = client.post(_url(held), _post(world, key, pending_photos=[photo]), **JSON)
    again = client.post(_url(held), _post(world, key, pending_photos=[photo]), **JSON)
    assert first.json()["replayed"] is False
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert LogSubmission.objects.filter(key=key).count() == 1
    assert ActivityPhoto.objects.filter(activity=held).count() == 1


def test_a_sync_refused_by_validation_gets_the_field_errors_in_chinese(client_for, world, held):
    key = uuid.uuid4()
    response = client_for(world.secretary1).post(
        _url(held), _post(world, key, summary="", **{f"headcount_{world.partner.pk}": -1}), **JSON
    )
    assert response.status_code == 400
    errors = {error["field"]: error for error in response.json()["errors"]}
    assert set(errors) >= {"summary", f"headcount_{world.partner.pk}"}
    assert errors["summary"]["label"] == "活动概况"
    assert errors["summary"]["messages"] == ["这个字段是必填项。"]
    assert errors[f"headcount_{world.partner.pk}"]["label"] == world.partner.name
    held.refresh_from_db()
    assert held.status != Activity.Status.LOGGED and not LogSubmission.objects.exists()


def test_a_sync_for_an_activity_the_user_may_no_longer_log_is_refused_with_the_reason(client_for, world, held):
    # The liaison of the partner sees the activity but may not log it (403); the outsider does not see it (404).
    for user, status in ((world.liaison1, 403), (world.outsider, 404)):
        response = client_for(user).post(_url(held), _post(world, uuid.uuid4()), **JSON)
        assert response.status_code == status
        assert "无法由您记录" in response.json()["gone"]
    held.refresh_from_db()
    assert held.status != Activity.Status.LOGGED


def test_a_sync_for_a_cancelled_activity_is_refused_with_the_reason(client_for, world, held):
    Activity.objects.filter(pk=held.pk).update(status=Activity.Status.CANCELLED, cancel_reason="下雨")
    response = client_for(world.secretary1).post(_url(held), _post(world, uuid.uuid4()), **JSON)
    assert response.status_code == 409
    assert "已取消的活动不能再修改" in response.json()["gone"]
    assert not LogSubmission.objects.exists()


def test_an_ordinary_post_sent_twice_logs_once_and_says_so(client_for, world, held):
    client = client_for(world.secretary1)
    key = uuid.uuid4()
    assert client.post(_url(held), _post(world, key)).status_code == 302
    response = client.post(_url(held), _post(world, key), follow=True)
    assert "这条记录已经保存过了" in response.content.decode()
    assert LogSubmission.objects.filter(key=key).count() == 1


def test_the_log_form_carries_an_empty_key_for_the_script_to_fill(client_for, world, held):
    body = client_for(world.secretary1).get(_url(held)).content.decode()
    assert 'name="client_key"' in body and "data-gj-offline-log" in body
    assert "js/offline-log.js" in body
