"""A consent signed for the patient by a representative (42 CFR 2.14 minors, 2.15 patients who lack
capacity or died): named, with their relationship and the legal authority they act under, recorded on the
consent, shown on the sharing pages and in the FHIR Consent. Each missing element is named; a relationship
without standing for this patient is refused, on every route (the patient's own API, the care team's API
and page)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client

from keel.access.policy import areas_for_role
from keel.audit.models import AuditEvent
from keel.sharing import services
from keel.sharing.models import Consent
from tests.conftest import PASSWORD, World, sign_in
from tests.fhir_r4 import assert_valid_r4

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
CONSENT = {
    "recipient_name": "Valley Primary Care",
    "purpose": "treatment",
    "categories": ["medication"],
    "expires_on": "2027-05-31",
    "understood": True,
}
GUARDIAN = {
    **CONSENT,
    "signer": "representative",
    "representative_name": "Marta Zamorano",
    "representative_relationship": "guardian",
    "representative_authority": "Letters of guardianship, County Probate Court, case 2025-GD-0412",
    "signature": "Marta Zamorano",
}


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def _counselor(world: World) -> Client:
    return sign_in(Client(), world.staff["counselor"])


def _paper(world: World, body: dict[str, Any]) -> Any:
    return _post(_counselor(world), f"/api/v1/patients/{world.alice.pk}/consents", body)


def _fields(response: Any) -> list[str]:
    assert response.status_code == 422, response.content
    return [e["field"] for e in response.json()["errors"]]


def _minor(world: World) -> None:
    world.alice.date_of_birth = date(2010, 3, 1)  # 16 on NOW
    world.alice.save(update_fields=["date_of_birth"])


@time_machine.travel(NOW, tick=False)
def test_a_guardian_signs_for_an_adult_with_their_authority_recorded(world: World) -> None:
    response = _paper(world, GUARDIAN)
    assert response.status_code == 201, response.content
    consent = Consent.objects.get(pk=response.json()["id"])
    assert consent.representative_name == "Marta Zamorano"
    assert consent.representative_relationship == "guardian"
    assert consent.representative_authority == GUARDIAN["representative_authority"]
    assert consent.signature == "Marta Zamorano"


@time_machine.travel(NOW, tick=False)
def test_the_audit_row_names_the_relationship_never_the_representative(world: World) -> None:
    assert _paper(world, GUARDIAN).status_code == 201
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert event.detail == {"representative": "guardian"}
    assert "Marta" not in json.dumps(event.detail)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "missing", ["representative_name", "representative_relationship", "representative_authority"]
)
def test_a_representative_without_each_element_is_refused_naming_it(world: World, missing: str) -> None:
    assert missing in _fields(_paper(world, {**GUARDIAN, missing: ""}))
    assert not Consent.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_an_authority_of_blank_space_is_no_authority(world: World) -> None:
    assert _fields(_paper(world, {**GUARDIAN, "representative_authority": "   "})) == [
        "representative_authority"
    ]


@time_machine.travel(NOW, tick=False)
def test_an_unknown_relationship_is_refused(world: World) -> None:
    body = {**GUARDIAN, "representative_relationship": "friend"}
    assert _fields(_paper(world, body)) == ["representative_relationship"]


@time_machine.travel(NOW, tick=False)
def test_a_parent_cannot_sign_for_an_adult(world: World) -> None:
    body = {**GUARDIAN, "representative_relationship": "parent"}
    assert _fields(_paper(world, body)) == ["representative_relationship"]


@time_machine.travel(NOW, tick=False)
def test_the_representative_signs_with_their_own_name_not_the_patients(world: World) -> None:
    assert _fields(_paper(world, {**GUARDIAN, "signature": "Alicia Zamorano"})) == ["signature"]


@time_machine.travel(NOW, tick=False)
def test_representative_details_with_the_patient_as_signer_are_refused_never_dropped(world: World) -> None:
    body = {**GUARDIAN, "signer": "patient", "signature": "Alicia Zamorano"}
    assert _fields(_paper(world, body)) == ["signer"]


@time_machine.travel(NOW, tick=False)
def test_an_unknown_signer_is_refused(world: World) -> None:
    assert "signer" in _fields(_paper(world, {**GUARDIAN, "signer": "someone"}))


@time_machine.travel(NOW, tick=False)
def test_a_parent_signs_with_a_minor_and_the_minor_signs_too(world: World) -> None:
    _minor(world)
    body = {
        **GUARDIAN,
        "representative_relationship": "parent",
        "representative_authority": "State law requires a parent's consent for a patient under 18",
        "patient_signature": "Alicia Zamorano",
    }
    response = _paper(world, body)
    assert response.status_code == 201, response.content
    assert Consent.objects.get().patient_signature == "Alicia Zamorano"


@time_machine.travel(NOW, tick=False)
def test_a_parent_never_signs_instead_of_the_minor(world: World) -> None:
    _minor(world)
    body = {**GUARDIAN, "representative_relationship": "parent"}
    assert _fields(_paper(world, body)) == ["patient_signature"]


@time_machine.travel(NOW, tick=False)
def test_the_minors_signature_must_be_their_name(world: World) -> None:
    _minor(world)
    body = {**GUARDIAN, "patient_signature": "Someone Else"}
    assert _fields(_paper(world, body)) == ["patient_signature"]


@time_machine.travel(NOW, tick=False)
def test_a_health_care_agent_has_no_standing_for_a_minor(world: World) -> None:
    _minor(world)
    body = {
        **GUARDIAN,
        "representative_relationship": "health_care_agent",
        "patient_signature": "Alicia Zamorano",
    }
    assert _fields(_paper(world, body)) == ["representative_relationship"]


@time_machine.travel(NOW, tick=False)
def test_a_minor_still_signs_alone_where_state_law_allows(world: World) -> None:
    _minor(world)
    assert _paper(world, {**CONSENT, "signature": "Alicia Zamorano"}).status_code == 201


@time_machine.travel(NOW, tick=False)
def test_the_patients_own_route_holds_the_same_rules(world: World) -> None:
    patient = sign_in(Client(), world.alice.user)
    response = _post(patient, "/api/v1/me/consents", {**GUARDIAN, "representative_authority": ""})
    assert _fields(response) == ["representative_authority"]


def test_the_database_refuses_a_representative_without_authority(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.create(
            patient=world.alice,
            program=world.riverside,
            recipient_name="Valley Primary Care",
            purpose="treatment",
            categories=["medication"],
            expires_on=date(2027, 5, 31),
            signature="Marta Zamorano",
            form_version="keel-part2-consent-1",
            statements=[],
            signed_by=world.staff["counselor"],
            signed_at=NOW,
            representative_name="Marta Zamorano",
            representative_relationship="guardian",
        )


@time_machine.travel(NOW, tick=False)
def test_the_sharing_pages_and_the_api_show_who_signed(world: World) -> None:
    assert _paper(world, GUARDIAN).status_code == 201
    staff_page = _counselor(world).get(f"/patients/{world.alice.pk}/sharing/").content.decode()
    assert "Signed for the patient by Marta Zamorano (Legal guardian)." in staff_page
    assert "Letters of guardianship, County Probate Court, case 2025-GD-0412" in staff_page
    patient = sign_in(Client(), world.alice.user)
    assert "Signed for the patient by Marta Zamorano" in patient.get("/me/sharing/").content.decode()
    signed_by = patient.get("/api/v1/me/sharing").json()["consents"][0]["signed_by"]
    assert signed_by["signer"] == "representative"
    assert signed_by["representative_relationship"] == "guardian"


@time_machine.travel(NOW, tick=False)
def test_the_paper_form_records_a_representative(world: World) -> None:
    page = f"/patients/{world.alice.pk}/sharing/paper-consent/"
    form = {
        "recipient_name": "Valley Primary Care",
        "purpose": "treatment",
        "categories": ["medication"],
        "expires_on": "2027-05-31",
        "understood": "on",
        "signer": "representative",
        "representative_name": "Marta Zamorano",
        "representative_relationship": "health_care_agent",
        "representative_authority": "Health-care power of attorney dated 2025-02-03",
        "signature": "Marta Zamorano",
    }
    counselor = _counselor(world)
    refused = counselor.post(page, {**form, "representative_authority": ""})
    assert refused.status_code == 422
    assert (
        "<strong>Their legal authority (for example a court order or a health-care power of attorney, "
        "with its date)</strong>" in refused.content.decode()
    )
    assert counselor.post(page, form).status_code == 302
    assert Consent.objects.get().representative_relationship == "health_care_agent"


@time_machine.travel(NOW, tick=False)
def test_the_fhir_consent_names_the_representative_as_performer(world: World) -> None:
    assert _paper(world, GUARDIAN).status_code == 201
    response = _post(
        _counselor(world),
        f"/api/v1/patients/{world.alice.pk}/fhir/export",
        {"password": PASSWORD, "basis": "patient_request"},
    )
    assert response.status_code == 200, response.content[:300]
    bundle = response.json()
    consent = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Consent")
    assert consent["performer"] == [{"reference": "#representative", "display": "Marta Zamorano"}]
    related = consent["contained"][0]
    assert related["resourceType"] == "RelatedPerson"
    assert related["relationship"][0]["coding"][0]["code"] == "GUARD"
    assert "County Probate Court" in related["text"]["div"]
    assert_valid_r4(bundle)


@time_machine.travel(NOW, tick=False)
def test_a_minors_fhir_consent_has_both_signers(world: World) -> None:
    _minor(world)
    body = {**GUARDIAN, "representative_relationship": "parent", "patient_signature": "Alicia Zamorano"}
    assert _paper(world, body).status_code == 201
    from keel.interop.fhir.resources import consent as fhir_consent

    resource = fhir_consent(Consent.objects.get(), revoked_at=None, today=NOW.date(), zone=UTC)
    assert resource["performer"][1] == {"reference": f"Patient/{world.alice.pk}"}


# --- The progress report asks the one field-level policy (SECURITY.md T18) --------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_progress_report_shows_the_birth_date_only_to_roles_that_see_it(world: World) -> None:
    shown = services.report(world.alice, ("enrollment",), NOW, areas=areas_for_role("counselor"))
    hidden = services.report(world.alice, ("enrollment",), NOW, areas=areas_for_role("peer_specialist"))
    assert shown["patient"]["date_of_birth"] == "1990-05-17"
    assert hidden["patient"]["date_of_birth"] == ""


# --- The age of majority is program policy (42 CFR 2.14 defers to state law) ------------------------------


def _nineteen(world: World) -> None:
    world.alice.date_of_birth = date(2007, 6, 1)  # 19 on NOW
    world.alice.save(update_fields=["date_of_birth"])


PARENT = {
    **GUARDIAN,
    "representative_relationship": "parent",
    "representative_authority": "State law requires a parent's consent for a patient under 21",
    "patient_signature": "Alicia Zamorano",
}


@time_machine.travel(NOW, tick=False)
def test_at_the_default_age_of_majority_a_parent_has_no_standing_for_a_19_year_old(world: World) -> None:
    _nineteen(world)
    assert _fields(_paper(world, PARENT)) == ["representative_relationship"]


@time_machine.travel(NOW, tick=False)
def test_where_the_program_sets_21_a_19_year_old_is_a_minor(world: World, settings: Any) -> None:
    settings.KEEL_AGE_OF_MAJORITY = 21
    _nineteen(world)
    assert _paper(world, PARENT).status_code == 201


@time_machine.travel(NOW, tick=False)
def test_where_the_program_sets_21_the_19_year_old_signs_too(world: World, settings: Any) -> None:
    settings.KEEL_AGE_OF_MAJORITY = 21
    _nineteen(world)
    assert _fields(_paper(world, {**PARENT, "patient_signature": ""})) == ["patient_signature"]


def test_the_age_of_majority_has_a_floor_a_ceiling_and_a_source() -> None:
    from keel.core import sharing
    from keel.core.sources import SOURCES

    limit = sharing.age_of_majority_limit()
    assert (limit.floor, limit.ceiling) == (18, 21)
    assert "cfr-2-14-2024" in limit.why
    assert all(s in SOURCES for s in sharing.AGE_OF_MAJORITY_SOURCES)


@pytest.mark.parametrize("age", [17, 22])
def test_an_age_of_majority_outside_its_bounds_is_never_used(age: int) -> None:
    from keel.core import sharing

    with pytest.raises(ValueError, match="age_of_majority"):
        sharing.is_minor(date(2010, 1, 1), date(2026, 11, 25), age)


@pytest.mark.parametrize("value", ["17", "22", "nineteen"])
def test_a_deployment_setting_outside_the_bounds_stops_keel_naming_it(
    tmp_path: Any, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    env = {**__import__("os").environ, "KEEL_DATA_DIR": str(tmp_path), "KEEL_AGE_OF_MAJORITY": value}
    env.pop("KEEL_PRODUCTION", None)
    result = subprocess.run(
        [sys.executable, "-m", "keel.cli", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "KEEL_AGE_OF_MAJORITY" in result.stderr


# --- The patient's own online consent page -----------------------------------------------------------------

PAGE_FORM = {
    "recipient_name": "Valley Primary Care",
    "purpose": "treatment",
    "categories": ["medication"],
    "expires_on": "2027-05-31",
    "understood": "on",
    "signer": "representative",
    "representative_name": "Marta Zamorano",
    "representative_relationship": "guardian",
    "representative_authority": "Letters of guardianship, County Probate Court, case 2025-GD-0412",
    "signature": "Marta Zamorano",
}


@time_machine.travel(NOW, tick=False)
def test_the_patients_page_asks_who_signs(world: World) -> None:
    body = sign_in(Client(), world.alice.user).get("/me/sharing/new/").content.decode()
    assert 'name="signer" value="representative"' in body
    assert 'name="representative_authority"' in body


@time_machine.travel(NOW, tick=False)
def test_the_patients_page_records_a_representative(world: World) -> None:
    response = sign_in(Client(), world.alice.user).post("/me/sharing/new/", PAGE_FORM)
    assert response.status_code == 302, response.content[:500]
    assert Consent.objects.get().representative_authority == PAGE_FORM["representative_authority"]


@time_machine.travel(NOW, tick=False)
def test_the_patients_page_names_a_missing_authority(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    response = client.post("/me/sharing/new/", {**PAGE_FORM, "representative_authority": ""})
    assert response.status_code == 422
    assert 'id="representative_authority"' in response.content.decode()
    assert not Consent.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_patients_page_keeps_what_was_typed_after_a_refusal(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    response = client.post("/me/sharing/new/", {**PAGE_FORM, "representative_authority": ""})
    assert 'value="Marta Zamorano"' in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_patients_page_holds_a_parent_to_the_minors_signature(world: World) -> None:
    _minor(world)
    form = {
        **PAGE_FORM,
        "representative_relationship": "parent",
        "representative_authority": "State law requires a parent's consent for a patient under 18",
    }
    client = sign_in(Client(), world.alice.user)
    assert client.post("/me/sharing/new/", form).status_code == 422
    ok = client.post("/me/sharing/new/", {**form, "patient_signature": "Alicia Zamorano"})
    assert ok.status_code == 302
    assert Consent.objects.get().patient_signature == "Alicia Zamorano"


@time_machine.travel(NOW, tick=False)
def test_the_patients_page_in_spanish_asks_who_signs(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    body = client.get("/me/sharing/new/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Quién firma" in body
