"""What held in review 33d (each passes): a resend is filed once, whatever the offset it is written in; a time
without a zone is refused by name; the FHIR endpoint's writes and bad `_count` are OperationOutcomes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import World, sign_in
from tests.review33d._setup import post_qr, qr


def test_a_resend_in_another_offset_answers_with_the_first(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    at = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    first = post_qr(nurse, world, qr(world, authored=at.isoformat())).json()
    offset = at.astimezone(timezone.get_fixed_timezone(-300)).isoformat()
    again = post_qr(nurse, world, qr(world, authored=offset)).json()
    assert again["id"] == first["id"]


def test_a_time_without_a_zone_is_refused_naming_authored(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    naive = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    sent = post_qr(nurse, world, qr(world, authored=naive))
    assert [e["field"] for e in sent.json()["errors"]] == ["authored"]


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_a_write_on_fhir_is_a_405_operation_outcome(world: World, method: str) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    sent = getattr(nurse, method)(
        "/fhir/R4/QuestionnaireResponse/assessment-1", "{}", content_type="application/fhir+json"
    )
    assert (sent.status_code, sent.json()["resourceType"]) == (405, "OperationOutcome")


@pytest.mark.parametrize("count", ["-1", "201", "100000"])
def test_a_count_out_of_range_is_a_400_naming_it(world: World, count: str) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    sent = nurse.get(f"/fhir/R4/QuestionnaireResponse?patient={world.alice.pk}&_count={count}")
    assert sent.json()["issue"][0]["expression"] == ["_count"]
