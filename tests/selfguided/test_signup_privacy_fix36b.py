"""Lane fix36b (review 35g, read only): what the public sign-up page and an account of one's own tell.

1. The public sign-up looked a name up before it spent the visitor's sign-up limit and wrote no audit
   row: anyone could confirm, without limit, that a named person (staff, patient) has an account. Now
   every other field is checked first (no look-up while any is wrong), then one sign-up is spent, then
   the name is looked up: a name in use costs what a sign-up costs, is answered alike for staff and
   patients, and the refusal is audited (no name, no address).
3. The join preview (before signing) told the code's holder what the program's record holds (a plan,
   its reminder kinds, its check-in days); it now says what stays behind in words that hold none of it.
4. Deleting an account of one's own ended its signed-in sessions only: a sign-in half done
   (`keel_mfa_pending`) survived; it now ends every session through `accounts.services.end_sessions`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from keel.accounts.models import User
from keel.audit.models import AuditEvent
from keel.patients.models import Patient
from keel.selfguided import services
from keel.selfguided.models import SignupBucket
from tests.conftest import PASSWORD, World
from tests.review35b._setup import link_code_for, record_without_account, sign_up_on_the_page

pytestmark = pytest.mark.django_db
SIGNUP = "/en/start/"


def _form(username: str, **extra: str) -> dict[str, str]:
    return {
        "username": username,
        "password": PASSWORD,
        "password_again": PASSWORD,
        "time_zone": "America/Denver",
        "understood": "on",
    } | extra


def _post(username: str, address: str = "203.0.113.36", **extra: str) -> Any:
    return Client().post(SIGNUP, _form(username, **extra), REMOTE_ADDR=address)


# --- 1. the public sign-up -------------------------------------------------------------------------------


def test_a_name_in_use_spends_a_sign_up(world: World) -> None:
    for _try in range(5):
        _post("R-NURSE")
    assert _post("a-free-name-36b").status_code == 429


def test_past_the_limit_a_staff_name_gets_the_limits_answer(world: World) -> None:
    for i in range(5):
        assert _post(f"walker-36b-{i}").status_code == 302
    assert _post("r-nurse").status_code == 429


def test_a_staff_name_and_a_patients_name_are_answered_alike(world: World) -> None:
    staff = _post("r-program_admin", address="203.0.113.40").content.decode()
    patient = _post("ALICE", address="203.0.113.41").content.decode()
    assert _without_tokens(staff.replace("r-program_admin", "NAME")) == _without_tokens(
        patient.replace("ALICE", "NAME")
    )


def test_a_name_is_not_looked_up_while_another_field_is_wrong(world: World) -> None:
    page = _post("r-prescriber", password_again="not the same passphrase").content.decode()
    assert "taken" not in page


def test_a_form_with_a_wrong_field_spends_no_sign_up(world: World) -> None:
    before = SignupBucket.objects.count()
    _post("r-prescriber", password_again="not the same passphrase")
    assert SignupBucket.objects.count() == before


def test_a_refused_name_is_audited(world: World) -> None:
    before = AuditEvent.objects.filter(reason="sign-up refused: username in use").count()
    _post("r-counselor")
    assert AuditEvent.objects.filter(reason="sign-up refused: username in use").count() == before + 1


def test_the_refusals_row_names_no_one(world: World) -> None:
    _post("r-counselor")
    row = AuditEvent.objects.filter(reason="sign-up refused: username in use").latest("pk")
    assert (row.actor_id, row.patient_id, row.program_id, row.target_id) == (None, None, None, "")


def test_the_refusals_row_holds_neither_the_name_nor_the_address(world: World) -> None:
    _post("r-counselor", address="203.0.113.77")
    row = AuditEvent.objects.filter(reason="sign-up refused: username in use").latest("pk")
    text = str({k: v for k, v in vars(row).items() if not k.startswith("_")})
    assert ("r-counselor" in text.lower(), "203.0.113" in text) == (False, False)


def test_a_free_name_still_signs_up(world: World) -> None:
    assert _post("a-new-walker-36b").status_code == 302


def test_a_name_taken_meanwhile_still_spends_the_sign_up(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race (`save_new_user`): the refusal is the same, and its sign-up stays spent."""
    from keel.accounts import services as accounts

    monkeypatch.setattr(accounts, "username_taken", lambda name: False)
    for _try in range(5):
        _post("r-nurse")
    monkeypatch.undo()
    assert _post("another-walker-36b").status_code == 429


# --- 3. the join preview ----------------------------------------------------------------------------------


def _preview(world: Any, *, held: bool) -> str:
    from keel.recovery.models import CheckIn

    patient = record_without_account(world)
    code = link_code_for(world, patient)
    client, user = sign_up_on_the_page("preview-36b")
    day = timezone.localdate() - timedelta(days=2)
    now = timezone.now()
    own = Patient.objects.get(user=user)
    for record, on in ((own, day), (patient, day if held else day - timedelta(days=1))):
        CheckIn.objects.create(
            patient=record,
            local_date=on,
            craving=3,
            mood=3,
            used=False,
            medication="not_on_medication",
            created_at=now,
            updated_at=now,
        )
    return client.post("/me/account/join/", {"code": code}).content.decode()


def _without_tokens(page: str) -> str:
    import re

    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    return re.sub(r'name="code" value="[^"]+"', "", page)  # each preview's own code


def test_the_preview_is_the_same_whatever_the_programs_record_holds(world: World) -> None:
    held = _without_tokens(_preview(world, held=True))
    User.objects.filter(username="preview-36b").delete()
    Patient.objects.filter(record_number="RR-3535").delete()
    free = _without_tokens(_preview(world, held=False))
    assert held == free


def test_the_preview_still_says_what_stays_behind(world: World) -> None:
    page = _preview(world, held=False)
    assert "yours will not move and will be deleted" in page


# --- 4. deleting one's own account ends every session ------------------------------------------------------


def test_deleting_the_account_ends_a_sign_in_half_done() -> None:
    from keel.accounts.services import PENDING_SIGN_IN

    client, user = sign_up_on_the_page("leaving-36b")
    pending = SessionStore()
    pending[PENDING_SIGN_IN] = {"user_id": user.pk}
    pending.create()
    response = client.post("/me/account/delete/", {"password": "correct horse battery staple 35b"})
    assert response.status_code == 302
    assert not Session.objects.filter(pk=pending.session_key).exists()


def test_deleting_the_account_is_refused_by_a_wrong_password_as_before() -> None:
    client, user = sign_up_on_the_page("staying-36b")
    response = client.post("/me/account/delete/", {"password": "not my passphrase at all"})
    assert (response.status_code, User.objects.filter(pk=user.pk).exists()) == (422, True)


def test_a_refused_sign_up_by_the_service_spends_its_try(world: World) -> None:
    """The service itself (not only the page): a name in use, then the limit's answer."""
    for _try in range(5):
        with pytest.raises(services.SelfGuidedInvalid):
            services.sign_up(
                username="DANA-OWN",
                password=PASSWORD,
                password_again=PASSWORD,
                time_zone="America/Chicago",
                understood=True,
                address="192.0.2.36",
            )
    with pytest.raises(services.TooManySignups):
        services.sign_up(
            username="free-name-36b",
            password=PASSWORD,
            password_again=PASSWORD,
            time_zone="America/Chicago",
            understood=True,
            address="192.0.2.36",
        )
