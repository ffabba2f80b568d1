"""``manage.py seed_scale``: a large synthetic dataset for the rollup benchmark (bench/rollup_bench.py), built by
``demo.engine.scale.Seeder``. Refuses to run when the database holds anything but bench data (unless ``--force``), or
bench data already.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from assessments import metrics
from demo.engine.scale import Seeder, bench_root, non_bench_organizations


class Command(BaseCommand):
    help = "Seed a large synthetic quarter of records under a bench committee, for the rollup benchmark."

    def add_arguments(self, parser):
        default_year, default_quarter = metrics.previous_quarter(*metrics.current_quarter())
        parser.add_argument("--orgs", type=int, default=1000, help="Branches (and as many agreements). Default 1000.")
        parser.add_argument("--activities", type=int, default=100_000, help="Activities. Default 100000.")
        parser.add_argument("--items", type=int, help="Action items (default: activities / 10).")
        parser.add_argument("--zone-checks", type=int, help="Zone checks (default: activities / 10).")
        parser.add_argument("--members-per-org", type=int, default=20, help="Roster members per branch (20).")
        parser.add_argument("--year", type=int, default=default_year)
        parser.add_argument("--quarter", type=int, default=default_quarter, choices=[1, 2, 3, 4])
        parser.add_argument("--chunk", type=int, default=100_000, help="Rows per INSERT … SELECT (progress step).")
        parser.add_argument("--no-progress", action="store_true", help="No progress line on stderr.")
        parser.add_argument("--force", action="store_true", help="Seed even if the database holds other data.")

    def handle(self, *args, **options):
        if options["orgs"] < 1 or options["activities"] < 0:
            raise CommandError("--orgs must be at least 1 and --activities not negative.")
        if bench_root() is not None:
            raise CommandError("Bench data is already present: seed a fresh database (bench/rollup_bench.py does).")
        others = non_bench_organizations()
        if others and not options["force"]:
            raise CommandError(
                f"This database holds {others} organizations that are not bench data; refusing to add a large "
                "synthetic dataset to it. Use a separate database, or pass --force."
            )
        activities = options["activities"]
        seeder = Seeder(
            year=options["year"],
            quarter=options["quarter"],
            chunk=max(options["chunk"], 1),
            progress=not options["no_progress"],
            stderr=self.stderr,
        )
        started = time.perf_counter()
        counts = seeder.run(
            orgs=options["orgs"],
            activities=activities,
            items=activities // 10 if options["items"] is None else options["items"],
            zone_checks=activities // 10 if options["zone_checks"] is None else options["zone_checks"],
            members_per_org=options["members_per_org"],
        )
        summary = ", ".join(f"{label} {count:,}" for label, count in counts.items())
        self.stdout.write(
            f"Seeded {options['year']}Q{options['quarter']} in {time.perf_counter() - started:.1f}s: {summary}"
        )
