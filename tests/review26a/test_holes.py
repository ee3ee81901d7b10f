"""Review 26a: a penetration tester and an integration engineer walk around the API token rule of lane
fix25e (`keel.api_auth.reads_no_one`, `desk_only`; `keel.access.policy.bound_token_may`,
`conflict_may_name_the_record`) with ordinary requests. Each test fails on the code as reviewed, for the
reason its docstring gives (tests/review26a/HOLES.md)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from keel.accounts import services as accounts
from keel.patients.models import local_today
from tests.conftest import PASSWORD, World
from tests.factories import methadone_with_qtc


def _token(user: Any, recipient: str = "") -> str:
    return accounts.create_token(user=user, name="review26a", recipient_name=recipient).secret


def _post(client: Client, path: str, secret: str, body: dict[str, Any]) -> Any:
    return client.post(
        path, data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )


def _paper_consent(world: World, **changes: Any) -> dict[str, Any]:
    today = local_today(world.alice, timezone.now())
    body: dict[str, Any] = {
        "recipient_name": "Northside Data Exchange",
        "purpose": "treatment",
        "categories": ["enrollment", "medication", "checkins", "screenings"],
        "expires_on": (today + timedelta(days=300)).isoformat(),
        "signature": "Alicia Zamorano",
        "understood": True,
    }
    return {**body, **changes}


# --- H1 -------------------------------------------------------------------------------------------------


def test_h1_a_staff_token_records_a_paper_consent(world: World) -> None:
    """H1 (high). A nurse's API token (unbound: "it still does its role's writes") records a consent "signed
    on paper" for Alice naming any recipient: 201. The consent is the one thing that authorises a release
    (42 CFR 2.31); a token is another system's credential, and no system can hold the paper the patient signed
    at the desk. With it, any token of the nurse's bound to that recipient releases Alice's whole record on
    FHIR. Recording a consent signed on paper is a desk action (as a registration's consent is): refused to
    every token, 403, audited. Root: `record_paper_consent` is `TokenUse.OTHER`, not `@desk_only`."""
    secret = _token(world.staff["nurse"])
    answer = _post(Client(), f"/api/v1/patients/{world.alice.pk}/consents", secret, _paper_consent(world))
    assert answer.status_code == 403


# --- H2 -------------------------------------------------------------------------------------------------


def test_h2_a_staff_token_learns_the_patients_legal_name_from_the_consent_check(world: World) -> None:
    """H2 (medium). A staff token reads no person; but the paper-consent write checks the typed signature
    against the name on the record and says so, whatever else is wrong: with a bad expiry (nothing written),
    a guessed name that is not the patient's gets "type your full name as it appears on your record" on
    `signature`, the right one does not. So a token confirms who patient N is (name guesses, one request
    each, nothing stored). What should: a token never reaches the check (H1), or its refusal names no field
    whose check reads the record. Root: `core.sharing._signatures` in `_consent`, reached by a token."""
    secret = _token(world.staff["nurse"])
    path = f"/api/v1/patients/{world.alice.pk}/consents"
    past = (local_today(world.alice, timezone.now()) - timedelta(days=3)).isoformat()
    right = _post(Client(), path, secret, _paper_consent(world, expires_on=past, signature="Alicia Zamorano"))
    wrong = _post(Client(), path, secret, _paper_consent(world, expires_on=past, signature="Maria Lopez"))
    fields_right = sorted(e["field"] for e in right.json().get("errors", []))
    fields_wrong = sorted(e["field"] for e in wrong.json().get("errors", []))
    assert fields_right == fields_wrong


# --- H3 -------------------------------------------------------------------------------------------------


def test_h3_a_program_admins_token_invites_a_new_staff_member(world: World, mailoutbox: Any) -> None:
    """H3 (high). A program admin's API token invites anyone as staff of the program (any role): 201, a
    one-time link mailed to the address the calling system chose. The link makes a new staff account: a
    password, a second factor, and every record a nurse or prescriber reads. A token is another system's
    credential; minting a person's credential is what `desk_only` refuses to every token (codes, second
    factor resets), and an invitation is the strongest of them. Should: 403, audited. Root:
    `accounts.api.invite_staff` is not `@desk_only` (nor are role change and deactivation, H4)."""
    secret = _token(world.staff["program_admin"])
    body = {
        "email": "new.clinician@example.org",
        "role": "prescriber",
        "first_name": "Sam",
        "last_name": "Ng",
    }
    answer = _post(Client(), "/api/v1/programs/riverside/invitations", secret, body)
    assert answer.status_code == 403


# --- H4 -------------------------------------------------------------------------------------------------


def test_h4_a_program_admins_token_makes_a_nurse_a_program_admin(world: World) -> None:
    """H4 (medium). A program admin's API token changes a staff member's role: the nurse becomes a program
    admin (200), who then reads the audit trail, the measures' raw counts and manages staff. Who holds which
    credential is managed at a desk or a signed-in page, never by another system's token. Should: 403,
    audited. Root: `change_staff_role` is `TokenUse.OTHER` (any unbound staff token's write)."""
    secret = _token(world.staff["program_admin"])
    nurse = world.staff["nurse"]
    path = f"/api/v1/programs/riverside/staff/{nurse.pk}/role"
    answer = _post(Client(), path, secret, {"role": "program_admin"})
    assert answer.status_code == 403


# --- H5 -------------------------------------------------------------------------------------------------


def test_h5_a_blocked_doses_409_to_a_staff_token_carries_the_guard_rails_decision(world: World) -> None:
    """H5 (medium). `conflict_may_name_the_record` keeps a stale write's 409 to a staff token to "it
    changed, read again". A dose the guard rail blocks is a 409 too (`on_dose_blocked`), and it carries the
    rule's whole `decision` (reasons naming the order's dose, the QTc, missed days, today's total) to the same
    token: a nurse's token posting 120 mg for Alice (on 80 mg) reads her order this way, one request,
    nothing given. Should: a staff token's 409 names no record here either ("not given: the dose check refused
    it; read the record signed in"), no order's dose in `message`, no `decision`. Root:
    `keel.api.on_dose_blocked` does not ask `conflict_may_name_the_record` (nor does `on_dose_conflict`:
    "slot 1 already recorded" says she dosed)."""
    methadone_with_qtc(world, None)
    secret = _token(world.staff["nurse"])
    path = f"/api/v1/patients/{world.alice.pk}/doses"
    answer = _post(Client(), path, secret, {"amount_mg": 120, "sequence": 1})
    assert "80 mg" not in answer.content.decode()  # her order's dose, in `message` and in `decision`


# --- H6 -------------------------------------------------------------------------------------------------


def test_h6_a_staff_token_reads_the_measures_small_counts_raw(world: World) -> None:
    """H6 (medium). The measures route is `@reads_no_one` ("counts"); with `counts=raw` it gives the counts
    from 1 to 10 unsuppressed to a program admin's token too: a narrow window (start=end) and a small program
    make a cell a person. The raw counts are for the admin signed in (recorded on the audit row); a token,
    another system, gets them suppressed (or a 403 for `counts=raw`). Root: `measures.api.get_measures`
    passes `raw_counts` whoever asks; `reads_no_one` assumes suppressed counts."""
    secret = _token(world.staff["program_admin"])
    answer = Client().get(
        "/api/v1/programs/riverside/measures", {"counts": "raw"}, HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert answer.status_code == 403 or answer.json().get("small_counts") != "raw"


# --- H7 -------------------------------------------------------------------------------------------------


def test_h7_a_staff_tokens_take_home_write_says_whether_she_is_on_methadone(world: World) -> None:
    """H7 (medium). A prescriber's token reads no person (GET .../take-homes/review is refused), but the
    take-home write's 422 says what the record holds: for Alice with no methadone order the refusal names
    `order` ("no active methadone order"); once she has one it names something else (no dose given yet, the
    criteria); for a discharged person `patient` ("episode of care has ended"). Nothing is written either
    way, so a token reads treatment status (on methadone? still in care?) one request per person. Should: as a
    stale write's 409 (`conflict_may_name_the_record`), a staff token's refused write says it was not saved
    and to read the record signed in, the same answer whatever the record holds. Root: the take-home
    service's checks of the record (`_methadone_episode`, `_refuse_before_first_dose`) answered to a token."""
    secret = _token(world.staff["prescriber"])
    path = f"/api/v1/patients/{world.alice.pk}/take-homes"
    body = {"criteria": {"regular_attendance": True}}
    before = _post(Client(), path, secret, body)
    methadone_with_qtc(world, None)
    after = _post(Client(), path, secret, body)
    fields_before = sorted(e["field"] for e in before.json().get("errors", []))
    fields_after = sorted(e["field"] for e in after.json().get("errors", []))
    assert fields_before == fields_after


# --- H8 -------------------------------------------------------------------------------------------------


def test_h8_a_staff_token_readmits_a_person_attesting_notice_and_consent(world: World) -> None:
    """H8 (high). Fix25e made registration `@desk_only` because its Part 2 notice and consent to treatment are
    given at the desk, with the person there. A readmission asks the same two attestations (`notice_given`,
    `consented`: "give the person the privacy notice ... the person must consent to treatment"), and a nurse's
    token gives both for someone discharged: 201, a new episode stored with "notice given, consented" by the
    nurse, no person at any desk. (The discharge before it is by token too: a person taken out of care by
    another system, their orders and take-home plans stopped.) Should: readmission refused to every token,
    403, audited with DESK_TOKEN. Root: `patients.api.readmit_patient` is not `@desk_only`."""
    secret = _token(world.staff["nurse"])
    base = f"/api/v1/patients/{world.alice.pk}"
    _post(Client(), f"{base}/discharge", secret, {"reason": "left"})
    answer = _post(Client(), f"{base}/readmit", secret, {"notice_given": True, "consented": True})
    assert answer.status_code == 403


# --- H9 -------------------------------------------------------------------------------------------------


def test_h9_a_staff_token_breaks_the_glass(world: World) -> None:
    """H9 (high). README: "No API token declares a medical emergency (42 CFR 2.51: the program's staff do,
    signed in)". The token rule refuses only a disclosure on the emergency basis (`refuse_token_emergency`):
    `POST /api/v1/emergency-access` (break the glass) with a nurse's token, Bob's record number (Bob is on
    none of her care teams), a reason and her password is 201: an emergency grant for hours, `patient` mapping
    the record number to Bob's id, after which the token writes into Bob's record (a QTc, 201) and her
    session reads it all. A record number no one has is a 422 naming it: an oracle of who is a patient.
    Should: 403 to every token, audited (a medical emergency is declared by a person signed in). Root:
    `sharing.api.open_emergency_access` is `TokenUse.OTHER` and `services.emergency_access` never asks
    whether the caller is a token."""
    secret = _token(world.staff["nurse"])
    body = {"record_number": "RR-0002", "reason": "found unresponsive in the lobby, suspected overdose"}
    answer = _post(Client(), "/api/v1/emergency-access", secret, {**body, "password": PASSWORD})
    assert answer.status_code == 403
