"""Every user-facing string has a Spanish translation, and the catalog is current with the code."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib

import keel

PACKAGE = Path(keel.__file__).parent
CATALOG = PACKAGE / "locale" / "es" / "LC_MESSAGES" / "django.po"


def test_every_spanish_entry_is_translated_and_not_fuzzy() -> None:
    po = polib.pofile(str(CATALOG))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []
    assert "fuzzy" not in po.metadata_as_entry().flags
    assert po.metadata["Plural-Forms"].startswith("nplurals=2")


def test_placeholders_survive_translation() -> None:
    import re

    pattern = re.compile(r"%\(\w+\)s|<[^>]+>")
    for entry in polib.pofile(str(CATALOG)):
        if entry.msgid_plural:
            continue
        assert sorted(pattern.findall(entry.msgid)) == sorted(pattern.findall(entry.msgstr)), entry.msgid


def test_the_catalog_holds_every_string_in_the_code(tmp_path: Path) -> None:
    copy = tmp_path / "keel"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    (copy / "locale" / "es" / "LC_MESSAGES" / "django.po").unlink()
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "es", "--no-location"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            "DJANGO_SETTINGS_MODULE": "keel.settings",
            "PATH": "/usr/bin:/bin",
            "KEEL_DATA_DIR": str(tmp_path),
        },
    )
    extracted = {e.msgid for e in polib.pofile(str(copy / "locale" / "es" / "LC_MESSAGES" / "django.po"))}
    committed = {e.msgid for e in polib.pofile(str(CATALOG)) if not e.obsolete}
    assert len(extracted) > 50  # the extraction really ran
    missing = extracted - committed
    assert not missing, f"run `make messages` and translate: {sorted(missing)}"
