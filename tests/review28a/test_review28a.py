"""Review 28a (a privacy officer with a penetration tester): a death recorded, a staff token's refusals, the
patient's accounting of disclosures. Each test fails on the code as reviewed, for the hole it names."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from keel.accounts import services as accounts
from keel.patients import services as patient_services
from keel.patients.models import local_today
from keel.patients.schemas import DischargeIn
from keel.sharing.models import Disclosure
from tests.conftest import World, sign_in
from tests.factories import methadone_with_qtc

pytestmark = pytest.mark.django_db


def _record_death(world: World, days_ago: int = 0) -> None:
    """The prescriber records Alice's death (her episode discharged, reason deceased) as the page does."""
    alice = world.alice
    ended = local_today(alice) - timedelta(days=days_ago)
    patient_services.discharge(
        by=world.staff["prescriber"],
        patient_id=alice.pk,
        data=DischargeIn.posted({"ended_on": ended.isoformat(), "reason": "deceased"}),
    )


def test_fhir_patient_says_the_person_is_alive_after_her_death(world: World) -> None:
    """H1. A prescriber records Alice's death. Her nurse (or a receiving program, an HIE, any FHIR client that
    reads the record) then reads `GET /fhir/R4/Patient/{id}`: the resource still says `"active": true` and
    carries no `deceasedBoolean` / `deceasedDateTime`, so every system fed from Keel's FHIR believes she is
    alive (and may keep messaging, billing or dosing her). Correct: after a death is recorded (the one
    `death_recorded`) the Patient resource says it (`deceasedDateTime` the death's date, or
    `deceasedBoolean: true`), and is no longer `active: true`."""
    _record_death(world)
    client = sign_in(Client(), world.staff["nurse"])
    answer = client.get(f"/fhir/R4/Patient/{world.alice.pk}")
    assert answer.status_code == 200
    resource = answer.json()
    assert resource.get("deceasedBoolean") is True or "deceasedDateTime" in resource, resource
    assert resource.get("active") is not True, resource


def test_staff_token_hears_a_conflict_for_a_malformed_amount(world: World) -> None:
    """H2. A dispensing system (the pump, a nurse's API token: `token_may_write`) posts a dose whose
    `amount_mg` is the text "abc" (a driver bug). It is told 409 "Not recorded: a check of the record refused
    it", as if the record had refused it, and retries or pages a nurse; the field is never named. The
    amount's shape says nothing of the record (the same "abc" is malformed for every person), and the house
    rule is "bad input is a 422 naming the field"; `on_fields_invalid`'s own docstring promises the body's
    shape is said whole to everyone. Correct: 422 naming `amount_mg` (the malformed text checked before the
    record is read, `FieldsInvalid.body_alone`), the same for a person with an order and one without."""
    methadone_with_qtc(world, None)
    secret = accounts.create_token(user=world.staff["nurse"], name="pump").secret
    client = Client()
    body = json.dumps({"sequence": 1, "amount_mg": "abc", "medication": "methadone"})
    answer = client.post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert answer.status_code == 422, answer.content
    assert [e["field"] for e in answer.json()["errors"]] == ["amount_mg"]


def _disclosed_by_nurse(world: World) -> Disclosure:
    """A disclosure of Alice's record at her own request, made by her nurse an hour ago (a row as the release
    service writes it)."""
    return Disclosure.objects.create(
        patient=world.alice,
        basis="patient_request",
        recipient_name="Dr. Outside Clinic",
        categories=["attendance"],
        description="Attendance",
        notice="42 CFR part 2 notice",
        document_sha256="0" * 64,
        disclosed_by=world.staff["nurse"],
        disclosed_at=timezone.now() - timedelta(hours=1),
    )


def test_accounting_names_the_role_the_staff_member_has_now_not_the_one_who_shared(world: World) -> None:
    """H3. Alice's nurse sends her record out at her request. Months later the nurse becomes the program's
    counselor (a role change, `staff.change_role`). Alice opens "Every time my record was shared" (`/me/
    sharing/`): the row now says "Shared by: A counselor". The accounting of disclosures (42 CFR 2.24) says
    something false about the disclosure, and it changes under her every time a staff member's role does.
    Correct: the row names the role the staff member had when the disclosure was made ("A nurse"), kept
    with the disclosure (or read from its audit row), never the account's current role."""
    _disclosed_by_nurse(world)
    nurse = world.staff["nurse"]
    nurse.role = "counselor"  # what `staff.change_role` stores
    nurse.save(update_fields=["role"])
    page = sign_in(Client(), world.alice.user).get("/me/sharing/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "A counselor" not in text
    assert "A nurse" in text


def test_accounting_shows_the_patient_her_nurses_full_name(world: World) -> None:
    """H4. Alice's nurse (full name on file: "Marisol Ibarra", as every invited staff member has) discloses
    Alice's record in an emergency or at her request. Alice's accounting page names her: "Marisol Ibarra
    (Nurse)". The brief of lane fix27b (review 27b H6) was that the patient's accounting names staff by role;
    42 CFR 2.24 / HIPAA 164.528 ask for the date, the recipient, what and why, never the staff member; and in
    an OUD program the name of the nurse who made an emergency disclosure (to police, to a hospital) handed to
    every patient is a staff-safety risk. Correct: the role alone ("A nurse"), as the page already says when
    no full name is on file; a patient who wants the name asks the program."""
    nurse = world.staff["nurse"]
    nurse.first_name, nurse.last_name = "Marisol", "Ibarra"
    nurse.save(update_fields=["first_name", "last_name"])
    _disclosed_by_nurse(world)
    page = sign_in(Client(), world.alice.user).get("/me/sharing/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ibarra" not in text
    assert "A nurse" in text


@pytest.mark.parametrize("relationship", ["health_care_agent", "guardian"])
def test_a_health_care_agent_signs_a_consent_for_a_dead_person(world: World, relationship: str) -> None:
    """H5. Alice dies; her death is recorded. A week later her former health-care agent (a health-care proxy,
    or an adult's guardian) brings a signed paper consent to send her SUD record to an employer's
    return-to-work program; her counselor enters it (`record_paper_consent`). Keel accepts it and the record
    may leave on it. A health-care agent's or guardian's authority ends at death: after a death only an
    executor, administrator or other personal representative consents (42 CFR 2.15(b)), which Keel's own
    `_representative` docstring says. Correct: after a death is recorded, a representative other than
    `personal_representative` is refused (422 naming `representative_relationship`), as the patient's own
    signature already is."""
    from keel.core.rules.inputs import FieldsInvalid
    from keel.sharing.services.consents import record_paper_consent

    _record_death(world)
    raw = {
        "signer": "representative",
        "representative_name": "Teodora Salinas",
        "representative_relationship": relationship,
        "representative_authority": "Health-care power of attorney signed before a notary",
        "recipient_name": "Harbor Logistics return-to-work office",
        "purpose": "employment",
        "categories": ["enrollment", "medication"],
        "expires_on": (local_today(world.alice) + timedelta(days=60)).isoformat(),
        "signature": "Teodora Salinas",
        "understood": True,
    }
    with pytest.raises(FieldsInvalid) as refused:
        record_paper_consent(by=world.staff["counselor"], patient_id=world.alice.pk, raw=raw)
    assert "representative_relationship" in [e.field for e in refused.value.errors]


def test_the_record_leaves_at_a_dead_persons_own_request(world: World) -> None:
    """H6. Alice dies; her death is recorded. A week later someone at the desk says "she wanted her records
    sent to me"; her nurse exports the whole record as a FHIR Bundle "at the patient's own request" (basis
    `patient_request`, 42 CFR 2.23, password again) and hands it over. Keel releases it and writes in the
    accounting that Alice herself received it on her own request: a Part 2 record out on a basis that cannot
    exist after her death (her right of access ended with it; after a death only a personal representative
    consents, 2.15(b)), and an accounting row that says something false. Correct: after a death is recorded
    the `patient_request` basis is refused (422 naming `basis`, audited); the record leaves only on a consent
    (a personal representative's)."""
    from tests.conftest import PASSWORD

    _record_death(world)
    client = sign_in(Client(), world.staff["nurse"])
    answer = client.post(
        f"/api/v1/patients/{world.alice.pk}/fhir/export",
        json.dumps({"basis": "patient_request", "password": PASSWORD}),
        content_type="application/json",
    )
    assert answer.status_code == 422, answer.content[:300]
    assert "basis" in [e["field"] for e in answer.json()["errors"]]
    assert not Disclosure.objects.filter(patient=world.alice).exists()


def test_accounting_leaves_out_a_disclosure_of_its_first_day_in_the_programs_zone(world: World) -> None:
    """H7. A program in Auckland (its time zone `Pacific/Auckland`; the server's `TIME_ZONE` is New York).
    Alice opens "Every time my record was shared": the page says "Since <day>" (3 years back, her program's
    day). A disclosure made at 09:00 Auckland time on that very day is not listed: the window's start is
    that day's midnight in the server's zone (`timezone.make_aware` in `sharing.queries._sharing`), not the
    program's, hours later in Auckland. The accounting (42 CFR 2.24, 164.528) leaves out a disclosure that
    its own words say it covers. Correct: the window starts at midnight of `since` in the program's zone;
    every disclosure from that local day on is listed."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from keel.accounts.models import Program
    from keel.core.sharing import accounting_since
    from keel.patients.models import Patient

    Program.objects.filter(pk=world.riverside.pk).update(time_zone="Pacific/Auckland")
    alice = Patient.objects.select_related("program").get(pk=world.alice.pk)
    since = accounting_since(local_today(alice))
    Disclosure.objects.create(
        patient=alice,
        basis="patient_request",
        recipient_name="Dr. Firstday Outside",
        categories=["attendance"],
        description="Attendance",
        notice="42 CFR part 2 notice",
        document_sha256="0" * 64,
        disclosed_by=world.staff["nurse"],
        disclosed_at=datetime.combine(since, time(9), tzinfo=ZoneInfo("Pacific/Auckland")),
    )
    page = sign_in(Client(), alice.user).get("/me/sharing/")
    assert page.status_code == 200
    assert "Dr. Firstday Outside" in page.content.decode()


def test_a_medical_emergency_disclosure_of_a_dead_person(world: World) -> None:
    """H8. Alice dies; her death is recorded. Two days later her nurse discloses her progress report "in a
    medical emergency" (42 CFR 2.51) to a hospital's emergency physician. Keel releases it. No medical
    emergency of a person can follow her recorded death: 2.51 lets a record out only to treat a bona fide
    medical emergency of the patient, so the basis cannot hold, and it bypasses the personal
    representative's consent that 2.15(b) requires after a death. Correct: after a death is recorded an
    emergency disclosure is refused (422 naming `basis`, audited); the record leaves only on a personal
    representative's consent."""
    from tests.conftest import PASSWORD

    _record_death(world)
    client = sign_in(Client(), world.staff["nurse"])
    answer = client.post(
        f"/api/v1/patients/{world.alice.pk}/disclosures",
        json.dumps(
            {
                "basis": "emergency",
                "categories": ["enrollment", "medication"],
                "recipient_name": "Dr. Renata Oyelaran",
                "recipient_role": "physician",
                "recipient_affiliation": "County General Hospital emergency department",
                "nature": "Unresponsive on arrival, suspected opioid overdose; needs current medication",
                "password": PASSWORD,
            }
        ),
        content_type="application/json",
    )
    assert answer.status_code == 422, answer.content[:300]
    assert not Disclosure.objects.filter(patient=world.alice).exists()
