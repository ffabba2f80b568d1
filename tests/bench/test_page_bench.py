"""The page benchmark at a tiny scale, so that bench/ cannot rot: every page it measures answers for both roles,
with its queries counted and its bytes weighed, and the side-by-side ratios can be taken."""

from __future__ import annotations

import datetime as dt
import io

from django.core.management import call_command
from django.test import Client

from activities.selectors import calendar as calendar_selectors
from activities.services import calendar as calendar_services
from bench import pages
from partnerships.models import Organization
from portal.models import Membership

BENCH_ROOT = "基准测试党委（bench）"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_page_answers_for_the_committee_and_a_secretary_at_a_tiny_scale(world):
    call_command(
        "seed_scale", orgs=4, activities=120, year=2025, quarter=2, force=True, no_progress=True,
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    root = Organization.objects.get(depth=1, name=BENCH_ROOT)
    branch = Organization.objects.filter(path__startswith=root.path, kind="branch").order_by("path").first()
    Membership.objects.create(user=world.committee, organization=root, role="reviewer")
    Membership.objects.create(user=world.secretary1, organization=branch, role="secretary")
    clients = {"committee": _client(world.committee), "secretary": _client(world.secretary1)}

    readers = {"committee": world.committee, "secretary": world.secretary1}

    def token(role: str) -> str:
        calendar_services.calendar_token_regenerate(actor=readers[role])
        return calendar_selectors.calendar_token_for(readers[role]).token

    page_list = pages.pages(month=dt.date(2025, 5, 1), ical_token=token, committee=root.pk)
    results = list(pages.measure_pages(clients, page_list, runs=1))

    assert len(results) == sum(len(p.roles) for p in page_list)
    assert {r.label for r in results} >= {"大屏 screen", "大屏 JSON"}
    broken = [(r.label, r.role, r.status) for r in results if r.status != 200]
    assert broken == []
    assert all(r.queries > 0 and r.size > 0 and len(r.times) == 1 for r in results)
    table = pages.format_table(results)
    assert "活动台账 activities" in table and "secretary" in table


def test_the_admin_ratios_compare_the_same_models(world):
    ratios = pages.admin_ratios(_client(world.admin), runs=1)
    assert [label for label, _, _ in ratios] == [label for label, _, _ in pages.ADMIN_PAIRS]
    assert all(ours > 0 and admin > 0 for _, ours, admin in ratios)


def test_the_api_endpoints_answer_with_tokens_at_a_tiny_scale(world):
    call_command(
        "seed_scale", orgs=4, activities=60, year=2025, quarter=2, force=True, no_progress=True,
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    root = Organization.objects.get(depth=1, name=BENCH_ROOT)
    branch = Organization.objects.filter(path__startswith=root.path, kind="branch").order_by("path").first()
    Membership.objects.create(user=world.committee, organization=root, role="reviewer")
    Membership.objects.create(user=world.secretary1, organization=branch, role="secretary")
    clients = pages.api_clients({"committee": world.committee, "secretary": world.secretary1})

    page_list = pages.api_pages()
    results = list(pages.measure_pages(clients, page_list, runs=1))

    assert len(results) == 2 * len(pages.API_PAGES)
    assert [(r.label, r.role, r.status) for r in results if r.status != 200] == []
    assert all(r.queries > 0 and r.size > 0 for r in results)
    full, revalidated = pages.etag_times(clients["committee api"], "/api/v1/activities?limit=200", runs=1)
    assert full > 0 and revalidated > 0
