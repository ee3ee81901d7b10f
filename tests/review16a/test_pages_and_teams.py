"""Review 16a: care teams, flag resolution on the page, MFA's own URLs, the dosing page's slot."""

from __future__ import annotations

from typing import Any

import pytest

from keel.patients.models import CareTeamMember
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_last_clinician_of_a_patient_in_care_is_not_removed(world: Any, signed_in: Any) -> None:
    """Clinicians see only their care team's patients (`policy.patients_visible_to`). An admin can take the
    counselor, nurse and prescriber off Alice one after another (API or page) while she is in care: no
    clinician can then see her record, dose her at the window or resolve a flag (a held dose's needs a
    prescriber). Safe: the last counselor/nurse/prescriber of a patient in care is not removed (422)."""
    admin = signed_in("program_admin")
    alice = world.alice.pk
    for role in ("counselor", "nurse"):
        r = admin.delete(f"/api/v1/patients/{alice}/care-team/{world.staff[role].pk}")
        assert r.status_code == 204, r.content
    r = admin.post(f"/patients/{alice}/care-team/{world.staff['prescriber'].pk}/remove/")
    left = set(CareTeamMember.objects.filter(patient_id=alice).values_list("user__role", flat=True))
    assert left & {"counselor", "nurse", "prescriber"}, (r.status_code, left)


def test_own_emergency_flag_refusal_says_why_on_the_page(world: Any, signed_in: Any) -> None:
    """The page answers every FlagNotAllowed from a clinician with "only a prescriber resolves this flag":
    a prescriber who broke the glass and tries to clear the flag about it is told it needs a prescriber
    (they are one). Safe: the page says the person who used emergency access cannot resolve it."""
    from keel.patients.models import PatientFlag

    prescriber = signed_in("prescriber")
    r = prescriber.post(
        "/api/v1/emergency-access",
        data={"record_number": "RR-0002", "reason": "found unresponsive in the lobby", "password": PASSWORD},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    flag = PatientFlag.objects.get(patient=world.bob, kind="emergency_access")
    r = prescriber.post(
        f"/patients/{world.bob.pk}/flags/{flag.pk}/resolve/", {"note": "all fine now"}, follow=True
    )
    assert b"only a prescriber resolves this flag" not in r.content


def test_staff_mfa_disable_is_refused_out_loud(world: Any, signed_in: Any) -> None:
    """POST /accounts/mfa/disable/ by a nurse with the right password: nothing happens and the page says
    nothing (200, no error). Safe: refused with words (staff always use two-step sign-in), not silence."""
    r = signed_in("nurse").post("/accounts/mfa/disable/", {"password": PASSWORD})
    assert r.status_code in (403, 422), r.status_code


def test_dosing_page_slot_in_other_digits_is_not_a_server_error(world: Any, signed_in: Any) -> None:
    """`int(raw) if raw.isdigit()`: "²" is a digit to str.isdigit but not to int(): 500 on the dosing page.
    Safe: the slot is refused (or read as no slot), never a server error."""
    r = signed_in("nurse").post(
        f"/dosing/{world.alice.pk}/", {"sequence": "²", "amount_mg": "30", "medication": "methadone"}
    )
    assert r.status_code < 500
