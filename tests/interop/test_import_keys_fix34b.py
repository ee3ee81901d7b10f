"""Lane fix34b (review 34b H1-H6): the ways ordinary input could walk around the fixes. The sender's key is
its `identifier` (system + value) or `meta.source` without its #fragment + `id`, and a resend carrying both
finds a filing made under either (also rows kept before the fix: a system with its fragment, `authored`
with its spaces); a response with no key is found at the time Keel filed it, and withdrawn it is 409; a
response is filed once per program: the second program files its own copy and is told nothing of the first."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from keel.assessments.models import Assessment
from keel.interop.models import ImportedResponse
from keel.patients.models import CareTeamMember
from tests.conftest import World, _make_patient, sign_in
from tests.review34b._setup import COURT, filed, post_qr, qr

pytestmark = pytest.mark.django_db
IDENT = {"system": "https://court.example.org/ids/questionnaire-response", "value": "DC-QR-2041"}
HIGH = [3, 3, 3, 3, 3, 3, 3, 3, 2]


def _when(minutes: int) -> str:
    return (timezone.now() + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_stored_key_and_provenance_carry_no_request_id(world: World, signed_in: Any) -> None:
    answer = post_qr(signed_in("nurse"), world, qr(world, source=f"{COURT}#a1b2c3"))
    assert answer.status_code == 201
    row = ImportedResponse.objects.get()
    assert (row.sender_system, row.sender_id, row.program_id) == (COURT, "qr-1", world.riverside.pk)
    assert "a1b2c3" not in answer.content.decode()


def test_a_row_kept_with_its_fragment_before_the_fix_is_found(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    when = _when(-60)
    assert post_qr(client, world, qr(world, authored=when)).status_code == 201
    ImportedResponse.objects.update(sender_system=f"{COURT}#old-request")
    assert post_qr(client, world, qr(world, authored=when, source=f"{COURT}#new-request")).status_code == 200
    assert post_qr(client, world, qr(world, answers=HIGH, status="amended")).status_code == 409
    assert filed(world) == 1


def test_filed_by_id_alone_then_resent_with_an_identifier_too(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    when = _when(-60)
    assert post_qr(client, world, qr(world, rid="8817", authored=when)).status_code == 201
    assert post_qr(client, world, qr(world, rid="8817", authored=when, identifier=IDENT)).status_code == 200
    amended = qr(world, rid="8817", identifier=IDENT, answers=HIGH, status="amended")
    assert post_qr(client, world, amended).status_code == 409
    assert filed(world) == 1


def test_filed_by_identifier_then_amended_under_a_new_server_id(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    assert post_qr(client, world, qr(world, rid=None, identifier=IDENT)).status_code == 201
    row = ImportedResponse.objects.get()
    assert (row.sender_system, row.sender_id) == (IDENT["system"], IDENT["value"])
    amended = qr(world, rid="9902", identifier=IDENT, answers=HIGH, status="amended")
    answer = post_qr(client, world, amended)
    assert (answer.status_code, "identifier" in answer.content.decode()) == (409, True)
    assert filed(world) == 1


def test_a_withdrawal_without_id_after_the_clinic_corrected_it_is_still_409(
    world: World, signed_in: Any
) -> None:
    from keel.assessments.services import correct_assessment

    client = signed_in("nurse")
    when = _when(-60)
    assert post_qr(client, world, qr(world, rid=None, source=None, authored=when)).status_code == 201
    correct_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        assessment_id=Assessment.objects.get().pk,
        entered_in_error=True,
        reason="filed against the wrong visit",
    )
    withdrawn = qr(world, rid=None, source=None, authored=when, status="entered-in-error")
    assert post_qr(client, world, withdrawn).status_code == 409
    assert filed(world) == 1


def test_a_withdrawal_without_id_of_nothing_filed_is_refused_naming_status(
    world: World, signed_in: Any
) -> None:
    answer = post_qr(signed_in("nurse"), world, qr(world, rid=None, source=None, status="entered-in-error"))
    assert answer.status_code == 422
    assert "status" in answer.content.decode()
    assert filed(world) == 0


def test_no_id_two_responses_a_minute_apart_are_both_filed(world: World, signed_in: Any) -> None:
    """The leeway looks back for a clamped filing; it never makes two moments one."""
    client = signed_in("nurse")
    first, second = _when(-30), _when(-29)
    assert post_qr(client, world, qr(world, rid=None, source=None, authored=first)).status_code == 201
    assert post_qr(client, world, qr(world, rid=None, source=None, authored=second)).status_code == 201
    assert post_qr(client, world, qr(world, rid=None, source=None, authored=second)).status_code == 200
    assert filed(world) == 2


def test_no_id_a_date_alone_resent_is_the_same(world: World, signed_in: Any) -> None:
    from keel.patients.models import local_today

    day = (local_today(world.alice) - timedelta(days=2)).isoformat()
    client = signed_in("nurse")
    assert post_qr(client, world, qr(world, rid=None, source=None, authored=day)).status_code == 201
    assert post_qr(client, world, qr(world, rid=None, source=None, authored=f" {day}\n")).status_code == 200
    assert filed(world) == 1


def test_authored_is_kept_stripped_and_a_row_kept_unstripped_still_matches(
    world: World, signed_in: Any
) -> None:
    client = signed_in("nurse")
    when = _when(-60)
    assert post_qr(client, world, qr(world, authored=f"{when}\n")).status_code == 201
    assert ImportedResponse.objects.get().authored == when
    ImportedResponse.objects.update(authored=f"\t{when}\n")  # as kept before review 34b H6
    assert post_qr(client, world, qr(world, authored=when)).status_code == 200
    assert filed(world) == 1


def _at_lakeside(world: World) -> tuple[Any, Client]:
    there = _make_patient(world.lakeside, "LH-0002", "Alicia", "Zamorano", "alicia-lakeside")
    CareTeamMember.objects.create(patient=there, user=world.lakeside_nurse)
    return there, sign_in(Client(), world.lakeside_nurse)


def _by_name(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    contained = [
        {"resourceType": "Patient", "id": "p", "name": [{"family": "Zamorano", "given": ["Alicia"]}]}
    ]
    contained[0]["birthDate"] = "1990-05-17"
    return {**doc, "contained": contained, "subject": {"reference": "#p"}, **changes}


def _post(client: Client, patient: Any, doc: Any) -> Any:
    return client.post(
        f"/api/v1/patients/{patient.pk}/fhir/questionnaire-responses",
        json.dumps(doc),
        content_type="application/fhir+json",
    )


def test_each_program_files_its_copy_once_and_hears_only_of_its_own(world: World, signed_in: Any) -> None:
    sent = _by_name(qr(world, identifier=IDENT))
    riverside = signed_in("nurse")
    assert post_qr(riverside, world, sent).status_code == 201
    there, lakeside = _at_lakeside(world)
    amended = _by_name(qr(world, identifier=IDENT, answers=HIGH), status="amended")
    first_there = _post(lakeside, there, amended)  # her first filing at Lakeside: its own (the new answers)
    assert first_there.status_code == 201
    assert _post(lakeside, there, amended).status_code == 200
    assert _post(lakeside, there, sent).status_code == 409  # other than Lakeside's own copy
    assert post_qr(riverside, world, sent).status_code == 200
    rows = ImportedResponse.objects.order_by("pk")
    assert [r.program_id for r in rows] == [world.riverside.pk, world.lakeside.pk]
    assert (
        Assessment.objects.get(patient=there).answers != Assessment.objects.get(patient=world.alice).answers
    )


def test_the_database_holds_once_per_program_not_across(world: World, signed_in: Any) -> None:
    assert post_qr(signed_in("nurse"), world, qr(world)).status_code == 201
    first = ImportedResponse.objects.get()
    there, _client = _at_lakeside(world)

    def copy_for(patient: Any) -> None:
        a = Assessment.objects.get(pk=first.assessment_id)
        a.pk = None
        a.patient = patient
        a.save()
        row = ImportedResponse.objects.get(pk=first.pk)
        left = {"id", "program_id", "assessment_id"}
        fields = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
        fields = {k: v for k, v in fields.items() if k not in left}
        ImportedResponse.objects.create(assessment=a, **fields)  # the program: set when the row is made

    copy_for(there)  # Lakeside's copy: its program is its assessment's patient's
    assert ImportedResponse.objects.filter(program=world.lakeside).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_for(world.bob)  # a second row in Riverside
