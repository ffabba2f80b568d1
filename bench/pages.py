"""What the page benchmark measures: every list, feed, export and dashboard page, as the committee and as a branch
secretary, with its queries, median server time and bytes; and the ratios of issue 11 measured side by side.

Importable on its own (the test suite runs it at a tiny scale); ``bench/page_bench.py`` builds the group scale and
prints the table. Server time is the time Django's test client takes to answer in-process: the whole request —
middleware, view, queries, template — without a network or a web server in between.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from api.services.tokens import api_token_create


@dataclass
class Page:
    """One page to measure: a label, how to reach it, and which roles open it."""

    label: str
    url: Callable[[], str]
    roles: tuple[str, ...] = ("committee", "secretary")
    kind: str = "html"  # html | json | ical | xlsx
    # For a page whose address differs by role (the iCal feed: each role's own token), ``url`` is unused.
    role_url: Callable[[str], str] | None = None
    # Which of the role's clients asks: "" the signed-in browser, " api" the role's API token (``api_clients``).
    via: str = ""


@dataclass
class Measurement:
    label: str
    role: str
    status: int
    queries: int
    sql_seconds: float
    times: list[float] = field(default_factory=list)
    size: int = 0

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1000 if self.times else float("nan")


def pages(*, month: dt.date, ical_token: Callable[[str], str], committee: int | None = None) -> list[Page]:
    """Every list, feed, export and dashboard page of the portal. ``month``: the calendar month the feed is asked for;
    ``ical_token(role)``: the feed token of that role's user (the committee's feed reaches the 500-event cap);
    ``committee``: the pk of the committee the ``committee`` role reviews, whose big screen (大屏) and its JSON are
    measured (the committee's only)."""
    start = month.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    events = f"{reverse('activities:calendar_events')}?start={start.isoformat()}&end={end.isoformat()}"
    return [
        Page("工作台 home", lambda: reverse("home")),
        Page("组织架构 directory", lambda: reverse("partnerships:organization_list")),
        Page("组织树 tree", lambda: reverse("partnerships:organization_tree")),
        Page("党员名册 roster", lambda: reverse("partnerships:member_list")),
        Page("共建协议 agreements", lambda: reverse("partnerships:agreement_list")),
        Page("协议导出 agreements.xlsx", lambda: reverse("partnerships:agreement_export"), kind="xlsx"),
        Page("督办台账 items", lambda: reverse("partnerships:action_item_list")),
        Page("督办导出 items.xlsx", lambda: reverse("partnerships:action_item_export"), kind="xlsx"),
        Page("我的督办 my items", lambda: reverse("partnerships:my_action_items")),
        Page("年度计划 plans", lambda: reverse("activities:plan_list")),
        Page("活动台账 activities", lambda: reverse("activities:activity_list")),
        Page("活动导出 activities.xlsx", lambda: reverse("activities:activity_export"), kind="xlsx"),
        Page("待记录 to log", lambda: reverse("activities:activity_to_log")),
        Page("活动日历 calendar", lambda: reverse("activities:calendar")),
        Page("日历月 JSON", lambda: events, kind="json"),
        Page(
            "iCal feed",
            lambda: "",
            kind="ical",
            role_url=lambda role: reverse("activities:ical_feed", args=[ical_token(role)]),
        ),
        Page("重点工程 projects", lambda: reverse("activities:project_list")),
        Page("需求清单 needs", lambda: reverse("partnerships:need_list")),
        Page("资源清单 resources", lambda: reverse("partnerships:resource_list")),
        Page("项目清单 joint projects", lambda: reverse("partnerships:project_list")),
        Page("需求导出 needs.xlsx", lambda: reverse("partnerships:need_export"), kind="xlsx"),
        Page("宣传 publicity", lambda: reverse("activities:publicity_list")),
        Page("待同步 outbox", lambda: reverse("activities:activity_outbox")),
        Page("考核看板 dashboard", lambda: reverse("assessments:dashboard")),
        Page("看板导出 dashboard.xlsx", lambda: reverse("assessments:dashboard_export"), kind="xlsx"),
        *(
            [
                Page("大屏 screen", lambda: reverse("assessments:screen", args=[committee]), roles=("committee",)),
                Page(
                    "大屏 JSON",
                    lambda: reverse("assessments:screen_data", args=[committee]),
                    roles=("committee",),
                    kind="json",
                ),
            ]
            if committee is not None
            else []
        ),
        Page("自评 self-assessments", lambda: reverse("assessments:self_assessment_list")),
        Page("消息 notifications", lambda: reverse("notifications")),
        Page("群机器人 robots", lambda: reverse("webhook_list")),
    ]


# The read API's main endpoints: a default page (50 rows) of each list, the largest page (200) of the two biggest
# tables, and the dashboard's series.
API_PAGES = [
    ("API organizations", "/api/v1/organizations"),
    ("API agreements", "/api/v1/agreements"),
    ("API meetings", "/api/v1/meetings"),
    ("API action items", "/api/v1/action-items"),
    ("API action items ×200", "/api/v1/action-items?limit=200"),
    ("API activities", "/api/v1/activities"),
    ("API activities ×200", "/api/v1/activities?limit=200"),
    ("API zones", "/api/v1/zones"),
    ("API results", "/api/v1/results"),
    ("API dashboard", "/api/v1/dashboard"),
]


def api_pages() -> list[Page]:
    """The read API's lists and the dashboard series, asked with each role's token (``api_clients``)."""
    return [Page(label, (lambda u=url: u), kind="json", via=" api") for label, url in API_PAGES]


def api_clients(users: dict) -> dict[str, Client]:
    """A client per role (``{"committee": user, …}``) sending a fresh API token of that role's user."""
    made = {}
    for role, user in users.items():
        _token, secret = api_token_create(actor=user, name=f"bench {time.time_ns()}")
        made[f"{role} api"] = Client(headers={"Authorization": f"Bearer {secret}"})
    return made


def etag_times(client: Client, url: str, runs: int = 3) -> tuple[float, float]:
    """(median seconds of a full answer, median seconds of the 304 that answers the same request with its ETag)."""
    etag = client.get(url)["ETag"]
    full, revalidated = [], []
    for _ in range(max(runs, 1)):
        started = time.perf_counter()
        client.get(url)
        full.append(time.perf_counter() - started)
        started = time.perf_counter()
        status = client.get(url, headers={"If-None-Match": etag}).status_code
        revalidated.append(time.perf_counter() - started)
        assert status == 304, status
    return statistics.median(full), statistics.median(revalidated)


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def measure(client: Client, url: str, *, label: str, role: str, runs: int = 3, slow: float = 5.0) -> Measurement:
    """One counted request (queries, SQL time, bytes), then ``runs`` timed ones; a page slower than ``slow`` seconds
    is timed once only, so that the whole benchmark stays within minutes at the group scale."""
    reset_queries()  # a full query log would leave the capture's indices meaningless
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.get(url)
        body = _body(response)
        first = time.perf_counter() - started
    result = Measurement(
        label=label,
        role=role,
        status=response.status_code,
        queries=len(captured.captured_queries),
        sql_seconds=sum(float(q["time"]) for q in captured.captured_queries),
        size=len(body),
    )
    if response.status_code != 200:
        return result
    if first > slow:
        result.times.append(first)
        return result
    for _ in range(max(runs, 1)):
        started = time.perf_counter()
        _body(client.get(url))
        result.times.append(time.perf_counter() - started)
    return result


def measure_pages(clients: dict[str, Client], page_list: Iterable[Page], *, runs: int = 3, slow: float = 5.0):
    """Every page for every role that opens it, in page order."""
    for page in page_list:
        url = None if page.role_url else page.url()
        for role in page.roles:
            address = page.role_url(role) if page.role_url else url
            yield measure(clients[role + page.via], address, label=page.label, role=role, runs=runs, slow=slow)


def sql_time(client: Client, url: str, runs: int = 3) -> tuple[float, float]:
    """(median page seconds, median seconds of the SQL it ran), measured in the same requests."""
    pages_, sqls = [], []
    for _ in range(max(runs, 1)):
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            _body(client.get(url))
            pages_.append(time.perf_counter() - started)
        sqls.append(sum(float(q["time"]) for q in captured.captured_queries))
    return statistics.median(pages_), statistics.median(sqls)


# The project's list pages beside the Django admin changelist of the same model, both as the superuser.
ADMIN_PAIRS = [
    ("督办台账 ÷ admin action items", "partnerships:action_item_list", "admin:partnerships_actionitem_changelist"),
    ("党员名册 ÷ admin members", "partnerships:member_list", "admin:partnerships_member_changelist"),
    ("活动台账 ÷ admin activities", "activities:activity_list", "admin:activities_activity_changelist"),
]


def admin_ratios(client: Client, runs: int = 3) -> list[tuple[str, float, float]]:
    """(label, project page median s, admin changelist median s) for each pair."""
    rows = []
    for label, ours, admin in ADMIN_PAIRS:
        mine = measure(client, reverse(ours), label=label, role="admin", runs=runs)
        theirs = measure(client, reverse(admin), label=label, role="admin", runs=runs)
        rows.append((label, mine.median_ms / 1000, theirs.median_ms / 1000))
    return rows


def format_table(results: Iterable[Measurement]) -> str:
    lines = [f"{'page':<28} {'role':<10} {'status':>6} {'queries':>7} {'median ms':>10} {'KB':>9}"]
    for r in results:
        lines.append(
            f"{r.label:<28} {r.role:<10} {r.status:>6} {r.queries:>7} {r.median_ms:>10.0f} {r.size / 1024:>9.1f}"
        )
    return "\n".join(lines)
