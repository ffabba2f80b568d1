"""``manage.py refresh_stored``: recompute the values the pages read instead of recomputing them per request, after
data was changed outside the services (a shell, ``psql``, a restored table).

Two kinds are stored (every service that writes their sources rewrites them; this command is the repair for a write
that did not go through one):

* each key project's summary of its milestones (``has_milestones``, ``reached_delay``, ``open_from``: the committee's
  schedule panel and the project list's 进度 filter), from ``activities.selectors.business.schedule_fields``;
* each quarterly result's total and its dashboard / review-queue subtotals (points by category, overdue items,
  manual scores missing), from its indicator scores.

Only what differs is written, so a second run changes nothing. ``--year``/``--quarter`` limit the results to one
quarter (projects are always all checked: a few thousand rows). A progress line per step on stderr.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from activities.services.business import project_schedules_refresh
from assessments.models import QuarterRollup
from assessments.services.rollup_totals import results_repair


class Command(BaseCommand):
    help = "Recompute the stored project schedules and result totals/subtotals from their sources; writes what differs."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="Only the results of this year (with --quarter).")
        parser.add_argument("--quarter", type=int, choices=[1, 2, 3, 4], help="Only the results of this quarter.")

    def handle(self, *args, **options):
        year, quarter = options["year"], options["quarter"]
        if (year is None) != (quarter is None):
            raise CommandError("Give --year and --quarter together, or neither.")
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            self.stderr.write(f"\r  key projects {done:,}/{total:,}", ending="")

        projects = project_schedules_refresh(progress=progress)
        self.stderr.write("")
        self.stdout.write(f"Key projects: {projects:,} schedule summaries rewritten.")

        quarters = QuarterRollup.objects.order_by("year", "quarter").values_list("year", "quarter").distinct()
        if year is not None:
            quarters = quarters.filter(year=year, quarter=quarter)
        quarters = list(quarters)
        totals = subtotals = 0
        for index, (y, q) in enumerate(quarters, start=1):
            with transaction.atomic():
                changed = results_repair(QuarterRollup.objects.filter(year=y, quarter=q))
            totals, subtotals = totals + changed[0], subtotals + changed[1]
            self.stderr.write(f"\r  results {y}Q{q} ({index}/{len(quarters)})", ending="")
        if quarters:
            self.stderr.write("")
        self.stdout.write(
            f"Results of {len(quarters)} quarter(s): {totals:,} totals and {subtotals:,} subtotal rows rewritten "
            f"({time.perf_counter() - started:.1f}s)."
        )
