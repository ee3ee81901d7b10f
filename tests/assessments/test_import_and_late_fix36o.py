"""Lane fix36o (re-attack 36l): two regressions of this session's instrument changes.

Item 1: two different responses imported from another system (different identifiers) with the same answers and
the same `authored` are two results: the import path decides repeats by the sender's key alone, never by the
pages' "same answers within `SAME_FORM_WINDOW`" rule (which handed back the first result and broke the one
provenance per result: a 500).
Item 2: a result is a late entry when the time of scoring was typed or changed by the person and entered after
it; the bedside page's pre-filled time sent untouched is never late, however long the scoring took."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from keel.assessments.models import Assessment
from keel.interop.models import ImportedResponse
from tests.conftest import World, sign_in
from tests.review34b._setup import post_qr, qr

pytestmark = pytest.mark.django_db


def _two_responses(world: World, signed_in: Any) -> tuple[int, int]:
    client = signed_in("nurse")
    one = qr(world, rid=None, identifier={"system": "https://court.example.org/ids", "value": "QR-1"})
    two = qr(world, rid=None, identifier={"system": "https://court.example.org/ids", "value": "QR-2"})
    return post_qr(client, world, one).status_code, post_qr(client, world, two).status_code


def test_two_different_responses_with_the_same_answers_are_both_filed(world: World, signed_in: Any) -> None:
    assert _two_responses(world, signed_in) == (201, 201)


def test_two_different_responses_with_the_same_answers_are_two_results(world: World, signed_in: Any) -> None:
    _two_responses(world, signed_in)
    assert Assessment.objects.filter(patient=world.alice, instrument="phq9").count() == 2


def test_each_of_two_different_responses_keeps_its_provenance(world: World, signed_in: Any) -> None:
    _two_responses(world, signed_in)
    keys = set(ImportedResponse.objects.values_list("sender_id", flat=True))
    assert keys == {"QR-1", "QR-2"}


NY = ZoneInfo("America/New_York")  # the world's program zone
COWS = {
    k: "1" for k in ("pulse", "sweating", "pupils", "aches", "nose_eyes", "gi_upset", "tremor", "yawning")
}
COWS |= {"restlessness": "1", "anxiety": "1", "gooseflesh": "0"}


def _form_fields(page: str) -> dict[str, str]:
    """What the bedside page sends untouched: its hidden fields and the time of scoring it pre-filled."""
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page))
    found = re.search(r'name="filled_at" value="([^"]*)"', page)
    assert found is not None
    return {**fields, "filled_at": found.group(1)}


def _bedside_cows(world: World, *, typed: str | None = None) -> Assessment:
    """The bedside page opened at 11:50 two days ago, its COWS saved at 12:00 (`typed`: the time changed)."""
    day = datetime.now(UTC).astimezone(NY).date() - timedelta(days=2)
    url = f"/patients/{world.alice.pk}/cows/"
    with time_machine.travel(datetime.combine(day, time(11, 50), tzinfo=NY), tick=False):
        nurse = sign_in(Client(), world.staff["nurse"])
        fields = _form_fields(nurse.get(url).content.decode())
    if typed is not None:
        fields["filled_at"] = f"{day.isoformat()}T{typed}"
    with time_machine.travel(datetime.combine(day, time(12, 0), tzinfo=NY), tick=False):
        assert nurse.post(url, {**COWS, **fields}).status_code == 302
    return Assessment.objects.get(patient=world.alice, instrument="cows")


def _page(world: World, path: str) -> str:
    return sign_in(Client(), world.staff["counselor"]).get(path).content.decode()


def test_the_pre_filled_time_sent_untouched_ten_minutes_later_is_not_late(world: World) -> None:
    assert _bedside_cows(world).entered_late is False


def test_the_pre_filled_time_sent_untouched_is_kept_as_the_time_of_scoring(world: World) -> None:
    row = _bedside_cows(world)
    assert row.filled_at.astimezone(NY).time() == time(11, 50)


def test_the_pre_filled_time_sent_untouched_is_not_marked_on_the_flowsheet(world: World) -> None:
    _bedside_cows(world)
    assert "late entry" not in _page(world, f"/patients/{world.alice.pk}/flowsheet/cows/")


def test_a_time_of_scoring_changed_at_the_bedside_and_entered_after_it_is_late(world: World) -> None:
    assert _bedside_cows(world, typed="07:00").entered_late is True


def test_an_imported_result_is_not_marked_late_on_the_flowsheet(world: World, signed_in: Any) -> None:
    assert post_qr(signed_in("nurse"), world, qr(world)).status_code == 201  # authored an hour ago
    assert "late entry" not in _page(world, f"/patients/{world.alice.pk}/flowsheet/phq9/")


def test_an_imported_result_is_not_marked_late_on_its_result(world: World, signed_in: Any) -> None:
    assert post_qr(signed_in("nurse"), world, qr(world)).status_code == 201
    row = Assessment.objects.get(patient=world.alice, instrument="phq9")
    assert "Late entry" not in _page(world, f"/patients/{world.alice.pk}/assessments/{row.pk}/")
