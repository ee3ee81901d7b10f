"""Lane fix38n item 3 (re38r finding 3): resolving a flag names the version of the flag as it was read (its
`version`: the count of its reasons, every note a correction adds raising it). The page carries it in a hidden
field (a post without it is refused); the API refuses a stale one (409 naming it, the flag left open), as a
stale correction is refused, and one not sent is not checked (as a correction's `correction_version`;
tests/review14a pins a note-only resolve through the API)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from keel.assessments.services import correct_assessment, correction_version, submit_assessment
from keel.patients.models import FlagKind, PatientFlag
from tests.conftest import sign_in
from tests.factories import pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def _phq9(item9: int) -> dict[str, int]:
    return {f"phq9_{i}": 1 for i in range(1, 9)} | {"phq9_9": item9}


def _flagged(world):
    screen, _ = submit_assessment(
        by=world.staff["nurse"], patient_id=world.alice.pk, instrument="phq9", answers=_phq9(1)
    )
    flag = PatientFlag.objects.get(kind=FlagKind.SUICIDE_RISK, source_type="assessment", source_id=screen.pk)
    return screen, flag


def _raise_item9(world, screen) -> None:
    correct_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        assessment_id=screen.pk,
        answers=_phq9(3),
        reason="Item 9 on the paper form was keyed wrong",
        read_version=correction_version(screen),
    )


def _post(world, flag, body: dict[str, object]):
    client = sign_in(Client(), world.staff["prescriber"])
    url = f"/api/v1/patients/{world.alice.pk}/flags/{flag.pk}/resolve"
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_flags_api_gives_each_flag_its_version(world):
    _screen, flag = _flagged(world)
    rows = sign_in(Client(), world.staff["prescriber"]).get(f"/api/v1/patients/{world.alice.pk}/flags").json()
    assert next(r for r in rows if r["id"] == flag.pk)["version"] == len(flag.reasons)


def _page_post(world, flag, body: dict[str, str]):
    client = sign_in(Client(), world.staff["prescriber"])
    return client.post(f"/patients/{world.alice.pk}/flags/{flag.pk}/resolve/", body, follow=True)


def test_a_resolve_on_the_page_without_a_version_leaves_the_flag_open(world):
    _screen, flag = _flagged(world)
    _page_post(world, flag, {"note": "Seen today"})
    flag.refresh_from_db()
    assert flag.resolved_at is None


def test_a_resolve_on_the_page_without_a_version_says_to_reload(world):
    _screen, flag = _flagged(world)
    assert "reload the flag" in _page_post(world, flag, {"note": "Seen today"}).content.decode()


def test_a_stale_resolve_through_the_api_names_the_version(world):
    screen, flag = _flagged(world)
    read = len(flag.reasons)
    _raise_item9(world, screen)
    body = _post(world, flag, {"note": "Seen today", "version": read}).json()
    assert [e["field"] for e in body["errors"]] == ["version"]


def test_a_resolve_through_the_api_with_the_version_read_resolves(world):
    _screen, flag = _flagged(world)
    assert _post(world, flag, {"note": "Seen today", "version": len(flag.reasons)}).status_code == 200


def test_a_resolve_through_the_api_from_a_read_before_a_correction_is_409(world):
    screen, flag = _flagged(world)
    read = len(flag.reasons)
    _raise_item9(world, screen)
    assert _post(world, flag, {"note": "Seen today", "version": read}).status_code == 409


def test_a_stale_resolve_through_the_api_leaves_the_flag_open(world):
    screen, flag = _flagged(world)
    read = len(flag.reasons)
    _raise_item9(world, screen)
    _post(world, flag, {"note": "Seen today", "version": read})
    flag.refresh_from_db()
    assert flag.resolved_at is None


def test_a_stale_resolve_on_the_page_says_the_flag_changed(world):
    screen, flag = _flagged(world)
    read = len(flag.reasons)
    _raise_item9(world, screen)
    page = _page_post(world, flag, {"note": "Seen today", "version": str(read)}).content.decode()
    assert "changed since you opened" in page
