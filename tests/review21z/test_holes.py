"""Review 21z: attacks on session 21's FHIR fixes (review 21f's holes closed in 345b846), as a healthcare
integration engineer. Each test is a hole found, expected to fail until it is fixed; what held is in the
lane's report. Deterministic: consents expire relative to today, no fixed dates."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.accounts import services as accounts
from keel.audit.models import Action, AuditEvent
from keel.core import sharing as core_sharing
from keel.core.rules.inputs import InvalidInput
from keel.sharing.models import Consent, Disclosure
from tests.conftest import World

pytestmark = pytest.mark.django_db

FHIR = "/fhir/R4/"


def _consent(world: World, patient: Any, recipient: str) -> Consent:
    """A live consent of `patient` (signed on paper, entered by the nurse on the team) for `recipient`, for
    treatment, covering the whole record, expiring in 90 days."""
    now = timezone.now()
    return Consent.objects.create(
        patient=patient,
        program_id=patient.program_id,
        recipient_name=recipient,
        purpose="treatment",
        purpose_text="",
        categories=[core_sharing.RECORD],
        expires_on=(now + timedelta(days=90)).date(),
        signature=f"{patient.given_name} {patient.family_name}",
        form_version=core_sharing.FORM_VERSION,
        statements=[],
        signed_by=world.staff["nurse"],
        signed_at=now,
        on_paper=True,
    )


def _token(world: World, recipient: str = "") -> str:
    return accounts.create_token(user=world.staff["nurse"], name="system", recipient_name=recipient).secret


# --- core.sharing.same_name: two different recipients compare equal ----------------------------------------


def test_same_name_strips_marks_that_make_another_letter() -> None:
    """Scenario: the one recipient comparison (`core.sharing.same_name`, used by the consent check and by the
    token's binding) is given two different organisations whose names differ only by a mark that makes
    another letter in their script: Japanese dakuten (ば/は: 'ばら病院' Rose Hospital, 'はら病院' Hara
    Hospital; 'ビル診療所' / 'ヒル診療所'), Russian й/и ('Клиника Мой' / 'Клиника Мои'), Hebrew shin/sin dots.
    What happened: NFKD then dropping every combining mark folds them to the same words: equal.
    What should happen: only marks that are accents on Latin letters (Clínica/Clinica) fold; a mark that makes
    another letter (kana voicing, й, shin/sin) keeps the names apart.
    Severity: medium (a token bound to one hospital releases Part 2 records under a consent naming another,
    and the accounting of disclosures names a recipient that did not receive them; a staff export typed
    with the wrong hospital's name is recorded as the consented one)."""
    pairs = [
        ("ばら病院", "はら病院"),
        ("ビル診療所", "ヒル診療所"),
        ("Клиника Мой", "Клиника Мои"),
        ("מרפאת שׁלום", "מרפאת שׂלום"),
    ]
    equal = [(a, b) for a, b in pairs if core_sharing.same_name(a, b)]
    assert equal == [], equal


def test_same_name_drops_vowel_signs_and_tone_marks() -> None:
    """Scenario: recipients named in an Indic or Thai script: 'कमल क्लिनिक' (Kamal Clinic) and 'कमला क्लिनिक'
    (Kamala Clinic); 'ป่าคลินิก' and 'ป้าคลินิก' (forest / aunt: tone marks).
    What happened: `name_words` keeps only runs of `[^\\W_]`; a Devanagari vowel sign (Mc, not alphanumeric)
    splits and vanishes, a Thai tone mark is a combining mark and is stripped: both pairs are 'the same
    recipient'. ('क्लिनिक' itself becomes 'कल न क'.)
    What should happen: vowel signs and tone marks are part of the word in these scripts (the docstring's
    'letters of any script do [matter]'); the pairs differ.
    Severity: medium (as above: another organisation's consent releases through a bound token)."""
    pairs = [("कमल क्लिनिक", "कमला क्लिनिक"), ("ป่าคลินิก", "ป้าคลินิก")]
    equal = [(a, b) for a, b in pairs if core_sharing.same_name(a, b)]
    assert equal == [], equal


def test_same_name_of_names_without_letters() -> None:
    """Scenario: a consent's recipient is accepted with two visible characters (`_text(low=2)`), so '★★',
    '--' or '??' is a recipient name; another consent names '••'.
    What happened: `name_words` of each is '' and `same_name('★★', '••')` is True (and every such name equals
    every other); a token bound to '★★' releases under a consent naming '!!'.
    What should happen: a name with no letter or digit is the same recipient only as itself (or is refused
    as a recipient name when the consent is signed); never equal to every other such name.
    Severity: low (needs a junk recipient name on a signed consent)."""
    assert not core_sharing.same_name("★★", "••")
    assert not core_sharing.same_name("--", "!!")


def test_bound_token_releases_to_another_hospital_of_the_same_letters(client: Client, world: World) -> None:
    """Scenario: an API token issued for 'ばら病院' (Rose Hospital's system) reads Alice's Patient resource
    with Keel-Consent naming her consent for 'はら病院' (Hara Hospital), another organisation.
    What happened: `token_releases_to` / `bind_token_recipient` compare with `same_name`, which folds ば to
    は: 200, the record is released and a Disclosure to 'はら病院' is written for what Rose Hospital's system
    received.
    What should happen: 403 'This API token releases records to one recipient only', audited, no Disclosure.
    Severity: medium (42 CFR 2.31/2.24: a disclosure to a recipient the consent does not name, and an
    accounting that names the wrong one)."""
    secret = _token(world, "ばら病院")
    consent = _consent(world, world.alice, "はら病院")
    response = client.get(
        f"{FHIR}Patient/{world.alice.pk}",
        headers={"Authorization": f"Bearer {secret}", "Keel-Consent": str(consent.pk)},
    )
    assert response.status_code == 422, response.content  # review 31b H3 (was 403)
    assert not Disclosure.objects.filter(patient=world.alice).exists()


# --- Digits: a consent id in another script -----------------------------------------------------------------


def test_everything_consent_in_arabic_indic_digits(client: Client, world: World) -> None:
    """Scenario: a staff token's POST Patient/{alice}/$everything names its consent in the Parameters body as
    valueString '١٢' style digits (the consent's id written in Arabic-Indic digits), or '1_2'.
    What happened: `_basis_patient` and `release_record` read it with `record_id`, which is `int(str(v))`:
    int() reads Unicode digits and underscores, so the consent is found and the record leaves (200).
    This session made date values with non-ASCII digits a 400 (`ascii_digits`); the consent id, which names
    the basis of a disclosure, is still read from any digits.
    What should happen: a consent id is 0-9 only (`core.digits.ascii_digits`), else the 422 'no such consent
    for this patient' naming consent, with nothing released.
    Severity: low (the digits name the same consent; no widening, but an id the audit row and the request
    text do not show in the same form, against the project's one rule for digits)."""
    secret = _token(world)
    consent = _consent(world, world.alice, "Lakeview Medical Group")
    arabic = str(consent.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "basis", "valueCode": "consent"},
            {"name": "consent", "valueString": arabic},
            {"name": "recipient_name", "valueString": "Lakeview Medical Group"},
            {"name": "purpose", "valueCode": "treatment"},
        ],
    }
    response = client.post(
        f"{FHIR}Patient/{world.alice.pk}/$everything",
        data=json.dumps(body),
        content_type="application/fhir+json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 422, response.content
    assert not Disclosure.objects.filter(patient=world.alice).exists()


# --- HEAD by a staff token ----------------------------------------------------------------------------------


def test_head_by_staff_token_on_practitioner_read_is_served_and_audited_as_read(
    client: Client, world: World
) -> None:
    """Scenario: a staff member's API token sends HEAD Practitioner/{prescriber} (and Organization/{program}).
    What happened: `read` answers Organization and Practitioner before `refuse_head` is reached: 200 with no
    body, and an audit row says the FHIR resource was read (returned: ['Practitioner/..']) although nothing
    was sent. Every other read by a staff token is 405 on HEAD (review 21f).
    What should happen: HEAD by a staff token is 405 on every read, as the capability of 'reads' says, and no
    read row is written for what was never sent.
    Severity: low (staff and program data, not a patient's record; an audit trail that says more was read than
    was)."""
    secret = _token(world)
    before = AuditEvent.objects.filter(action=Action.READ, target_type="fhir").count()
    answers = [
        client.head(f"{FHIR}{path}", headers={"Authorization": f"Bearer {secret}"}).status_code
        for path in (f"Practitioner/{world.staff['prescriber'].pk}", f"Organization/{world.riverside.pk}")
    ]
    assert answers == [405, 405]
    assert AuditEvent.objects.filter(action=Action.READ, target_type="fhir").count() == before


# --- Keel-Consent: a consent of the caller's program, of a person outside their scope -----------------------


def test_consent_of_a_person_outside_scope_answers_unlike_an_unused_consent_id(
    client: Client, world: World
) -> None:
    """Scenario: the nurse's API token (on Alice's care team, not on Bob's) searches
    Observation?patient=<anyone> with Keel-Consent naming Bob's consent (Bob is in the nurse's program), then
    with a consent id no one has, then with a Lakeside patient's consent (another program).
    What happened: Bob's consent is found (`_basis_patient` filters by the caller's programs only), its person
    is then scoped for the nurse and refused: 404 'Not found.' (audited 'read clinical: outside scope or
    missing'); the unused id and the other program's consent are the 422 'Keel-Consent: no such consent for
    this patient'. Whatever person is named, the answer tells the token which consent ids belong to people of
    its program it may not read, and its query count differs (6 against 5).
    What should happen: a consent the caller cannot release under (another program's, or of a person outside
    their scope) is answered as an id nobody has: the same 422, status, body and audit reason as 99999.
    Severity: low (consent ids of the program, not names; but review 21f's rule is one answer for a consent
    the caller has no business with)."""
    secret = _token(world)
    bobs = _consent(world, world.bob, "Lakeview Medical Group")
    charlies = _consent(world, world.charlie, "Lakeview Medical Group")
    answers = {}
    for label, consent_id in (("bob's", bobs.pk), ("unused", 99999), ("other program's", charlies.pk)):
        response = client.get(
            f"{FHIR}Observation?patient={world.alice.pk}",
            headers={"Authorization": f"Bearer {secret}", "Keel-Consent": str(consent_id)},
        )
        answers[label] = (response.status_code, response.json()["issue"][0]["diagnostics"])
    assert answers["bob's"] == answers["unused"] == answers["other program's"], answers


# --- Bad input checked inside the release: its answer depends on the person named ---------------------------


def test_staff_token_patient_search_checks_its_parameters_only_inside_the_release(
    client: Client, world: World
) -> None:
    """Scenario: a staff token, under Alice's consent, searches Patient?_id=<id>&birthdate=١٩٩٠ (a year in
    Arabic-Indic digits, which this session made a 400), for Alice and for Bob.
    What happened: the staff token's Patient search reads `birthdate` (and `identifier`, the names) only in
    `_named_filter`, inside the release: for Alice the consent is checked, the token bound and the release
    opened before the 400 (16 queries, rolled back); for Bob the 422 'Keel-Consent: no such consent for this
    patient'. Observation's `date` is checked before the basis (`_filters`), so the same bad value is one 400
    there for everyone.
    What should happen: a malformed parameter is the 400 naming it before the basis and before any person is
    looked up, whoever is named (as `date`, `_count` and repeated parameters are).
    Severity: low (bad input answered by who is named, and a release opened for a request that was never
    valid)."""
    secret = _token(world)
    consent = _consent(world, world.alice, "Lakeview Medical Group")
    headers = {"Authorization": f"Bearer {secret}", "Keel-Consent": str(consent.pk)}
    answers = {
        name: client.get(f"{FHIR}Patient?_id={pk}&birthdate=١٩٩٠", headers=headers).status_code
        for name, pk in (("alice", world.alice.pk), ("bob", world.bob.pk), ("no one", 987654))
    }
    assert answers == {"alice": 400, "bob": 400, "no one": 400}


# --- parse_emergency now reads recipients through name_words: an invisible character passes -----------------


@pytest.mark.parametrize(
    ("recipient", "affiliation"),
    [
        ("Officer Hale, Po\u00adlice", "County Hospital"),  # a soft hyphen: shown as 'Police'
        ("Officer Hale, Po\u200blice", "County Hospital"),  # a zero-width space
        ("Dr Hale", "County Ja\u00adil infirmary"),
    ],
)
def test_emergency_disclosure_to_police_or_jail_with_an_invisible_character(
    recipient: str, affiliation: str
) -> None:
    """Scenario: a medical-emergency disclosure (42 CFR 2.51) names as recipient 'Officer Hale, Po­lice' with a
    soft hyphen (U+00AD, invisible on the page) or a zero-width space inside 'Police', or an affiliation
    'County Ja­il infirmary'.
    What happened: 345b846 replaced `_words` (NFKD folded to ASCII, so U+00AD and U+200B vanished and
    'police' was matched) with `name_words`, which splits on any non-letter: 'po lice' / 'ja il', and
    `_NOT_MEDICAL` no longer matches; the terms are accepted (only the missing categories are named). The
    same names without the invisible character are refused.
    What should happen: 'a medical emergency allows disclosure only to medical personnel' on the field, as for
    the visible spelling: format characters are dropped before the words are compared (as
    `core.text.visible_length` and review 21p's `words_of` do).
    Severity: high (a regression of this session: an emergency disclosure of Part 2 records to the police or
    a jail passes the one check that keeps them to medical personnel)."""
    raw = {
        "recipient_name": recipient,
        "recipient_role": next(iter(core_sharing.MEDICAL_ROLES)),
        "recipient_affiliation": affiliation,
        "nature": "Unresponsive after an overdose; the team needs the current methadone dose",
    }
    with pytest.raises(InvalidInput) as refused:
        core_sharing.parse_emergency(raw)
    fields = {e.field for e in refused.value.errors if "medical personnel" in str(e.reason)}
    assert fields & {"recipient_name", "recipient_affiliation"}, refused.value.errors
