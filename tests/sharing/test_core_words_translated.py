"""Every text the core stores with a consent is marked at its source and has a Spanish translation (#17).

`keel.core.sharing` keeps the English texts a consent stores (its categories, purposes, statements, notice,
representatives' relationships, an emergency recipient's medical roles) and marks them with `N_`; `keel
makemessages` reads that keyword. A new core text without a catalogue entry fails here."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.core.management import get_commands

from keel.core import sharing as core

SRC = Path(core.__file__).resolve().parents[1]
PO = SRC / "locale" / "es" / "LC_MESSAGES" / "django.po"

STORED = sorted(
    {
        *core.CONSENT_CATEGORIES.values(),
        *core.PURPOSES.values(),
        *core.STATEMENTS,
        core.NOTICE,
        *core.REPRESENTATIVES.values(),
        *core.MEDICAL_ROLES.values(),
    }
)


def _catalogue() -> dict[str, polib.POEntry]:
    return {e.msgid: e for e in polib.pofile(str(PO)) if not e.obsolete}


@pytest.mark.parametrize("text", STORED)
def test_each_core_consent_text_has_a_catalogue_entry(text: str) -> None:
    assert text in _catalogue()


@pytest.mark.parametrize("text", STORED)
def test_each_core_consent_text_has_a_spanish_translation(text: str) -> None:
    entry = _catalogue().get(text)
    assert entry is not None
    assert entry.msgstr.strip()


@pytest.mark.parametrize("text", STORED)
def test_no_core_consent_text_is_fuzzy(text: str) -> None:
    entry = _catalogue().get(text)
    assert entry is not None
    assert "fuzzy" not in entry.flags


def test_keel_makemessages_reads_the_core_keyword() -> None:
    from keel.web.management.commands.makemessages import Command

    assert get_commands()["makemessages"] == "keel.web"
    assert "--keyword=N_" in Command.xgettext_options


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="xgettext (gettext) is not installed")
def test_every_stored_text_is_marked_at_its_source() -> None:
    from keel.web.management.commands.makemessages import Command

    found = subprocess.run(
        [
            "xgettext",
            "--language=Python",
            "--keyword=gettext_noop",
            *Command.xgettext_options,
            "--output=-",
            str(SRC / "core" / "sharing.py"),
            str(SRC / "core" / "emergency_words.py"),  # the medical roles' source since issue #17 (emg27)
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    extracted = {e.msgid for e in polib.pofile(found)}
    assert [t for t in STORED if t not in extracted] == []
