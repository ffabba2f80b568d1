"""People are named one way everywhere (portal.names.display_name): 周振华 family name first without a space for
Chinese names, "Anna Schmidt" for Latin ones, the login name only when there is no name — on pages, printed minutes,
e-mails, the iCal feed, exports and form choices (which never show a login name)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from openpyxl import load_workbook

from activities.services import calendar as calendar_services
from partnerships.forms.agreements import PartyForm
from partnerships.forms.meetings import MeetingForm
from partnerships.models import Organization
from partnerships.selectors.agreements import liaison_candidates
from partnerships.services import minutes as minutes_services
from portal import notifications
from portal.models import Notification
from portal.names import display_name
from portal.sweep import claim_ids
from tests.factories import ActionItemFactory, JointMeetingFactory, cast_agreement

pytestmark = pytest.mark.django_db

User = get_user_model()


def _user(username="u", first="", last=""):
    return User(username=username, first_name=first, last_name=last)


@pytest.mark.parametrize(
    ("first", "last", "shown"),
    [
        ("振华", "周", "周振华"),
        (" 振华 ", "欧阳", "欧阳振华"),
        ("Anna", "Schmidt", "Anna Schmidt"),
        ("振华", "", "振华"),
        ("", "周", "周"),
        ("", "", "secretary1"),
    ],
)
def test_display_name_rule(first, last, shown):
    assert display_name(_user("secretary1", first, last)) == shown


@pytest.fixture
def named(world):
    """secretary1 is 周振华; liaison1 keeps the cast's name 王建国 (as does everyone else)."""
    User.objects.filter(pk=world.secretary1.pk).update(first_name="振华", last_name="周")
    world.secretary1.refresh_from_db()
    agreement = cast_agreement(
        world,
        number="GJ-NAME-001",
        title="姓名顺序测试协议",
        term_start=timezone.localdate() - dt.timedelta(days=30),
        term_end=timezone.localdate() + dt.timedelta(days=300),
    )
    meeting = JointMeetingFactory(
        agreement=agreement,
        title="姓名联席会议",
        starts_at=timezone.now() - dt.timedelta(days=2),
        place="项目部会议室",
        host=world.branch_a,
    )
    meeting.attendees.set([world.secretary1, world.liaison1])
    return agreement, meeting


def test_pages_show_chinese_names_family_name_first(client_for, world, named):
    _, meeting = named
    page = client_for(world.secretary1).get(meeting.get_absolute_url()).content.decode()
    assert "周振华" in page  # the attendees and the user menu
    assert "振华 周" not in page


def test_printed_minutes_show_chinese_names_family_name_first(client_for, world, named):
    _, meeting = named
    minutes_services.minutes_save_draft(
        actor=world.secretary1, meeting=meeting, minutes="纪要", attendee_ids=[world.secretary1.pk, world.liaison1.pk]
    )
    minutes_services.minutes_publish(actor=world.secretary1, meeting=meeting)
    page = client_for(world.secretary1).get(reverse("partnerships:meeting_print", args=[meeting.pk])).content.decode()
    assert page.count("周振华") >= 2  # attendee and publisher
    assert "振华 周" not in page


def test_emails_greet_chinese_names_family_name_first(world, named):
    row = Notification.objects.create(
        kind="action_item.due_today",
        target_type=ContentType.objects.get_for_model(User),
        target_id=world.secretary1.pk,
        occurrence="names",
        recipient=world.secretary1,
        title="督办事项今日到期",
        body="提醒",
        url="/me/",
        due_at=timezone.now() - dt.timedelta(minutes=1),
    )
    notifications.deliver(claim_ids([row.pk], timezone.now()))
    (message,) = mail.outbox
    assert "周振华" in message.body and "周振华" in message.alternatives[0][0]
    assert "振华 周" not in message.body


def test_the_ical_feed_names_its_owner_family_name_first(client, world, named):
    token = calendar_services.calendar_token_regenerate(actor=world.secretary1)
    response = client.get(reverse("activities:ical_feed", args=[token.token]))
    calendar = Calendar.from_ical(response.content)
    assert "周振华" in str(calendar["X-WR-CALNAME"])
    assert "振华 周" not in response.content.decode()


def test_the_ledger_export_names_the_responsible_person_family_name_first(client_for, world, named):
    agreement, _ = named
    ActionItemFactory(
        agreement=agreement,
        title="设置宣传栏",
        responsible_party=world.branch_a,
        responsible_person=world.secretary1,
        due_on=timezone.localdate() + dt.timedelta(days=5),
    )
    response = client_for(world.secretary1).get(reverse("partnerships:action_item_export"))
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    cells = {cell for row in rows[1:] for cell in row}
    assert "周振华" in cells and "振华 周" not in cells


def test_form_choices_name_people_without_login_names(world, named):
    form = MeetingForm(
        parties=Organization.objects.filter(pk__in=[world.branch_a.pk, world.partner.pk]),
        attendee_choices=User.objects.filter(pk__in=[world.secretary1.pk, world.liaison1.pk]).order_by("pk"),
    )
    labels = [str(label) for _value, label in form.fields["attendees"].choices]
    assert labels == ["周振华", "王建国"]
    html = str(form["attendees"])
    assert "周振华" in html and "secretary1" not in html and "liaison1" not in html


def test_namesakes_are_told_apart_by_organization_not_login_name(world, named):
    # Everyone but secretary1 is 王建国: the liaison and the member are namesakes from different organizations.
    form = MeetingForm(
        parties=Organization.objects.filter(pk__in=[world.branch_a.pk, world.partner.pk]),
        attendee_choices=User.objects.filter(pk__in=[world.liaison1.pk, world.member1.pk]).order_by("pk"),
    )
    labels = [str(label) for _value, label in form.fields["attendees"].choices]
    assert labels == [f"王建国（{world.partner.name}）", f"王建国（{world.branch_a.name}）"]
    assert not any("liaison1" in label or "member1" in label for label in labels)


def test_the_liaison_choice_names_the_liaison_without_login_name(world, named):
    form = PartyForm(organizations=Organization.objects.filter(pk=world.partner.pk), liaisons=liaison_candidates())
    labels = [str(label) for value, label in form.fields["liaison"].choices if value]
    assert labels and all("liaison1" not in label for label in labels)
    assert "王建国" in labels
