"""Lane es21 (item 2): a daily check-in has one name in Spanish, "registro diario", on every button, heading,
message and reminder. Before this, "Check in" was "Registrarme" and "Thank you for checking in" "Gracias por
registrarse": the words of signing up for an account, beside "Registro", "Registros" and "Registro diario"
for the same thing."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.test import Client

import keel
from tests.conftest import World, sign_in

CATALOG = Path(keel.__file__).parent / "locale" / "es" / "LC_MESSAGES" / "django.po"
CHECK_IN = re.compile(r"check(ed|ing)?[ -]in", re.I)
SIGN_UP = re.compile(r"registr(ar|arme|arse|ó|é)\b", re.I)
NAME = re.compile(r"registros? diarios?", re.I)


def _check_in_entries() -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(CATALOG)) if CHECK_IN.search(e.msgid) and not e.obsolete]


def test_there_are_check_in_entries() -> None:
    assert len(_check_in_entries()) > 20


@pytest.mark.parametrize("entry", _check_in_entries(), ids=lambda e: e.msgid[:40])
def test_each_check_in_entry_names_it_registro_diario(entry: polib.POEntry) -> None:
    assert NAME.search(entry.msgstr), entry.msgstr
    assert not SIGN_UP.search(entry.msgstr), entry.msgstr


@pytest.mark.django_db
def test_the_persons_pages_say_it_in_spanish(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    home = client.get("/me/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Hacer mi registro diario" in home
    checkin = client.get("/me/checkin/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Hacer mi registro diario" in checkin  # the title and the menu
    reminders = client.get("/me/reminders/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Hacer mi registro diario" in reminders  # what a reminder can be for
    for page in (home, checkin, reminders):
        assert not SIGN_UP.search(page)
