"""``manage.py compiletranslations``: build .mo files from locale/*/LC_MESSAGES/*.po with polib.

Django's compilemessages needs GNU gettext; a fresh machine may lack it, so the build uses this instead.
Only rebuilds a catalogue whose .po is newer than its .mo.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile .po translation catalogues to .mo without GNU gettext."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Rebuild even when the .mo is up to date.")

    def handle(self, *args, **options):
        compiled = 0
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if not options["force"] and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                try:
                    catalogue = polib.pofile(str(po_path))
                except (OSError, ValueError) as exc:
                    raise CommandError(f"{po_path}: {exc}") from exc
                catalogue.save_as_mofile(str(mo_path))
                compiled += 1
                self.stdout.write(
                    f"compiled {po_path.relative_to(settings.BASE_DIR)} ({catalogue.percent_translated()}%)"
                )
        if not compiled:
            self.stdout.write("translations up to date")
