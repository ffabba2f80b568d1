"""``manage.py seed_demo``: load (or top up) the demo world. Idempotent: running it twice changes nothing.

Transactions: the partnerships seeder writes through the public services, each its own outermost (durable)
transaction, and tells each agreement's story in one transaction (``demo.engine.joint_work``); the activities and
assessments seeders, bulk ORM writes batched on purpose, run each in one transaction here. Every step is keyed on
natural keys and commits whole, so a re-run after an interruption completes what the interrupted run left.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo.engine import activities, assessments, checkins, partnerships
from demo.engine.context import DemoContext
from portal.sweep import sweep_requests_held

# (story, seed function) in the order they run: each builds on what the previous ones made. The partnerships seeder
# calls the services, whose transactions are durable: it must run outside any atomic block.
SEEDERS = (
    ("partnerships", partnerships.seed),
    ("activities", transaction.atomic(activities.seed)),
    ("check-ins", transaction.atomic(checkins.seed)),
    ("assessments", transaction.atomic(assessments.seed)),
)


class Command(BaseCommand):
    help = "Create the demo organizations, roster and users (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-passwords",
            action="store_true",
            help="Create demo users without usable passwords (the only mode allowed when DEBUG is off).",
        )
        parser.add_argument(
            "--upto",
            metavar="APP",
            help="Seed the apps in order up to and including APP (e.g. partnerships); later apps are left out.",
        )

    def handle(self, *args, **options):
        create_passwords = not options["no_passwords"]
        if create_passwords and not settings.DEBUG:
            raise CommandError(
                "Refusing to create demo users with the known password while DEBUG is off. "
                "Run with DEBUG=true, or pass --no-passwords."
            )
        ctx = DemoContext(stdout=self.stdout, style=self.style, create_passwords=create_passwords)
        found = list(SEEDERS)
        if options["upto"]:
            labels = [label for label, _seed in found]
            if options["upto"] not in labels:
                raise CommandError(f"--upto: no demo seeder for {options['upto']!r}; choose from {', '.join(labels)}.")
            found = found[: labels.index(options["upto"]) + 1]
        # The stories' notices ask for one sweep at the end, not one each (hundreds of tasks for the worker).
        with sweep_requests_held():
            for number, (label, seed) in enumerate(found, start=1):
                self.stdout.write(self.style.MIGRATE_HEADING(f"[{number}/{len(found)}] {label}"))
                seed(ctx)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
