"""The engine of ``manage.py seed_scale``: a large synthetic dataset for the rollup benchmark (bench/rollup_bench.py).

One quarter's worth of records under a bench committee (``BENCH_ROOT``): N branches, N agreements (branch k with
branch k+1), their plans, meetings, action items, key projects with zones and zone checks, roster members, and
``--activities`` activities with their co-organizers and participants.

The big tables are filled set-based: every statement is ``INSERT … SELECT`` over a series of integers — PostgreSQL's
``generate_series``, a recursive CTE on SQLite — joined on ``n % size`` with small lookup tables (the branches, the
agreements, the activity types, a few hundred time slots of the quarter) built first. The same SQL therefore runs on
both backends and nothing is generated row by row in Python; chunks of ``--chunk`` rows drive the progress line.

Refuses to run when the database holds anything but bench data (unless ``--force``), or bench data already.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

from django.db import connection, transaction
from django.utils import timezone

from activities.models import ActivityType
from assessments import metrics
from partnerships.models import Agreement, AgreementParty, Organization

BENCH_ROOT = "基准测试党委（bench）"
SLOTS = 720  # time slots spread over the quarter (about one every three hours)


def bench_root() -> Organization | None:
    return Organization.objects.filter(depth=1, name=BENCH_ROOT).first()


def non_bench_organizations() -> int:
    """Organizations outside the bench tree: their presence means the database is not a bench database."""
    root = bench_root()
    others = Organization.objects.all()
    if root is not None:
        others = others.exclude(path__startswith=root.path)
    return others.count()


class Progress:
    """A one-line progress bar on stderr (tqdm is not a dependency)."""

    def __init__(self, label: str, total: int, stream=None, enabled: bool = True):
        self.label, self.total, self.done = label, max(total, 1), 0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.started = time.perf_counter()

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        width = 30
        filled = int(width * self.done / self.total)
        elapsed = time.perf_counter() - self.started
        self.stream.write(
            f"\r  {self.label:<22} [{'#' * filled}{'.' * (width - filled)}] {self.done:>10,}/{self.total:,} "
            f"{elapsed:6.1f}s"
        )
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


class Seeder:
    """The statements, for the connection's backend."""

    def __init__(self, *, year: int, quarter: int, chunk: int, progress: bool, stderr=None):
        self.year, self.quarter, self.chunk = year, quarter, chunk
        self.progress, self.stderr = progress, stderr
        self.pg = connection.vendor == "postgresql"
        self.json_empty = "'[]'::jsonb" if self.pg else "'[]'"
        self.counts: dict[str, int] = {}

    # --- helpers ---------------------------------------------------------------------------------------------

    def execute(self, sql: str, params=None) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def series_insert(self, label: str, total: int, insert: str, select: str) -> None:
        """``INSERT … SELECT`` over n = 0 … total-1 in chunks; ``select`` reads ``s.n`` and joins lookups."""
        bar = Progress(label, total, self.stderr, self.progress)
        # The statement's own text has no placeholders: its modulo signs are escaped for the driver.
        insert, select = insert.replace("%", "%%"), select.replace("%", "%%")
        for lo in range(0, total, self.chunk):
            hi = min(lo + self.chunk, total) - 1
            if self.pg:
                sql = f"{insert} {select.replace('{series}', 'generate_series(%s, %s) AS s(n)')}"
            else:
                sql = (
                    "WITH RECURSIVE s(n) AS (SELECT %s UNION ALL SELECT n + 1 FROM s WHERE n < %s) "
                    f"{insert} {select.replace('{series}', 's')}"
                )
            self.execute(sql, (lo, hi))
            bar.update(hi - lo + 1)
        bar.close()
        self.counts[label] = self.counts.get(label, 0) + total

    def lookup(self, table: str, columns: str, rows: list[tuple]) -> None:
        self.execute(f"DROP TABLE IF EXISTS {table}")
        self.execute(f"CREATE TEMPORARY TABLE {table} ({columns})")
        if rows:
            marks = ", ".join(["%s"] * len(rows[0]))
            with connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)  # noqa: S608 (our own names)

    # --- the dataset -------------------------------------------------------------------------------------------

    def run(self, *, orgs: int, activities: int, items: int, zone_checks: int, members_per_org: int) -> dict:
        now = timezone.now()
        start, end = metrics.quarter_datetimes(self.year, self.quarter)
        first_month = metrics.quarter_months(self.quarter)[0]
        with transaction.atomic():
            root = Organization.objects.add_root(
                {"name": BENCH_ROOT, "kind": Organization.Kind.COMMITTEE, "sector": Organization.Sector.SOE}
            )
            branches = [
                Organization(
                    path=Organization._get_path(root.path, 2, k + 1),
                    depth=2,
                    numchild=0,
                    name=f"基准第{k + 1}党支部",
                    kind=Organization.Kind.BRANCH,
                    sector=Organization.Sector.SOE,
                )
                for k in range(orgs)
            ]
            Organization.objects.bulk_create(branches, batch_size=2000)
            Organization.objects.filter(pk=root.pk).update(numchild=orgs)
            org_ids = list(
                Organization.objects.filter(path__startswith=root.path, depth=2)
                .order_by("path")
                .values_list("pk", flat=True)
            )
            self.counts["organizations"] = orgs + 1

            term_start, term_end = dt.date(self.year - 1, 1, 1), dt.date(self.year + 1, 12, 31)
            Agreement.objects.bulk_create(
                [
                    Agreement(
                        number=f"BENCH-{k + 1:07d}",
                        title=f"基准共建协议{k + 1}",
                        term_start=term_start,
                        term_end=term_end,
                        status=Agreement.Status.ACTIVE,
                    )
                    for k in range(orgs)
                ],
                batch_size=2000,
            )
            agreement_ids = list(
                Agreement.objects.filter(number__startswith="BENCH-").order_by("number").values_list("pk", flat=True)
            )
            partner_of = [org_ids[(k + 1) % orgs] for k in range(orgs)]
            AgreementParty.objects.bulk_create(
                [
                    AgreementParty(agreement_id=a, organization_id=org_ids[k], role=AgreementParty.Role.INITIATOR)
                    for k, a in enumerate(agreement_ids)
                ]
                + [
                    AgreementParty(agreement_id=a, organization_id=partner_of[k], role=AgreementParty.Role.PARTNER)
                    for k, a in enumerate(agreement_ids)
                    if partner_of[k] != org_ids[k]  # a single branch has nobody to pair with
                ],
                batch_size=2000,
            )
            self.counts["agreements"] = orgs

            types = list(ActivityType.objects.order_by("pk").values_list("pk", flat=True))
            self.lookup("bench_org", "k integer primary key, id bigint", list(enumerate(org_ids)))
            self.lookup(
                "bench_agr",
                "k integer primary key, id bigint, lead_id bigint, partner_id bigint, plan_id bigint, "
                "project_id bigint",
                [(k, a, org_ids[k], partner_of[k], None, None) for k, a in enumerate(agreement_ids)],
            )
            self.lookup("bench_type", "k integer primary key, id bigint", list(enumerate(types)))
            ts, day = ("timestamptz", "date") if self.pg else ("text", "text")
            self.lookup(
                "bench_slot",
                f"k integer primary key, starts_at {ts}, ends_at {ts}, logged_fast {ts}, logged_late {ts}, "
                f"closed_early {ts}, closed_late {ts}, day {day}, day_plus3 {day}, day_plus7 {day}, "
                f"month_idx integer, created {ts}",
                self.slots(start, end, first_month, now),
            )

        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM activities_activity")
            before_activities = cursor.fetchone()[0]
        with transaction.atomic():
            self.plans(orgs, first_month)
        with transaction.atomic():
            self.meetings(orgs)
        with transaction.atomic():
            self.members(orgs * members_per_org)
        with transaction.atomic():
            self.activities(orgs, activities)
            self.publicity(root.pk, before_activities)
        with transaction.atomic():
            self.action_items(orgs, items)
        with transaction.atomic():
            self.zones(orgs, zone_checks)
        for table in ("bench_org", "bench_agr", "bench_type", "bench_slot", "bench_row", "bench_zone"):
            self.execute(f"DROP TABLE IF EXISTS {table}")
        if self.pg:
            self.execute("ANALYZE")
        return self.counts

    def slots(self, start: dt.datetime, end: dt.datetime, first_month: int, now: dt.datetime) -> list[tuple]:
        """Time slots spread evenly over the quarter, with the derived times the records need."""
        span = (end - start) - dt.timedelta(hours=3)
        rows = []
        for k in range(SLOTS):
            # Spread by a stride coprime to SLOTS so that consecutive slots are far apart in time.
            position = (k * 337) % SLOTS
            starts = start + span * position / SLOTS
            starts = starts.replace(second=0, microsecond=0)
            ends = starts + dt.timedelta(hours=2)
            day = timezone.localtime(starts).date()
            month_idx = min(max(day.month - first_month, 0), 2)
            rows.append(
                (
                    k,
                    *(self.db_value(value) for value in (starts, ends, ends + dt.timedelta(days=2))),
                    self.db_value(ends + dt.timedelta(days=9)),
                    self.db_value(starts - dt.timedelta(days=2)),
                    self.db_value(starts + dt.timedelta(days=5)),
                    self.db_value(day),
                    self.db_value(day + dt.timedelta(days=3)),
                    self.db_value(day + dt.timedelta(days=7)),
                    month_idx,
                    self.db_value(now),
                )
            )
        return rows

    def db_value(self, value):
        """A datetime or date as Django stores it: itself on PostgreSQL, UTC text on SQLite."""
        if self.pg:
            return value
        if isinstance(value, dt.datetime):
            return connection.ops.adapt_datetimefield_value(value)
        return value.isoformat()

    def plans(self, orgs: int, first_month: int) -> None:
        self.series_insert(
            "plans",
            orgs,
            "INSERT INTO activities_activityplan (agreement_id, year, title, notes, created_at, updated_at)",
            f"SELECT a.id, {self.year}, 'bench plan ' || s.n, '', t.created, t.created FROM {{series}} "
            "JOIN bench_agr a ON a.k = s.n JOIN bench_slot t ON t.k = 0",
        )
        self.execute(
            "UPDATE bench_agr SET plan_id = (SELECT p.id FROM activities_activityplan p "
            f"WHERE p.agreement_id = bench_agr.id AND p.year = {self.year})"
        )
        self.series_insert(
            "planned activities",
            orgs * 3,
            'INSERT INTO activities_plannedactivity (plan_id, month, theme, content, type_id, lead_id, "order")',
            f"SELECT a.plan_id, {first_month} + s.n / {orgs}, 'bench theme ' || s.n, '', ty.id, a.lead_id, s.n / {orgs} "
            f"FROM {{series}} JOIN bench_agr a ON a.k = s.n % {orgs} JOIN bench_type ty ON ty.k = 0",
        )
        self.execute(
            "INSERT INTO activities_plannedactivity_co_organizers (plannedactivity_id, organization_id) "
            "SELECT r.id, a.partner_id FROM activities_plannedactivity r JOIN bench_agr a ON a.plan_id = r.plan_id "
            "WHERE a.partner_id <> a.lead_id"
        )
        self.lookup("bench_row", "k integer primary key, id bigint", [])
        self.execute(
            f"INSERT INTO bench_row (k, id) SELECT a.k * 3 + (r.month - {first_month}), r.id "
            "FROM activities_plannedactivity r JOIN bench_agr a ON a.plan_id = r.plan_id"
        )

    def meetings(self, orgs: int) -> None:
        self.series_insert(
            "joint meetings",
            orgs * 2,
            "INSERT INTO partnerships_jointmeeting (agreement_id, title, starts_at, place, host_id, guests, minutes, "
            "minutes_status, minutes_version, created_at, updated_at)",
            "SELECT a.id, 'bench meeting ' || s.n, t.starts_at, 'bench', "
            f"CASE WHEN s.n < {orgs} THEN a.lead_id ELSE a.partner_id END, '', '', "
            "CASE WHEN s.n % 5 = 0 THEN 'draft' ELSE 'published' END, 1, t.created, t.created "
            f"FROM {{series}} JOIN bench_agr a ON a.k = s.n % {orgs} JOIN bench_slot t ON t.k = (s.n * 37) % {SLOTS}",
        )

    def members(self, total: int) -> None:
        orgs = self.counts["organizations"] - 1
        self.series_insert(
            "members",
            total,
            "INSERT INTO partnerships_member (organization_id, name, gender, title, status, phone, created_at, "
            "updated_at)",
            "SELECT o.id, 'bench member ' || s.n, '', '', "
            "CASE WHEN s.n % 25 = 0 THEN 'transferred_out' ELSE 'full' END, '', t.created, t.created "
            f"FROM {{series}} JOIN bench_org o ON o.k = s.n % {orgs} JOIN bench_slot t ON t.k = 0",
        )

    def activities(self, orgs: int, total: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM activities_activity")
            before = cursor.fetchone()[0]
        n_types = ActivityType.objects.count()
        # The lead is branch n % orgs; what happens to the activity depends on h = n / orgs, so that every branch
        # gets the same mix: h % 20 = 0 cancelled, 1-2 held (not logged), 3-13 logged within 7 days, 14-19 logged
        # late; 70% under an agreement (the lead's own, its partner co-organizing), a quarter of those under a plan.
        h = f"(s.n / {orgs})"
        status = f"CASE WHEN {h} % 20 = 0 THEN 'cancelled' WHEN {h} % 20 < 3 THEN 'held' ELSE 'logged' END"
        logged = f"{h} % 20 >= 3"
        joint = f"({h} / 3) % 10 < 7"
        self.series_insert(
            "activities",
            total,
            "INSERT INTO activities_activity (title, type_id, agreement_id, plan_row_id, lead_id, starts_at, ends_at, "
            "place, description, status, summary, outcomes, logged_at, publicity_title, publicity_text, "
            "publicity_url, cancel_reason, created_at, updated_at)",
            "SELECT 'bench activity ' || s.n, ty.id, "
            f"CASE WHEN {joint} THEN a.id END, "
            f"CASE WHEN {joint} AND ({h} / 7) % 4 = 0 THEN r.id END, "
            "a.lead_id, t.starts_at, t.ends_at, 'bench', '', "
            f"{status}, CASE WHEN {logged} THEN 'bench summary' ELSE '' END, '', "
            f"CASE WHEN {h} % 20 >= 14 THEN t.logged_late WHEN {logged} THEN t.logged_fast END, "
            f"CASE WHEN {logged} AND {h} % 5 = 0 THEN 'bench report' ELSE '' END, '', '', "
            f"CASE WHEN {h} % 20 = 0 THEN 'bench' ELSE '' END, t.created, t.created "
            f"FROM {{series}} JOIN bench_agr a ON a.k = s.n % {orgs} "
            f"JOIN bench_type ty ON ty.k = s.n % {n_types} "
            f"JOIN bench_slot t ON t.k = (s.n * 7) % {SLOTS} "
            f"LEFT JOIN bench_row r ON r.k = (s.n % {orgs}) * 3 + t.month_idx",
        )
        bar = Progress("co-organizers", 1, self.stderr, self.progress)
        self.counts["co-organizers"] = self.execute(
            "INSERT INTO activities_activity_co_organizers (activity_id, organization_id) "
            "SELECT x.id, a.partner_id FROM activities_activity x JOIN bench_agr a ON a.id = x.agreement_id "
            "WHERE x.id > %s AND a.partner_id <> a.lead_id",
            (before,),
        )
        bar.update(1)
        bar.close()
        bar = Progress("participants", 1, self.stderr, self.progress)
        # Two named participants (of the lead's roster) for every third activity held or logged.
        self.counts["participants"] = self.execute(
            "INSERT INTO activities_activity_participants (activity_id, member_id) "
            "SELECT x.id, m.id FROM activities_activity x JOIN partnerships_member m ON m.organization_id = x.lead_id "
            "WHERE x.id > %s AND x.id %% 3 = 0 AND x.status IN ('held', 'logged') AND (m.id / %s) %% 10 = x.id %% 10",
            (before, orgs),
        )
        bar.update(1)
        bar.close()

    def publicity(self, reviewer_org_id: int, after_id: int) -> None:
        """A publicity item for every activity whose log carries a report (a fifth of the logged ones), credited to
        the agreement's brand (or the lead branch's when the activity is its own): two in three approved by the
        bench committee two days after the log, the rest waiting for review."""
        bar = Progress("publicity items", 1, self.stderr, self.progress)
        approved = "x.id %% 3 <> 0"
        reviewed = "x.logged_at + interval '2 days'" if self.pg else "datetime(x.logged_at, '+2 days')"
        self.counts["publicity items"] = self.execute(
            "INSERT INTO activities_publicityitem (activity_id, title, text, link, agreement_id, branch_id, "
            "reviewer_org_id, status, submitted_at, reviewed_at, return_reason, created_at, updated_at) "
            "SELECT x.id, x.title, 'bench publicity', '', x.agreement_id, "
            "CASE WHEN x.agreement_id IS NULL THEN x.lead_id END, %s, "
            f"CASE WHEN {approved} THEN 'approved' ELSE 'submitted' END, x.logged_at, "
            f"CASE WHEN {approved} THEN {reviewed} END, '', x.logged_at, x.logged_at "
            "FROM activities_activity x WHERE x.id > %s AND x.publicity_title <> ''",
            (reviewer_org_id, after_id),
        )
        bar.update(1)
        bar.close()

    def action_items(self, orgs: int, total: int) -> None:
        # Agreement n % orgs; with h = n / orgs: h % 2 picks the lead or the partner, and c = (h / 2) % 10 the
        # outcome: 0 cancelled, 1-3 open, 4-5 in progress, 6-8 closed on time, 9 closed late.
        h = f"(s.n / {orgs})"
        c = f"(({h} / 2) % 10)"
        status = (
            f"CASE WHEN {c} = 0 THEN 'cancelled' WHEN {c} < 4 THEN 'open' "
            f"WHEN {c} < 6 THEN 'in_progress' ELSE 'done' END"
        )
        closed = f"CASE WHEN {c} = 9 THEN t.closed_late WHEN {c} >= 6 THEN t.closed_early END"
        self.series_insert(
            "action items",
            total,
            "INSERT INTO partnerships_actionitem (agreement_id, kind, title, description, responsible_party_id, "
            "due_on, priority, status, progress, cancel_reason, closed_at, confirmed_at, created_at, updated_at)",
            "SELECT a.id, 'item', 'bench item ' || s.n, '', "
            f"CASE WHEN {h} % 2 = 0 THEN a.lead_id ELSE a.partner_id END, t.day, 2, {status}, "
            f"CASE WHEN {c} >= 6 THEN 100 ELSE 30 END, CASE WHEN {c} = 0 THEN 'bench' ELSE '' END, "
            f"{closed}, {closed}, t.created, t.created "
            f"FROM {{series}} JOIN bench_agr a ON a.k = s.n % {orgs} JOIN bench_slot t ON t.k = (s.n * 13) % {SLOTS}",
        )

    def zones(self, orgs: int, total: int) -> None:
        self.series_insert(
            "key projects",
            orgs,
            "INSERT INTO activities_keyproject (agreement_id, owner_id, name, code, location, description, is_joint, "
            "honours, supervision_phone, status, created_at, updated_at)",
            "SELECT a.id, a.lead_id, 'bench project ' || s.n, '', '', '', TRUE, '', '', 'under_way', "
            "t.created, t.created FROM {series} JOIN bench_agr a ON a.k = s.n JOIN bench_slot t ON t.k = 0",
        )
        self.execute(
            "UPDATE bench_agr SET project_id = (SELECT p.id FROM activities_keyproject p "
            "WHERE p.agreement_id = bench_agr.id)"
        )
        self.series_insert(
            "zones",
            orgs * 2,
            "INSERT INTO activities_responsibilityzone (project_id, name, area, dimensions, pledges, lead_id, "
            'supervision_phone, "order", created_at, updated_at)',
            f"SELECT a.project_id, 'bench zone ' || (s.n / {orgs}), 'bench', {self.json_empty}, '', "
            f"CASE WHEN s.n < {orgs} THEN a.lead_id ELSE a.partner_id END, '', s.n / {orgs}, t.created, t.created "
            f"FROM {{series}} JOIN bench_agr a ON a.k = s.n % {orgs} JOIN bench_slot t ON t.k = 0",
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT z.id FROM activities_responsibilityzone z JOIN bench_agr a ON a.project_id = z.project_id "
                "ORDER BY z.id"
            )
            zone_ids = [row[0] for row in cursor.fetchall()]
        self.lookup("bench_zone", "k integer primary key, id bigint", list(enumerate(zone_ids)))
        n_zones = len(zone_ids)
        # Zone n % zones; with c = (n / zones) % 10: 0-6 nothing found, 7-8 a hazard fixed in 3 days, 9 still open.
        c = f"((s.n / {n_zones}) % 10)"
        finding = f"{c} >= 7"
        self.series_insert(
            "zone checks",
            total,
            "INSERT INTO activities_zonecheck (zone_id, checked_on, inspectors, category, finding, fix_due_on, fix, "
            "fixed_on, created_at, updated_at)",
            f"SELECT z.id, t.day, '', CASE WHEN {finding} THEN 'safety' ELSE 'none' END, "
            f"CASE WHEN {finding} THEN 'bench finding' ELSE '' END, CASE WHEN {finding} THEN t.day_plus7 END, '', "
            f"CASE WHEN {c} IN (7, 8) THEN t.day_plus3 END, t.created, t.created "
            f"FROM {{series}} JOIN bench_zone z ON z.k = s.n % {n_zones} JOIN bench_slot t ON t.k = (s.n * 11) % {SLOTS}",
        )
        self.milestones(orgs)

    def milestones(self, orgs: int) -> None:
        """Two milestones per key project within the quarter: the first reached on time, 3 or 7 days late, or not
        yet (overdue once its day has passed), by project; the second not reached. Then what each project stores of
        them for the committee's panel (``activities.services.business.project_schedule_refresh``), set-based."""
        self.series_insert(
            "milestones",
            orgs * 2,
            'INSERT INTO activities_projectmilestone (project_id, name, planned_on, actual_on, "order", created_at, '
            "updated_at)",
            f"SELECT a.project_id, 'bench milestone ' || (s.n / {orgs}), "
            f"CASE WHEN s.n < {orgs} THEN t.day ELSE t.day_plus7 END, "
            f"CASE WHEN s.n >= {orgs} THEN NULL WHEN s.n % 4 = 0 THEN t.day WHEN s.n % 4 = 1 THEN t.day_plus3 "
            f"WHEN s.n % 4 = 2 THEN t.day_plus7 END, s.n / {orgs}, t.created, t.created "
            f"FROM {{series}} JOIN bench_agr a ON a.k = s.n % {orgs} JOIN bench_slot t ON t.k = ((s.n % {orgs}) * 7) % {SLOTS}",
        )
        days = (
            "(m.actual_on - m.planned_on) * INTERVAL '1 day'"
            if self.pg
            else ("CAST(ROUND((julianday(m.actual_on) - julianday(m.planned_on)) * 86400000000) AS INTEGER)")
        )
        project = "activities_keyproject.id"
        self.execute(
            "UPDATE activities_keyproject SET has_milestones = TRUE, "
            f"open_from = (SELECT MIN(m.planned_on) FROM activities_projectmilestone m WHERE m.project_id = {project} "
            "AND m.actual_on IS NULL), "
            f"reached_delay = (SELECT {days} FROM activities_projectmilestone m WHERE m.project_id = {project} "
            "AND m.actual_on IS NOT NULL ORDER BY m.planned_on DESC, m.id DESC LIMIT 1) "
            f"WHERE {project} IN (SELECT project_id FROM bench_agr)"
        )
