"""Review 13a: the typed bodies (DisclosureIn, SecondFactorResetIn, ResetCodeIn, ActivationCodeIn) publish
`additionalProperties: false` but their parsers ignored any other key. An integrator's misspelled field was
then silently dropped: on a disclosure, `"category": ["medication"]` (for `categories`) sent everything the
consent covers instead of the one section asked (42 CFR Part 2, minimum necessary). A JSON body (the API)
now refuses a key not among the fields, by name, as the core's `parse` does, still only after the access
checks; a page's form (which carries its CSRF token) is not held to it. Run on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from keel.audit.models import AuditEvent
from keel.patients.models import CareTeamMember, Patient
from keel.sharing.models import Disclosure
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db

RECIPIENT = "Dr. Ruth Example, Valley Primary Care"
CONSENT = {
    "recipient_name": RECIPIENT,
    "purpose": "treatment",
    "categories": ["medication", "screenings"],
    "expires_on": (date.today() + timedelta(days=200)).isoformat(),
    "signature": "Alicia Zamorano",
    "understood": True,
}


def _post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def _consent(world: World) -> int:
    response = _post(sign_in(Client(), world.alice.user), "/api/v1/me/consents", CONSENT)
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def _disclose(world: World, role: str = "nurse", **changes: Any) -> Any:
    body = {
        "basis": "consent",
        "consent": _consent(world),
        "password": PASSWORD,
        "recipient_name": RECIPIENT,
        "purpose": "treatment",
        **changes,
    }
    return _post(sign_in(Client(), world.staff[role]), f"/api/v1/patients/{world.alice.pk}/disclosures", body)


def _no_account(world: World) -> Patient:
    """A record on the nurse's care team with no account yet (an activation code's)."""
    p = Patient.objects.create(
        program=world.riverside,
        record_number="RV-9001",
        given_name="Nadia",
        family_name="Noaccount",
        date_of_birth=date(1990, 1, 1),
    )
    CareTeamMember.objects.create(patient=p, user=world.staff["nurse"])
    return p


def _fields(response: Any) -> list[str]:
    return [str(e["field"]).removeprefix("input.") for e in response.json().get("errors", [])]


def test_a_misspelled_categories_key_is_refused(world: World) -> None:
    response = _disclose(world, category=["medication"])
    assert response.status_code == 422, response.content


def test_a_misspelled_categories_key_is_named(world: World) -> None:
    assert _fields(_disclose(world, category=["medication"])) == ["category"]


def test_a_misspelled_categories_key_discloses_nothing(world: World) -> None:
    _disclose(world, category=["medication"])
    assert not Disclosure.objects.exists()


def test_the_categories_asked_still_narrow_what_leaves(world: World) -> None:
    response = _disclose(world, categories=["medication"])
    assert response.status_code == 201, response.content
    assert list(Disclosure.objects.get().categories) == ["medication"]


def test_no_categories_still_means_the_consents(world: World) -> None:
    response = _disclose(world)
    assert response.status_code == 201, response.content
    assert list(Disclosure.objects.get().categories) == ["medication", "screenings"]


def test_an_unknown_disclosure_key_is_said_in_the_requests_language(world: World) -> None:
    """Lane es21: the API's reasons follow the request's language as the pages do (this test kept the
    English reason for a Spanish request before); the field stays the key as sent."""
    nurse = sign_in(Client(), world.staff["nurse"])
    body = {
        "basis": "consent",
        "consent": _consent(world),
        "password": PASSWORD,
        "recipient_name": RECIPIENT,
        "purpose": "treatment",
        "category": ["medication"],
    }
    response = nurse.post(
        f"/api/v1/patients/{world.alice.pk}/disclosures",
        json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert [(e["field"], e["reason"]) for e in response.json()["errors"]] == [
        ("category", "no es un dato de esta regla")
    ]


def test_an_unknown_second_factor_reset_key_is_said_in_spanish(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    response = nurse.post(
        f"/api/v1/patients/{world.alice.pk}/second-factor/reset",
        json.dumps({"reason": "lost her phone", "identity_checked": True, "notify_patient": True}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert [e["reason"] for e in response.json()["errors"]] == ["no es un dato de esta regla"]


def test_a_caller_off_the_team_is_refused_before_the_unknown_reset_key(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    body = {"reason": "lost phone", "identity_checked": True, "notify_patient": True}
    response = _post(nurse, f"/api/v1/patients/{world.charlie.pk}/second-factor/reset", body)
    assert response.status_code == 404, response.content


def test_a_caller_who_may_not_disclose_is_refused_before_the_unknown_key(world: World) -> None:
    response = _disclose(world, role="peer_specialist", category=["medication"])
    assert response.status_code in (403, 404), response.content


def test_a_caller_who_may_not_disclose_is_audited_before_the_unknown_key(world: World) -> None:
    before = AuditEvent.objects.count()
    _disclose(world, role="peer_specialist", category=["medication"])
    assert AuditEvent.objects.filter(outcome="denied").count() >= 1 and AuditEvent.objects.count() > before


def test_the_page_disclosure_still_works_with_its_csrf_token(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    body = {
        "basis": "consent",
        "consent": str(_consent(world)),
        "password": PASSWORD,
        "recipient_name": RECIPIENT,
        "purpose": "treatment",
        "csrfmiddlewaretoken": "x",
    }
    response = nurse.post(f"/patients/{world.alice.pk}/sharing/disclose/", body)
    assert response.status_code == 200


def test_a_reset_code_body_with_another_key_is_refused_by_name(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    body = {"identity_checked": True, "send_by_text": True}  # no such option here: nothing is sent
    response = _post(nurse, f"/api/v1/patients/{world.alice.pk}/password-reset-code", body)
    assert (response.status_code, _fields(response)) == (422, ["send_by_text"])


def test_a_reset_code_body_with_only_its_field_still_gives_a_code(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    response = _post(
        nurse, f"/api/v1/patients/{world.alice.pk}/password-reset-code", {"identity_checked": True}
    )
    assert response.status_code == 201, response.content


def test_the_reset_code_page_still_works_with_its_csrf_token(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    response = nurse.post(
        f"/patients/{world.alice.pk}/password-reset-code/",
        {"identity_checked": "on", "csrfmiddlewaretoken": "x"},
    )
    assert response.status_code == 200, response.status_code


def test_a_second_factor_reset_with_another_key_is_refused_by_name(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    body = {"reason": "lost her phone", "identity_checked": True, "notify_patient": True}
    response = _post(nurse, f"/api/v1/patients/{world.alice.pk}/second-factor/reset", body)
    assert (response.status_code, _fields(response)) == (422, ["notify_patient"])


def test_an_activation_code_body_with_a_misspelled_option_is_refused(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    patient = _no_account(world)
    response = _post(nurse, f"/api/v1/patients/{patient.pk}/activation-code", {"send_by_sms": True})
    assert response.status_code == 422, response.content


def test_an_activation_code_body_with_a_misspelled_option_is_named(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    patient = _no_account(world)
    response = _post(nurse, f"/api/v1/patients/{patient.pk}/activation-code", {"send_by_sms": True})
    assert _fields(response) == ["send_by_sms"]


def test_a_caller_off_the_program_is_refused_before_the_unknown_activation_key(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    response = _post(nurse, f"/api/v1/patients/{world.charlie.pk}/activation-code", {"send_by_sms": True})
    assert response.status_code == 404, response.content


def test_a_peer_is_refused_before_the_unknown_activation_key(world: World) -> None:
    peer = sign_in(Client(), world.staff["peer_specialist"])
    patient = _no_account(world)
    CareTeamMember.objects.create(patient=patient, user=world.staff["peer_specialist"])
    response = _post(peer, f"/api/v1/patients/{patient.pk}/activation-code", {"send_by_sms": True})
    assert response.status_code in (403, 404), response.content


def test_an_activation_code_body_with_its_options_still_gives_a_code(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    patient = _no_account(world)
    response = _post(nurse, f"/api/v1/patients/{patient.pk}/activation-code", {"send_by_text": False})
    assert response.status_code == 201, response.content


def test_an_activation_code_without_a_body_still_gives_a_code(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    path = f"/api/v1/patients/{_no_account(world).pk}/activation-code"
    response = nurse.post(path, b"", content_type="application/json")
    assert response.status_code == 201, response.content


def test_an_unknown_key_is_named_with_the_other_bad_fields(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    body = {"identity_checked": False, "notify_patient": True}
    response = _post(nurse, f"/api/v1/patients/{world.alice.pk}/second-factor/reset", body)
    assert _fields(response) == ["notify_patient", "reason", "identity_checked"]
