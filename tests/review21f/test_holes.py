"""Review 21f: the FHIR R4 API attacked as another system (an HIE, a payer, an EHR) holding a staff member's
API token, after review 20c's fixes (one token, one recipient; the consent before the id; HEAD; signed next
links; `_count=0`; the new MedicationDispense, QTc Observation, Condition id and consent period). Each test
is a hole found, expected to fail until it is fixed; its docstring says the scenario, what happened, what
should happen and how much it matters. Consents are made relative to the person's today."""

from __future__ import annotations

import json
import unicodedata
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from keel.accounts import services as accounts
from keel.patients.models import CareTeamMember, local_today
from keel.treatment.models import DoseRecord, MedicationOrder
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.orders import prescribe
from tests.factories import given_daily
from tests.review21f.conftest import FHIR, consent_for, everything_post, system_get, token_of

MISSING = 987_654  # no person has this id


def _bob_on_the_team(world: Any) -> None:
    """Bob is in the token holder's scope (on the prescriber's care team), with no consent of his."""
    CareTeamMember.objects.create(patient=world.bob, user=world.staff["prescriber"])


def _two_doses(world: Any) -> list[DoseRecord]:
    prescribe(by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="60")
    order = MedicationOrder.objects.filter(patient=world.alice).latest("id")
    today = local_today(world.alice, timezone.now())
    given_daily(world, order, [today - timedelta(days=2), today - timedelta(days=1)], 60)
    return list(DoseRecord.objects.filter(patient=world.alice).order_by("id"))


def test_search_by_token_tells_a_person_in_the_program_from_no_one(world: Any) -> None:
    """Scenario: an HIE holds the prescriber's token and a live consent of Alice's (Keel-Consent). It
    searches every type naming another person: Bob (in the program, on the prescriber's team, no consent of
    his), and an id no one has. What happened: Bob's id is a 422 ("Keel-Consent: no such consent for this
    patient"), the id no one has is a 404, for every searched type (and `Patient?_id=`), so the system
    learns which ids are patients of an opioid treatment program, whose existence is itself Part 2
    information; a read of `Patient/<Bob>` under the same consent is already the same 404 as a missing one.
    What should happen: one answer for both (the 404 of the read, or the 422 for both), learnt nothing about
    Bob before a consent of his. Severity: medium (Part 2: being a patient is the protected fact; any token
    of a program's clinician enumerates the program's ids)."""
    _bob_on_the_team(world)
    consent = consent_for(world.alice)
    secret = token_of(world.staff["prescriber"])
    differ = {}
    types = [
        "Observation",
        "Condition",
        "MedicationRequest",
        "MedicationAdministration",
        "MedicationDispense",
    ]
    types += ["QuestionnaireResponse", "Consent", "EpisodeOfCare", "Provenance"]
    searches = [f"{t}?patient=" for t in types] + ["Patient?_id="]
    for search in searches:
        bob = system_get(f"{search}{world.bob.pk}", secret, consent.pk).status_code
        nobody = system_get(f"{search}{MISSING}", secret, consent.pk).status_code
        if bob != nobody:
            differ[search] = (bob, nobody)
    assert not differ, f"(Bob in the program, no one) answered differently: {differ}"


def test_everything_by_token_tells_a_person_in_the_program_from_no_one(world: Any) -> None:
    """Scenario: the same HIE POSTs `Patient/<id>/$everything` with Alice's consent as its basis, for Bob (in
    the program, on the team, no consent) and for an id no one has. What happened: Bob is a 422 ("consent: no
    such consent for this patient"), no one is a 404: the person's existence in the program leaks before any
    consent of theirs is checked (the GET without a basis was fixed to one answer in review 20c; the POST was
    not). What should happen: the same answer for both. Severity: medium (Part 2: enumeration of a treatment
    program's patients by any staff token)."""
    _bob_on_the_team(world)
    consent = consent_for(world.alice)
    secret = token_of(world.staff["prescriber"])
    bob = everything_post(world.bob.pk, secret, consent, consent.recipient_name)
    nobody = everything_post(MISSING, secret, consent, consent.recipient_name)
    assert bob.status_code == nobody.status_code, (bob.status_code, nobody.status_code)


def test_a_consent_id_of_another_program_answers_unlike_one_that_does_not_exist(world: Any) -> None:
    """Scenario: a Riverside prescriber's token reads `Patient/<Alice>` naming in Keel-Consent the id of a
    consent Charlotte signed at Lakeside (another program), then an id no consent has. What happened: the
    Lakeside consent's id is a 404 (its patient looked up and found out of scope), the unused id is a 422
    ("no such consent"): a token of one program learns which consent ids exist in every program, and so how
    many consents other programs hold. What should happen: a consent outside the caller's scope is answered
    as one that does not exist (the 422), before its patient is looked up. Severity: low (ids and counts, no
    names)."""
    other_program = consent_for(world.charlie, "Lakeside Partner Clinic")
    secret = token_of(world.staff["prescriber"])
    foreign = system_get(f"Patient/{world.alice.pk}", secret, other_program.pk).status_code
    unused = system_get(f"Patient/{world.alice.pk}", secret, other_program.pk + 1000).status_code
    assert foreign == unused, (foreign, unused)


def test_a_voided_doses_free_text_reason_leaves_with_the_record(world: Any) -> None:
    """Scenario: the nurse voids one of Alice's doses because it was charted on the wrong person, and writes
    why (a reason of substance is required): "this was Roberto Quintanilla's 60 mg dose, MRN RR-0002". An
    HIE reads Alice's MedicationAdministration under her consent. What happened: the note's text is sent as
    typed (`note[].text` "Dose voided: ... Roberto Quintanilla's 60 mg dose, MRN RR-0002"), so Bob's name,
    record number and methadone dose go to a recipient only Alice consented to. What should happen: a staff
    member's free-text correction reason stays inside Keel (the status, the corrected amount, who and when
    may leave; the typed words may not), or at least never in a disclosure. Severity: high (another person's
    Part 2 record disclosed without their consent; void reasons name the other chart by their nature)."""
    dose = _two_doses(world)[0]
    amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=dose.pk,
        void=True,
        reason="Charted on the wrong person: this was Roberto Quintanilla's 60 mg dose, MRN RR-0002",
    )
    consent = consent_for(world.alice)
    response = system_get(
        f"MedicationAdministration/dose-{dose.pk}", token_of(world.staff["prescriber"]), consent.pk
    )
    assert response.status_code == 200
    sent = response.content.decode()
    assert "Quintanilla" not in sent and "RR-0002" not in sent, json.loads(sent).get("note")


def test_a_repeated_count_is_read_as_its_last_value_silently(world: Any) -> None:
    """Scenario: `Observation?patient=<Alice>&_count=500&_count=1` under Alice's consent (a proxy appending
    its own `_count`, or a client building the URL twice). What happened: 200 with `_count=1`, the last
    value, while `_count=1&_count=500` is a 400: which value counts depends on the order, and the other is
    dropped without a word. What should happen: a parameter given twice that takes one value is a 400 naming
    it, as `patient` and `subject` naming two people already are. Severity: low."""
    consent = consent_for(world.alice)
    response = system_get(
        f"Observation?patient={world.alice.pk}&_count=500&_count=1",
        token_of(world.staff["prescriber"]),
        consent.pk,
    )
    assert response.status_code == 400, response.status_code


def test_a_repeated_id_keeps_only_the_last(world: Any) -> None:
    """Scenario: Alice's own token searches `MedicationAdministration?_id=dose-<a>&_id=dose-<b>`. In FHIR
    repeated parameters are ANDed (a resource whose id is both: none). What happened: the first `_id` is
    dropped and dose b is returned (`request.GET["_id"]` reads the last). What should happen: no match
    (AND), or a 400 naming `_id`, never one of the two silently. Severity: low (inside the caller's own
    scope)."""
    first, second = _two_doses(world)
    secret = accounts.create_token(user=world.alice.user, name="my phone").secret
    response = Client().get(
        f"{FHIR}MedicationAdministration?_id=dose-{first.pk}&_id=dose-{second.pk}",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    found = (
        [e["resource"]["id"] for e in response.json().get("entry", [])] if response.status_code == 200 else []
    )
    assert response.status_code == 400 or not found, found


def test_head_on_everything_by_a_staff_token_is_not_405(world: Any) -> None:
    """Scenario: an HIE's token sends HEAD to `Patient/<Alice>/$everything`, bare and with a next link's
    `_page`. What happened: the bare HEAD is a 422 ("a record leaves only with a basis: POST it") and the one
    with `_page` a 400, while HEAD on a read or search by a staff token is the 405 review 20c made it.
    Nothing leaves, but the same method gets three answers, and the 422 invites a retry that cannot work. What
    should happen: HEAD by a staff token is 405 on every FHIR route that discloses. Severity: low."""
    consent = consent_for(world.alice)
    secret = token_of(world.staff["prescriber"])
    bare = system_get(f"Patient/{world.alice.pk}/$everything", secret, method="head").status_code
    paged = system_get(f"Patient/{world.alice.pk}/$everything?_page=x", secret, method="head").status_code
    read = system_get(f"Patient/{world.alice.pk}", secret, consent.pk, method="head").status_code
    assert (bare, paged, read) == (405, 405, 405)


def test_the_same_recipient_in_decomposed_unicode_is_another_recipient(world: Any) -> None:
    """Scenario: a token issued for "Clínica del Valle" (typed on one keyboard: é as one code point, NFC)
    reads Alice's record under her consent to "Clínica del Valle" entered on another (é as e + a combining
    accent, NFD): the same name, letter for letter, on screen. What happened: 403 "bound to another
    recipient" (`_same_recipient` folds case and spaces only), while the disclosure check itself
    (`core.sharing._words`) treats the two as one recipient. What should happen: names compared after
    Unicode normalization (NFC or NFKC), as the consent check does, so one organization is one recipient.
    Severity: low (a refusal, never a release to the wrong party; but a consented system is locked out)."""
    composed = unicodedata.normalize("NFC", "Clínica del Valle")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    consent = consent_for(world.alice, decomposed)
    secret = token_of(world.staff["prescriber"], recipient=composed)
    response = system_get(f"Patient/{world.alice.pk}", secret, consent.pk)
    assert response.status_code == 200, response.content[:300]
