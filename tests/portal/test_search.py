"""Search-as-you-type (portal/search.py, portal/widgets.py): scoped endpoints, bounded answers, fields that still
validate against their scope, and list pages whose filters no longer hold one <option> per organization."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.forms.filters import ActivityFilter, PlanFilter
from partnerships.forms.action_items import ActionItemFilter
from partnerships.forms.filters import MemberFilter
from partnerships.models import Agreement, Member, Organization
from partnerships.selectors import action_items as item_selectors
from partnerships.selectors import directory as directory_selectors
from portal import search
from portal.names import display_name
from portal.widgets import PLAIN_LIMIT
from tests.factories import AgreementFactory, OrganizationFactory, UserFactory

KINDS = [
    ("organizations", "items"),
    ("organizations", "agreements"),
    ("organizations", "roster"),
    ("organizations", "activities"),
    ("agreements", "items"),
    ("agreements", "plans"),
    ("agreements", "activities"),
    ("organizations", "calendar"),
    ("agreements", "calendar"),
    ("organizations", "parents"),
    ("organizations", "roster-write"),
    ("organizations", "webhooks"),
    ("agreements", "plannable"),
    ("agreements", "projects"),
]


def _url(kind, purpose, q=""):
    return reverse("search", args=[kind]) + f"?purpose={purpose}&q={q}"


def _agreement(number, title, *organizations):
    today = timezone.localdate()
    return AgreementFactory(
        number=number,
        title=title,
        term_start=today - dt.timedelta(days=10),
        term_end=today + dt.timedelta(days=300),
        parties=organizations,
    )


@pytest.fixture
def agreements(world):
    """One agreement per secretary: 甲项目党支部 + the partner, 乙机关党支部 alone with its own partner."""
    other_partner = OrganizationFactory(name="乙方合作社区党委", kind=Organization.Kind.COMMITTEE)
    mine = _agreement("GJ-S-001", "甲项目结对共建协议", world.branch_a, world.partner)
    theirs = _agreement("GJ-S-002", "乙机关结对共建协议", world.branch_b, other_partner)
    return mine, theirs


def _texts(response):
    assert response.status_code == 200
    data = response.json()
    assert len(data["results"]) <= search.LIMIT
    return [row["text"] for row in data["results"]]


@pytest.mark.parametrize(("kind", "purpose"), KINDS)
def test_secretary2_finds_none_of_secretary1s_rows(client_for, world, agreements, kind, purpose):
    texts = " ".join(_texts(client_for(world.secretary2).get(_url(kind, purpose))))
    assert "甲项目" not in texts and "GJ-S-001" not in texts


@pytest.mark.parametrize(("kind", "purpose"), KINDS)
def test_outsider_finds_nothing_of_theirs_and_a_user_without_a_role_gets_404(
    client_for, client, world, agreements, kind, purpose
):
    texts = " ".join(_texts(client_for(world.outsider).get(_url(kind, purpose))))
    assert "甲项目" not in texts and "乙机关" not in texts
    client.force_login(UserFactory(username="nobody"))
    assert client.get(_url(kind, purpose)).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, world):
    response = client.get(_url("organizations", "roster"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_unknown_kind_or_purpose_is_404(client_for, world):
    client = client_for(world.secretary1)
    assert client.get(_url("organizations", "everything")).status_code == 404
    assert client.get(_url("members", "roster")).status_code == 404


def test_search_matches_by_name_within_scope(client_for, world, agreements):
    client = client_for(world.committee)
    assert _texts(client.get(_url("organizations", "roster", "甲项目"))) == ["甲项目党支部"]
    assert _texts(client.get(_url("agreements", "items", "甲项目"))) == ["GJ-S-001 甲项目结对共建协议"]
    assert _texts(client.get(_url("agreements", "items", "GJ-S-001"))) == ["GJ-S-001 甲项目结对共建协议"]
    mine = _texts(client_for(world.secretary1).get(_url("organizations", "items")))
    assert set(mine) == {"甲项目党支部", "和平街道社区党委"}


def test_answers_are_capped(client_for, world):
    for n in range(search.LIMIT + 5):
        OrganizationFactory(name=f"甲项目下属第{n}支部", parent=world.branch_a)
    response = client_for(world.committee).get(_url("organizations", "roster", "甲项目"))
    assert len(_texts(response)) == search.LIMIT
    assert response.json()["more"] is True


def _many_branches(world, n=PLAIN_LIMIT + 10):
    return [OrganizationFactory(name=f"测试第{i}党支部", parent=world.general_1) for i in range(n)]


def test_a_filter_validates_an_in_scope_id_and_refuses_another(world, agreements):
    mine, theirs = agreements
    raisable = item_selectors.raisable_agreements(world.secretary1)
    organizations = item_selectors.party_organizations(world.secretary1)
    ok = ActionItemFilter(
        {"agreement": mine.pk, "responsible_party": world.branch_a.pk},
        agreements=raisable,
        organizations=organizations,
    )
    assert ok.is_valid(), ok.errors
    bad = ActionItemFilter(
        {"agreement": theirs.pk, "responsible_party": world.branch_b.pk},
        agreements=raisable,
        organizations=organizations,
    )
    assert not bad.is_valid()
    assert set(bad.errors) == {"agreement", "responsible_party"}


def test_the_roster_filter_refuses_an_organization_outside_the_scope(world):
    organizations = directory_selectors.roster_organizations(world.secretary1)
    queryset = Member.objects.all()
    assert MemberFilter({"organization": world.branch_a.pk}, queryset=queryset, organizations=organizations).is_valid()
    other = MemberFilter({"organization": world.branch_b.pk}, queryset=queryset, organizations=organizations)
    assert not other.is_valid()


def test_a_small_scope_stays_a_plain_select_and_a_big_one_becomes_a_search(world):
    html = str(
        MemberFilter(
            {}, queryset=Member.objects.all(), organizations=directory_selectors.roster_organizations(world.secretary1)
        ).form["organization"]
    )
    assert "data-search-url" not in html and "甲项目党支部" in html
    _many_branches(world)
    big = MemberFilter(
        {"organization": world.branch_a.pk},
        queryset=Member.objects.all(),
        organizations=directory_selectors.roster_organizations(world.committee),
    ).form["organization"]
    html = str(big)
    assert 'data-search-url="/search/organizations/?purpose=roster"' in html
    assert html.count("<option") == 2  # the empty choice and the selected one
    assert f'<option value="{world.branch_a.pk}" selected>甲项目党支部</option>' in html


def test_a_garbage_value_renders_without_error(world):
    _many_branches(world)
    form = PlanFilter({"agreement": "x'; --"}, agreements=Agreement.objects.all()).form
    assert form["agreement"].as_widget().count("<option") in (1, 2)
    form = ActivityFilter({"organization": "12abc"}, organizations=Organization.objects.all()).form
    assert "<option" in str(form["organization"])


PAGES = [
    ("partnerships:action_item_list", "responsible_party"),
    ("partnerships:my_action_items", "agreement"),
    ("partnerships:agreement_list", "party"),
    ("partnerships:member_list", "organization"),
    ("activities:plan_list", "agreement"),
    ("activities:activity_list", "organization"),
]


@pytest.mark.parametrize(("url_name", "field"), PAGES)
def test_list_pages_hold_a_bounded_number_of_options(client_for, world, url_name, field):
    """Many organizations (and agreements) in the committee's scope: the page holds a few options, not one each."""
    branches = _many_branches(world)
    for i, branch in enumerate(branches):
        _agreement(f"GJ-M-{i:03d}", f"测试协议{i}", branch, world.partner)
    from activities.models import Activity, ActivityType

    kind = ActivityType.objects.order_by("pk").first()
    starts = timezone.now()
    Activity.objects.bulk_create(
        [
            Activity(title=f"活动{i}", type=kind, lead=b, starts_at=starts, ends_at=starts)
            for i, b in enumerate(branches)
        ]
    )
    html = client_for(world.committee).get(reverse(url_name)).content.decode()
    assert html.count("<option") < 40, html.count("<option")
    assert 'data-search-url="/search/' in html


def test_global_choices_search_every_organization_and_liaison(client_for, world):
    """Agreement parties may come from any tree (the field's queryset is every organization), liaisons from every
    liaison: the endpoint answers the same sets, by name."""
    client = client_for(world.secretary2)
    assert _texts(client.get(_url("organizations", "all", "和平街道"))) == ["和平街道社区党委"]
    (label,) = _texts(client.get(_url("users", "liaisons", "liaison1")))
    # The form's own label: the person's name in Chinese order, never the login name.
    assert label == display_name(world.liaison1) and "liaison1" not in label
    assert _texts(client.get(_url("users", "liaisons", "secretary1"))) == []


def test_the_member_form_still_refuses_an_organization_it_may_not_write(world):
    from partnerships.forms.directory import MemberForm

    writable = directory_selectors.roster_writable_organizations(world.secretary1)
    data = {"name": "王五", "status": Member.Status.FULL}
    assert MemberForm({**data, "organization": world.branch_a.pk}, organizations=writable).is_valid()
    refused = MemberForm({**data, "organization": world.branch_b.pk}, organizations=writable)
    assert not refused.is_valid() and "organization" in refused.errors
