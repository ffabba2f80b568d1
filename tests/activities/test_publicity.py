"""Publicity items (宣传, 品牌联创): made from a logged activity in one click, reviewed by the brand's host (or the
committee for a branch's own brand), counted in the assessment once approved, shown on brand pages.

The cast (tests/conftest.py): 甲项目党支部 (secretary1) logs the activities; under the agreement 乙机关党支部
(secretary2) is the host, so secretary2 reviews; 甲项目党支部's own activity is reviewed by the group committee
(committee, its reviewer). member1 only reads; outsider sees nothing.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from activities.models import Activity, ActivityParticipation, ActivityPhoto, PublicityItem
from activities.photos import check_photos, store_photo
from activities.selectors import publicity as selectors
from activities.services import publicity as services
from assessments import metrics
from portal.models import Membership, Notification
from portal.scoping import forget_scope
from tests.factories import ActivityFactory, MembershipFactory, cast_agreement

Status = PublicityItem.Status


def _png(name="现场.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 22, 29)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def agreement(world):
    agreement = cast_agreement(world, world.branch_b, world.branch_a, number="GJ-PUB-01", title="宣传共建协议")
    agreement.brand = "红色引擎"
    agreement.save()
    return agreement


def _logged(world, agreement=None, days_ago=3, **kwargs):
    starts = timezone.now().replace(microsecond=0) - dt.timedelta(days=days_ago)
    activity = ActivityFactory(
        title="联合主题党日",
        lead=world.branch_a,
        agreement=agreement,
        starts_at=starts,
        status=Activity.Status.LOGGED,
        summary="两支部党员重温入党誓词。",
        outcomes="形成共建清单三项。",
        logged_at=starts + dt.timedelta(hours=3),
        **kwargs,
    )
    ActivityParticipation.objects.create(activity=activity, organization=world.branch_a, headcount=12)
    return activity


@pytest.fixture
def logged(world, agreement):
    activity = _logged(world, agreement)
    for name in ("一.png", "二.png"):
        store_photo(
            ActivityPhoto, upload=check_photos([_png(name)])[0], uploaded_by=world.secretary1, activity=activity
        )
    return activity


@pytest.fixture
def own_logged(world):
    return _logged(world, None)


# --- the review flow ----------------------------------------------------------------------------------------------


def test_a_logged_activity_becomes_a_prefilled_draft(world, logged, agreement):
    item = services.publicity_item_create(actor=world.secretary1, activity=logged)
    assert item.status == Status.DRAFT
    assert item.title == "联合主题党日"
    assert "重温入党誓词" in item.text and "共建清单" in item.text
    assert set(item.photos.all()) == set(logged.photos.all())
    assert item.agreement == agreement and item.branch is None
    assert item.reviewer_org == world.branch_b  # the agreement's host (initiating party)


def test_a_branch_own_item_is_credited_to_the_branch_and_reviewed_by_its_committee(world, own_logged):
    item = services.publicity_item_create(actor=world.secretary1, activity=own_logged)
    assert item.branch == world.branch_a and item.agreement is None
    assert item.reviewer_org == world.group


def test_an_activity_not_logged_cannot_be_publicized(world, agreement):
    held = ActivityFactory(lead=world.branch_a, agreement=agreement, status=Activity.Status.HELD)
    with pytest.raises(ValidationError):
        services.publicity_item_create(actor=world.secretary1, activity=held)


def test_only_the_lead_secretary_makes_an_item(world, logged):
    for user in (world.secretary2, world.member1, world.committee):
        with pytest.raises(PermissionDenied):
            services.publicity_item_create(actor=user, activity=logged)


def test_the_whole_flow_with_return_and_resubmit(world, logged, mailoutbox):
    item = services.publicity_item_create(actor=world.secretary1, activity=logged)
    item = services.publicity_item_submit(actor=world.secretary1, item=item)
    assert item.status == Status.SUBMITTED and item.submitted_at
    assert Notification.objects.filter(kind="publicity.submitted", recipient=world.secretary2).exists()

    with pytest.raises(ValidationError) as caught:
        services.publicity_item_return(actor=world.secretary2, item=item, reason="  ")
    assert "reason" in caught.value.message_dict
    item = services.publicity_item_return(actor=world.secretary2, item=item, reason="请补充活动成效数据。")
    assert item.status == Status.RETURNED and item.return_reason == "请补充活动成效数据。"
    assert Notification.objects.filter(kind="publicity.ruled", recipient=world.secretary1).count() == 1

    # A returned item is edited and submitted again; only one of the activity's photos is kept.
    keep = logged.photos.first()
    item = services.publicity_item_update(
        actor=world.secretary1, item=item, title="联合主题党日见成效", text="补充：共建清单三项已落实。", photos=[keep]
    )
    assert list(item.photos.all()) == [keep]
    item = services.publicity_item_submit(actor=world.secretary1, item=item)
    item = services.publicity_item_approve(actor=world.secretary2, item=item)
    assert item.status == Status.APPROVED and item.reviewed_by == world.secretary2 and item.reviewed_at
    assert Notification.objects.filter(kind="publicity.ruled", recipient=world.secretary1).count() == 2
    # Approved: no more edits.
    with pytest.raises(ValidationError):
        services.publicity_item_update(actor=world.secretary1, item=item, title="改", text="改")


def test_a_non_reviewer_cannot_approve_or_return(world, logged):
    item = services.publicity_item_submit(
        actor=world.secretary1, item=services.publicity_item_create(actor=world.secretary1, activity=logged)
    )
    for user in (world.secretary1, world.member1, world.liaison1, world.outsider):
        with pytest.raises(PermissionDenied):
            services.publicity_item_approve(actor=user, item=item)
    with pytest.raises(PermissionDenied):
        services.publicity_item_return(actor=world.member1, item=item, reason="不行")


def test_the_committee_reviews_a_branch_own_item(world, own_logged):
    item = services.publicity_item_submit(
        actor=world.secretary1, item=services.publicity_item_create(actor=world.secretary1, activity=own_logged)
    )
    assert Notification.objects.filter(kind="publicity.submitted", recipient=world.committee).exists()
    item = services.publicity_item_approve(actor=world.committee, item=item)
    assert item.status == Status.APPROVED


def test_nobody_approves_their_own_report_when_the_host_led_the_activity_itself(world):
    hosted = cast_agreement(world, world.branch_a, world.partner, number="GJ-PUB-02", title="甲支部发起的共建协议")
    activity = _logged(world, hosted)
    item = services.publicity_item_submit(
        actor=world.secretary1, item=services.publicity_item_create(actor=world.secretary1, activity=activity)
    )
    # The host is the lead's own branch: the item goes up to the committee above it, as a branch's own item does.
    assert item.reviewer_org == world.group
    assert not selectors.awaiting_review(world.secretary1).filter(pk=item.pk).exists()
    with pytest.raises(PermissionDenied):
        services.publicity_item_approve(actor=world.secretary1, item=item)
    assert selectors.awaiting_review(world.committee).filter(pk=item.pk).exists()
    assert services.publicity_item_approve(actor=world.committee, item=item).status == Status.APPROVED


def test_the_author_never_reviews_their_own_item_even_as_the_reviewing_secretary(world, logged):
    item = services.publicity_item_submit(
        actor=world.secretary1, item=services.publicity_item_create(actor=world.secretary1, activity=logged)
    )
    MembershipFactory(user=world.secretary1, organization=item.reviewer_org, role=Membership.Role.SECRETARY)
    forget_scope(world.secretary1)
    assert not selectors.awaiting_review(world.secretary1).filter(pk=item.pk).exists()
    with pytest.raises(PermissionDenied):
        services.publicity_item_approve(actor=world.secretary1, item=item)


def test_a_draft_cannot_be_approved(world, logged):
    item = services.publicity_item_create(actor=world.secretary1, activity=logged)
    with pytest.raises(ValidationError):
        services.publicity_item_approve(actor=world.secretary2, item=item)


def test_photos_of_another_activity_are_refused(world, logged, own_logged):
    stranger = store_photo(
        ActivityPhoto, upload=check_photos([_png()])[0], uploaded_by=world.secretary1, activity=own_logged
    )
    item = services.publicity_item_create(actor=world.secretary1, activity=logged)
    with pytest.raises(ValidationError) as caught:
        services.publicity_item_update(actor=world.secretary1, item=item, title="标题", text="正文", photos=[stranger])
    assert "photos" in caught.value.message_dict


# --- pages ---------------------------------------------------------------------------------------------------------


def test_the_button_on_the_activity_page_makes_the_draft_and_opens_its_edit_page(client_for, world, logged):
    client = client_for(world.secretary1)
    page = client.get(logged.get_absolute_url()).content.decode()
    assert 'data-testid="make-publicity"' in page
    response = client.post(reverse("activities:publicity_create", args=[logged.pk]))
    item = PublicityItem.objects.get(activity=logged)
    assert response.status_code == 302 and response.url == reverse("activities:publicity_update", args=[item.pk])
    # A reader sees no button and may not post.
    assert (
        'data-testid="make-publicity"' not in client_for(world.member1).get(logged.get_absolute_url()).content.decode()
    )
    assert client_for(world.member1).post(reverse("activities:publicity_create", args=[logged.pk])).status_code == 403


def test_pages_walk_through_the_review(client_for, world, logged):
    # client_for logs the one test client in as someone: each step signs in as who acts.
    def author():
        return client_for(world.secretary1)

    def reviewer():
        return client_for(world.secretary2)

    item = services.publicity_item_create(actor=world.secretary1, activity=logged)
    photo = logged.photos.first()
    response = author().post(
        reverse("activities:publicity_update", args=[item.pk]),
        {"title": "共建见闻", "text": "正文", "link": "", "photos": [photo.pk]},
    )
    assert response.status_code == 302
    assert author().post(reverse("activities:publicity_submit", args=[item.pk])).status_code == 302
    page = reviewer().get(item.get_absolute_url()).content.decode()
    assert 'data-testid="publicity-approve"' in page
    response = reviewer().post(reverse("activities:publicity_return", args=[item.pk]), {"reason": ""})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    reviewer().post(reverse("activities:publicity_return", args=[item.pk]), {"reason": "照片不清晰"})
    item.refresh_from_db()
    assert item.status == Status.RETURNED
    assert "照片不清晰" in author().get(item.get_absolute_url()).content.decode()
    author().post(reverse("activities:publicity_submit", args=[item.pk]))
    assert reviewer().post(reverse("activities:publicity_approve", args=[item.pk])).status_code == 302
    item.refresh_from_db()
    assert item.status == Status.APPROVED
    # An approved item's edit page sends the author back with the reason.
    assert author().get(reverse("activities:publicity_update", args=[item.pk])).status_code == 302


def test_scope_of_the_item_pages(client_for, world, logged):
    item = services.publicity_item_submit(
        actor=world.secretary1, item=services.publicity_item_create(actor=world.secretary1, activity=logged)
    )
    outsider = client_for(world.outsider)
    for name in ("publicity_detail", "publicity_update", "publicity_return"):
        assert outsider.get(reverse(f"activities:{name}", args=[item.pk])).status_code == 404
    for name in ("publicity_submit", "publicity_approve"):
        assert outsider.post(reverse(f"activities:{name}", args=[item.pk])).status_code == 404
    assert outsider.post(reverse("activities:publicity_create", args=[logged.pk])).status_code == 404
    reader = client_for(world.member1)
    assert reader.get(item.get_absolute_url()).status_code == 200
    assert reader.post(reverse("activities:publicity_submit", args=[item.pk])).status_code == 403
    assert reader.get(reverse("activities:publicity_update", args=[item.pk])).status_code == 403
    # The author sees the item but is not its reviewer.
    assert client_for(world.secretary1).post(reverse("activities:publicity_approve", args=[item.pk])).status_code == 403
    assert client_for(world.secretary1).get(reverse("activities:publicity_return", args=[item.pk])).status_code == 403


def test_the_list_tabs_and_the_home_to_do(client_for, world, logged, own_logged):
    services.publicity_item_create(actor=world.secretary1, activity=own_logged)
    submitted = services.publicity_item_submit(
        actor=world.secretary1, item=services.publicity_item_create(actor=world.secretary1, activity=logged)
    )
    response = client_for(world.secretary1).get(reverse("activities:publicity_list") + "?tab=draft")
    counts = {tab.key: tab.count for tab in response.context["tabs"]}
    assert counts == {"draft": 1, "submitted": 1, "approved": 0, "returned": 0}
    assert client_for(world.outsider).get(reverse("activities:publicity_list")).context["tabs"][1].count == 0
    home = client_for(world.secretary2).get(reverse("home")).content.decode()
    assert 'data-testid="todo-publicity_review"' in home
    assert submitted.title in client_for(world.secretary2).get(reverse("activities:publicity_list")).content.decode()


def _items(world, activity, n, status=Status.APPROVED):
    for i in range(n):
        item = services.publicity_item_create(actor=world.secretary1, activity=activity)
        PublicityItem.objects.filter(pk=item.pk).update(
            status=status, title=f"报道{i}", reviewed_at=timezone.now(), reviewed_by=world.secretary2
        )


@pytest.mark.parametrize("n", [1, 8])
def test_the_list_costs_the_same_at_few_and_many_rows(client_for, world, logged, n, django_assert_max_num_queries):
    _items(world, logged, n, Status.SUBMITTED)
    client = client_for(world.secretary1)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("activities:publicity_list"))
    assert len(response.context["items"]) == n


# --- brand pages ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 8])
def test_the_agreement_brand_page_shows_approved_items_at_a_fixed_cost(
    client_for, world, logged, agreement, n, django_assert_max_num_queries
):
    _items(world, logged, n)
    services.publicity_item_create(actor=world.secretary1, activity=logged)  # a draft: not shown
    client = client_for(world.secretary1)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("activities:agreement_brand", args=[agreement.pk]))
    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) == n
    assert "红色引擎" in response.content.decode()
    series = response.context["series"]
    assert sum(series["activities"]) == 1 and sum(series["headcounts"]) == 12


def test_brand_pages_scope(client_for, world, agreement, own_logged):
    url = reverse("activities:agreement_brand", args=[agreement.pk])
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.member1).get(url).status_code == 200
    world.branch_a.brand = "钢铁先锋"
    world.branch_a.save()
    branch_url = reverse("activities:branch_brand", args=[world.branch_a.pk])
    assert client_for(world.outsider).get(branch_url).status_code == 404
    assert client_for(world.secretary2).get(branch_url).status_code == 404
    assert client_for(world.committee).get(branch_url).status_code == 200
    assert client_for(world.member1).get(branch_url).status_code == 200
    # A branch without a brand has no brand page.
    assert (
        client_for(world.secretary2).get(reverse("activities:branch_brand", args=[world.branch_b.pk])).status_code
        == 404
    )


def test_the_branch_secretary_sets_the_branch_brand(client_for, world):
    url = reverse("activities:branch_brand_edit", args=[world.branch_a.pk])
    assert client_for(world.member1).get(url).status_code == 403
    assert client_for(world.outsider).get(url).status_code == 404
    response = client_for(world.secretary1).post(url, {"brand": "钢铁先锋", "brand_description": "攻坚在一线"})
    assert response.status_code == 302
    world.branch_a.refresh_from_db()
    assert (world.branch_a.brand, world.branch_a.brand_description) == ("钢铁先锋", "攻坚在一线")
    page = client_for(world.secretary1).get(world.branch_a.get_absolute_url()).content.decode()
    assert reverse("activities:branch_brand", args=[world.branch_a.pk]) in page


# --- the assessment -------------------------------------------------------------------------------------------------


def test_the_publicity_metric_counts_approved_items_only_with_evidence(world, logged, agreement):
    y, q = metrics.current_quarter(timezone.localdate())
    states = [Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.APPROVED, Status.APPROVED]
    made = []
    for state in states:
        item = services.publicity_item_create(actor=world.secretary1, activity=logged)
        PublicityItem.objects.filter(pk=item.pk).update(
            status=state,
            return_reason="重写" if state == Status.RETURNED else "",
            reviewed_at=timezone.now() if state in (Status.APPROVED, Status.RETURNED) else None,
        )
        made.append(item)
    metric = metrics.REGISTRY["publicity"]
    assert metric.values(metrics.ORG, y, q)[world.branch_a.pk] == 2
    assert metric.values(metrics.AGR, y, q)[agreement.pk] == 2
    evidence = metric.records(agreement, y, q)
    assert evidence.model is PublicityItem
    assert set(evidence) == {made[3], made[4]}
    assert all(record.get_absolute_url().startswith("/") for record in evidence)


def test_the_ledger_export_names_the_approved_item(client_for, world, logged):
    from tests.activities.test_ledger import _read

    _items(world, logged, 1)
    header, rows = _read(client_for(world.secretary1).get(reverse("activities:activity_export")))
    assert rows[0][16] == "报道0"


def test_the_item_page_shows_its_change_history_with_the_return_reason(client_for, world, logged):
    """The author and the reviewer read on the item what happened to it: submitted, returned with the reason, edited,
    submitted again, approved, and by whom; the history exports to Excel for them, never for an outsider."""
    item = services.publicity_item_create(actor=world.secretary1, activity=logged)
    item = services.publicity_item_submit(actor=world.secretary1, item=item)
    item = services.publicity_item_return(actor=world.secretary2, item=item, reason="请补充活动成效数据。")
    item = services.publicity_item_update(actor=world.secretary1, item=item, title="联合主题党日见成效", text="补充。")
    item = services.publicity_item_submit(actor=world.secretary1, item=item)
    services.publicity_item_approve(actor=world.secretary2, item=item)

    page = client_for(world.secretary1).get(item.get_absolute_url())
    assert page.status_code == 200
    history = page.content.decode().split('data-testid="publicity-history"')[1]
    assert history.count('data-testid="history-entry"') >= 5  # saves that changed only bookkeeping fields show none
    assert "请补充活动成效数据。" in history
    assert "联合主题党日见成效" in history
    for status in (Status.SUBMITTED, Status.RETURNED, Status.APPROVED):
        assert str(status.label) in history

    export = reverse("history_export", args=["activities.publicityitem", item.pk])
    assert client_for(world.secretary2).get(export).status_code == 200
    assert client_for(world.outsider).get(export).status_code == 404


@pytest.mark.parametrize("edits", [1, 12])
def test_the_item_page_costs_the_same_with_a_short_or_long_history(
    client_for, world, logged, edits, django_assert_max_num_queries
):
    item = services.publicity_item_create(actor=world.secretary1, activity=logged)
    for n in range(edits):
        item = services.publicity_item_update(actor=world.secretary1, item=item, title=f"第{n}稿", text="正文")
    client = client_for(world.secretary1)
    with django_assert_max_num_queries(16):
        assert client.get(item.get_absolute_url()).status_code == 200
