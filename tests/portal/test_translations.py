"""Every user-facing string is translated to Chinese, and the catalogue matches the source."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
SOURCES = [
    "portal",
    "partnerships",
    "activities",
    "assessments",
    "archive",
    "api",
    "demo",
    "templates",
    "manage.py",
    "locale",
]


def test_the_catalogue_is_complete():
    catalogue = polib.pofile(str(PO))
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not untranslated and not fuzzy, {"untranslated": untranslated, "fuzzy": fuzzy}


def test_each_message_is_defined_once():
    """Entries appended by parallel work can define one message twice (msgfmt refuses that; a lenient compiler
    silently keeps one of the two translations): a message used with two meanings gets a context instead."""
    seen: dict[tuple, int] = {}
    for entry in polib.pofile(str(PO)):
        key = (entry.msgctxt, entry.msgid)
        seen[key] = seen.get(key, 0) + 1
    assert not [key for key, count in seen.items() if count > 1]


def test_placeholders_survive_translation():
    import re

    pattern = re.compile(r"%\(\w+\)s|\{\{ ?\w+ ?\}\}")
    for entry in polib.pofile(str(PO)):
        translations = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        for text in translations:
            assert sorted(pattern.findall(entry.msgid)) == sorted(pattern.findall(text)), entry.msgid


def test_no_string_in_the_source_is_missing_from_the_catalogue(tmp_path):
    """Run makemessages on a copy of the source; it must find nothing the catalogue lacks."""
    require(shutil.which("xgettext") is not None, "GNU gettext (xgettext) is needed to extract messages")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy(source, tmp_path / name)
    shutil.copytree(ROOT / "tests", tmp_path / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location", "-i", "tests/*"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin:/usr/local/bin",
            "DEBUG": "true",
            "DATA_DIR": str(tmp_path / "data"),
            "PYTHONPATH": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr
    fresh = polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in fresh if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert not missing, f"translate these in locale/zh_Hans/LC_MESSAGES/django.po: {missing}"
