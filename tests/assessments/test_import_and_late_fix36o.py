"""Lane fix36o (re-attack 36l): two regressions of this session's instrument changes.

Item 1: two different responses imported from another system (different identifiers) with the same answers and
the same `authored` are two results: the import path decides repeats by the sender's key alone, never by the
pages' "same answers within `SAME_FORM_WINDOW`" rule (which handed back the first result and broke the one
provenance per result: a 500).
Item 2: a result is a late entry when the time of scoring was typed or changed by the person and entered after
it; the bedside page's pre-filled time sent untouched is never late, however long the scoring took."""

from __future__ import annotations

from typing import Any

import pytest

from keel.assessments.models import Assessment
from keel.interop.models import ImportedResponse
from tests.conftest import World
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
