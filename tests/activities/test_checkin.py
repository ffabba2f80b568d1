"""扫码签到 at activities: the organizer's code, the public page ``/c/<token>/`` (window, roster match and guest with
the same answer, limits, unknown and regenerated tokens), and what the check-ins fill in (log form, 签到名单).

The clock is fixed (``fixed_clock``: 2026-11-22 10:00 Shanghai); the activity runs 10:30–12:30 that day, so
check-in opens at 09:30 and closes at 12:30.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse

from activities.models import ActivityCheckIn, ActivityCheckInCode
from activities.services.checkins import activity_check_in, activity_checkin_code
from activities.views import checkins as checkin_views
from partnerships.models import Member, Organization
from portal.client_address import client_address
from tests.conftest import FIXED_NOW
from tests.factories import ActivityFactory, MemberFactory, OrganizationFactory, cast_agreement

pytestmark = pytest.mark.usefixtures("fixed_clock")

START = FIXED_NOW + dt.timedelta(minutes=30)


@pytest.fixture
def activity(world):
    agreement = cast_agreement(world, number="GJ-CHECKIN-01", title="签到测试共建协议")
    return ActivityFactory(
        title="联合主题党日：重温入党誓词",
        agreement=agreement,
        lead=world.branch_a,
        co_organizers=[world.partner],
        starts_at=START,
        hours=2,
    )


@pytest.fixture
def roster(world):
    group = OrganizationFactory(name="第一党小组", kind=Organization.Kind.GROUP, parent=world.branch_a)
    return {
        "li": MemberFactory(organization=world.branch_a, name="李红梅", phone="13912345678"),
        "wang": MemberFactory(organization=group, name="王建国", phone="13800004321"),
        "chen": MemberFactory(organization=world.partner, name="陈秀英", phone="13700001111"),
        "gone": MemberFactory(
            organization=world.branch_a, name="赵调出", phone="13600002222", status=Member.Status.TRANSFERRED_OUT
        ),
        "stranger": MemberFactory(organization=world.branch_b, name="孙外人", phone="13500003333"),
    }


@pytest.fixture
def token(world, activity):
    return activity_checkin_code(actor=world.secretary1, activity=activity).token


def _url(token):
    return reverse("activities:checkin", args=[token])


def _check_in(client, token, name, last_four, unit="", address="10.1.1.1"):
    return client.post(_url(token), {"name": name, "last_four": last_four, "unit": unit}, REMOTE_ADDR=address)


def _done_text(response) -> str:
    """The answer's success block, with the typed name taken out (the only thing allowed to differ)."""
    html = response.content.decode()
    block = re.search(r'data-testid="checkin-done">(.*?)</div>\s*</div>', html, re.S)
    assert block, html[:2000]
    return block.group(1)


# --- the organizer's code -----------------------------------------------------------------------------------------


def test_the_code_page_shows_a_qr_code_of_the_absolute_check_in_address(client_for, world, activity):
    response = client_for(world.secretary1).get(reverse("activities:activity_checkin_code", args=[activity.pk]))
    assert response.status_code == 200
    code = ActivityCheckInCode.objects.get(activity=activity)
    assert len(code.token) >= 22
    html = response.content.decode()
    assert f"http://testserver/c/{code.token}/" in html
    assert "<svg" in html and 'class="gj-qr"' in html
    assert "联合主题党日" in html
    # Opening it again shows the same code.
    client_for(world.secretary1).get(reverse("activities:activity_checkin_code", args=[activity.pk]))
    assert ActivityCheckInCode.objects.get(activity=activity).token == code.token


def test_the_print_page_carries_the_code_and_the_instructions(client_for, world, activity, token):
    response = client_for(world.secretary1).get(reverse("activities:activity_checkin_print", args=[activity.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and f"/c/{token}/" in html
    assert "微信" in html


def test_regenerating_the_code_makes_the_old_address_a_404(client_for, client, world, activity, token):
    owner = client_for(world.secretary1)
    response = owner.post(reverse("activities:activity_checkin_regenerate", args=[activity.pk]))
    assert response.status_code == 302
    new = ActivityCheckInCode.objects.get(activity=activity).token
    assert new != token
    client.logout()
    assert client.get(_url(token)).status_code == 404
    assert client.get(_url(new)).status_code == 200


def test_an_unknown_token_is_a_404(client, activity, token):
    assert client.get(_url("x" * 22)).status_code == 404
    assert client.post(_url("x" * 22), {"name": "李红梅", "last_four": "5678"}).status_code == 404


def test_outsiders_get_404_and_readers_403_on_the_code_pages(client_for, world, activity):
    for name in ("activity_checkin_code", "activity_checkin_print", "activity_checkin_count"):
        url = reverse(f"activities:{name}", args=[activity.pk])
        assert client_for(world.outsider).get(url).status_code == 404, name
        assert client_for(world.liaison1).get(url).status_code == 403, name
        assert client_for(world.committee).get(url).status_code == 403, name
    regenerate = reverse("activities:activity_checkin_regenerate", args=[activity.pk])
    assert client_for(world.outsider).post(regenerate).status_code == 404
    assert client_for(world.member1).post(regenerate).status_code == 403
    assert not ActivityCheckInCode.objects.filter(activity=activity).exists()


def test_the_code_page_costs_the_same_at_few_and_many_check_ins(
    client_for, world, activity, token, django_assert_max_num_queries
):
    client = client_for(world.secretary1)
    url = reverse("activities:activity_checkin_code", args=[activity.pk])
    ActivityCheckIn.objects.create(activity=activity, name="来宾甲", unit="某单位")
    client.get(url)
    with django_assert_max_num_queries(50) as few:
        client.get(url)
    ActivityCheckIn.objects.bulk_create(
        ActivityCheckIn(activity=activity, name=f"来宾{n}", unit="某单位") for n in range(40)
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


# --- the public page ----------------------------------------------------------------------------------------------


def test_the_page_needs_no_account_and_offers_the_form(client, token):
    response = client.get(_url(token))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="checkin-form"' in html
    assert "非名单人员填写" in html
    assert "csrfmiddlewaretoken" in html


def test_a_roster_member_and_a_guest_get_the_same_answer(client, activity, roster, token):
    member = _check_in(client, token, "李红梅", "5678")
    guest = _check_in(client, token, "周来宾", "9999", unit="市建设局")
    assert member.status_code == guest.status_code == 200
    assert _done_text(member).replace("李红梅", "X") == _done_text(guest).replace("周来宾", "X")
    assert "签到成功" in member.content.decode()
    rows = {row.name: row for row in ActivityCheckIn.objects.filter(activity=activity)}
    assert rows["李红梅"].member == roster["li"]
    assert rows["李红梅"].organization_id == activity.lead_id
    assert rows["周来宾"].member is None and rows["周来宾"].unit == "市建设局"


def test_a_wrong_number_or_an_outside_roster_is_a_guest_and_looks_the_same(client, activity, roster, token):
    right = _check_in(client, token, "李红梅", "5678")
    wrong_digits = _check_in(client, token, "李 红梅", "0000")
    outsider = _check_in(client, token, "孙外人", "3333")
    transferred = _check_in(client, token, "赵调出", "2222")
    texts = {
        _done_text(r).replace(n, "X")
        for r, n in ((right, "李红梅"), (wrong_digits, "李红梅"), (outsider, "孙外人"), (transferred, "赵调出"))
    }
    assert len(texts) == 1
    guests = ActivityCheckIn.objects.filter(activity=activity, member__isnull=True)
    assert sorted(guests.values_list("name", flat=True)) == ["孙外人", "李红梅", "赵调出"]


def test_members_of_a_party_group_and_of_a_co_organizer_match(client, world, activity, roster, token):
    _check_in(client, token, "王建国", "4321")
    _check_in(client, token, "陈秀英", "1111")
    rows = {row.member_id: row for row in ActivityCheckIn.objects.filter(activity=activity)}
    assert rows[roster["wang"].pk].organization_id == world.branch_a.pk  # a 党小组 counts to its branch
    assert rows[roster["chen"].pk].organization_id == world.partner.pk


def test_checking_in_twice_records_once(client, activity, roster, token):
    for _ in range(2):
        _check_in(client, token, "李红梅", "5678")
        _check_in(client, token, "周来宾", "9999", unit="市建设局")
    assert ActivityCheckIn.objects.filter(activity=activity).count() == 2


def test_the_database_refuses_a_second_row_for_the_same_member(activity, roster):
    ActivityCheckIn.objects.create(activity=activity, member=roster["li"], name="李红梅")
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivityCheckIn.objects.create(activity=activity, member=roster["li"], name="李红梅")
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivityCheckIn.objects.create(activity=activity, name="")


def test_the_form_asks_again_for_a_missing_name_or_digits(client, activity, token):
    response = _check_in(client, token, "", "12a")
    html = response.content.decode()
    assert response.status_code == 200
    assert "请输入您的姓名" in html or "姓名" in html
    assert "请填写手机号后四位数字" in html
    assert not ActivityCheckIn.objects.exists()


def test_before_the_window_the_page_says_when_it_opens(client, activity, token):
    with time_machine.travel(START - dt.timedelta(hours=1, minutes=5), tick=False):
        page = client.get(_url(token))
        posted = _check_in(client, token, "李红梅", "5678")
    html = page.content.decode()
    assert 'data-testid="checkin-not-open"' in html
    assert "2026-11-22 09:30" in html and "2026-11-22 12:30" in html
    assert 'data-testid="checkin-not-open"' in posted.content.decode()
    assert not ActivityCheckIn.objects.exists()


def test_the_window_opens_an_hour_before_and_closes_at_the_end(client, activity, roster, token):
    with time_machine.travel(START - dt.timedelta(minutes=59), tick=False):
        assert 'data-testid="checkin-done"' in _check_in(client, token, "李红梅", "5678").content.decode()
    with time_machine.travel(activity.ends_at - dt.timedelta(minutes=1), tick=False):
        assert 'data-testid="checkin-done"' in _check_in(client, token, "陈秀英", "1111").content.decode()
    with time_machine.travel(activity.ends_at + dt.timedelta(minutes=1), tick=False):
        late = _check_in(client, token, "王建国", "4321")
        assert 'data-testid="checkin-ended"' in late.content.decode()
        assert 'data-testid="checkin-ended"' in client.get(_url(token)).content.decode()
    assert ActivityCheckIn.objects.count() == 2


def test_a_cancelled_activity_takes_no_check_ins(client, activity, token):
    activity.status = activity.Status.CANCELLED
    activity.cancel_reason = "天气原因"
    activity.save()
    response = _check_in(client, token, "李红梅", "5678")
    assert 'data-testid="checkin-cancelled"' in response.content.decode()
    assert not ActivityCheckIn.objects.exists()


def test_too_many_attempts_from_one_address_get_429(client, monkeypatch, activity, token):
    monkeypatch.setattr(checkin_views, "CHECKIN_RATE_PER_ADDRESS", "3/10m")
    for n in range(3):
        assert _check_in(client, token, f"来宾{n}", "1234", unit="某单位").status_code == 200
    response = _check_in(client, token, "来宾9", "1234", unit="某单位")
    assert response.status_code == 429
    assert "尝试过于频繁" in response.content.decode() or 'data-testid="checkin-limited"' in response.content.decode()
    assert ActivityCheckIn.objects.count() == 3
    # Another address is not held back by this one.
    assert _check_in(client, token, "来宾10", "1234", unit="某单位", address="10.9.9.9").status_code == 200


def test_too_many_attempts_at_one_event_get_429_whatever_the_address(client, monkeypatch, activity, token):
    monkeypatch.setattr(checkin_views, "CHECKIN_RATE_PER_EVENT", "4/10m")
    for n in range(4):
        assert _check_in(client, token, f"来宾{n}", "1234", unit="某单位", address=f"10.0.0.{n}").status_code == 200
    assert _check_in(client, token, "来宾5", "1234", unit="某单位", address="10.0.0.50").status_code == 429


def test_the_address_behind_the_proxy_is_the_one_it_forwards(rf, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    proxied = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8")
    assert client_address(proxied) == "5.6.7.8"
    direct = rf.get("/", REMOTE_ADDR="9.9.9.9", HTTP_X_FORWARDED_FOR="5.6.7.8")
    assert client_address(direct) == "9.9.9.9"


def test_the_service_refuses_outside_the_window(activity):
    from partnerships.services.checkins import CheckInClosed

    with pytest.raises(CheckInClosed) as caught:
        activity_check_in(
            activity=activity, name="李红梅", last_four="5678", now=activity.ends_at + dt.timedelta(seconds=1)
        )
    assert caught.value.code == "ended"


# --- what check-ins fill in ---------------------------------------------------------------------------------------


def test_the_log_form_ticks_checked_in_members_and_fills_headcounts(client, client_for, world, activity, roster, token):
    _check_in(client, token, "李红梅", "5678")
    _check_in(client, token, "王建国", "4321")
    _check_in(client, token, "陈秀英", "1111")
    _check_in(client, token, "周来宾", "9999", unit="市建设局")  # a guest: counted to the lead
    _check_in(client, token, "吴来宾", "8888", unit=world.partner.name)  # a guest naming the partner
    with time_machine.travel(activity.ends_at + dt.timedelta(minutes=10), tick=False):
        response = client_for(world.secretary1).get(reverse("activities:activity_log", args=[activity.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.initial["participants"]) == {roster["li"].pk, roster["wang"].pk, roster["chen"].pk}
    assert form.initial[f"headcount_{world.branch_a.pk}"] == 3
    assert form.initial[f"headcount_{world.partner.pk}"] == 2
    html = response.content.decode()
    assert 'data-testid="checkin-note"' in html
    for member in (roster["li"], roster["wang"], roster["chen"]):
        assert re.search(rf'value="{member.pk}"[^>]*checked', html), member.name


def test_the_activity_page_lists_who_checked_in(client, client_for, world, activity, roster, token):
    _check_in(client, token, "李红梅", "5678")
    _check_in(client, token, "周来宾", "9999", unit="市建设局")
    response = client_for(world.liaison1).get(activity.get_absolute_url())
    html = response.content.decode()
    assert 'data-testid="checkin-list"' in html
    assert "李红梅" in html and "周来宾" in html and "市建设局" in html
    # The reader sees the list but not the code button.
    assert 'data-testid="checkin-code"' not in html
    assert (
        'data-testid="checkin-code"' in client_for(world.secretary1).get(activity.get_absolute_url()).content.decode()
    )


def test_the_activity_page_costs_the_same_at_few_and_many_check_ins(
    client_for, world, activity, django_assert_max_num_queries
):
    client = client_for(world.secretary1)
    ActivityCheckIn.objects.create(activity=activity, name="来宾甲", unit="某单位")
    client.get(activity.get_absolute_url())
    with django_assert_max_num_queries(60) as few:
        client.get(activity.get_absolute_url())
    members = MemberFactory.create_batch(20, organization=world.branch_a)
    ActivityCheckIn.objects.bulk_create(
        ActivityCheckIn(activity=activity, member=m, name=m.name, organization=world.branch_a) for m in members
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(activity.get_absolute_url())
