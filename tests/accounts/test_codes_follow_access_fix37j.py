"""Lane fix37j (re37p findings 1, 2, 5): the codes a staff member gave for patients follow her access. Taken
off a patient's care team (page, API), her unused codes for that patient are voided (`issued_codes.
void_codes_issued_by` for that patient), audited; her codes for others stay. A role change to a role that
may not give codes (`policy.can_give_link_code`; page, API, CLI) voids all of hers, as the same change
withdraws her invitations; a change to another code-giving role keeps them. A password like the record's
first name is refused before a try of the live code is spent (the code's patient is known once the code is
found live), so it never locks the person out."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from keel.accounts import staff
from keel.accounts.models import User
from keel.accounts.services import issued_codes
from keel.audit.models import Action, AuditEvent
from keel.core.rules.inputs import FieldsInvalid
from keel.patients.models import ActivationCode, Patient
from keel.patients.services.activation import activate, issue_activation_code
from keel.patients.services.care_team import remove_from_care_team
from keel.selfguided.models import SignupBucket
from tests.accounts.test_leaver_codes_fix37e import KINDS, _issue, _patient_for, _record, _works
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db


# --- Taken off a patient's care team ---------------------------------------------------------------------


def _off_team_by_page(world: World, patient: Patient, user: User) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    admin.post(f"/patients/{patient.pk}/care-team/{user.pk}/remove/")


def _off_team_by_api(world: World, patient: Patient, user: User) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    admin.delete(f"/api/v1/patients/{patient.pk}/care-team/{user.pk}")


OFF_TEAM: dict[str, Callable[[World, Patient, User], None]] = {
    "page": _off_team_by_page,
    "api": _off_team_by_api,
}


@pytest.mark.parametrize("route", list(OFF_TEAM))
@pytest.mark.parametrize("kind", ["activation", "link"])
def test_off_the_team_her_code_for_that_patient_is_void(world: World, route: str, kind: str) -> None:
    nurse = world.staff["nurse"]
    patient = _record(world)
    code = _issue(kind, nurse, patient)
    OFF_TEAM[route](world, patient, nurse)
    assert not _works(kind, code, world)


@pytest.mark.parametrize("route", list(OFF_TEAM))
def test_the_route_took_her_off_the_team(world: World, route: str) -> None:
    nurse = world.staff["nurse"]
    patient = _record(world)
    OFF_TEAM[route](world, patient, nurse)
    assert not patient.care_team.filter(user=nurse).exists()


def test_off_one_team_her_code_for_another_patient_stays(world: World) -> None:
    nurse = world.staff["nurse"]
    kept = _issue("activation", nurse, _record(world, number="RR-3712"))
    off = _record(world)
    remove_from_care_team(by=world.staff["program_admin"], patient_id=off.pk, user_id=nurse.pk)
    assert _works("activation", kept, world)


def test_off_the_team_a_code_another_gave_stays(world: World) -> None:
    patient = _record(world)
    code = _issue("activation", world.staff["counselor"], patient)
    remove_from_care_team(
        by=world.staff["program_admin"], patient_id=patient.pk, user_id=world.staff["nurse"].pk
    )
    assert _works("activation", code, world)


def test_off_the_team_the_voiding_is_audited_in_her_record(world: World) -> None:
    nurse = world.staff["nurse"]
    patient = _record(world)
    _issue("activation", nurse, patient)
    admin = world.staff["program_admin"]
    remove_from_care_team(by=admin, patient_id=patient.pk, user_id=nurse.pk)
    reason = issued_codes.VOIDED_OFF_TEAM
    voided = AuditEvent.objects.filter(actor_id=admin.pk, patient_id=patient.pk, reason=reason)
    assert voided.filter(action=Action.UPDATE, target_type="activation_code").count() == 1


# --- A role that may not give codes ----------------------------------------------------------------------


def _role_by_page(world: World, user: User, role: str) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    admin.post(f"/program/staff/{user.pk}/role/?program=riverside", {"role": role})


def _role_by_api(world: World, user: User, role: str) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    admin.post(
        f"/api/v1/programs/riverside/staff/{user.pk}/role",
        json.dumps({"role": role}),
        content_type="application/json",
    )


def _role_by_cli(world: World, user: User, role: str) -> None:
    args = ["--by", "r-program_admin", "--program", "riverside", "--user-id", str(user.pk), "--role", role]
    call_command("staff", "role", *args, stdout=StringIO())


ROLE_ROUTES: dict[str, Callable[[World, User, str], None]] = {
    "page": _role_by_page,
    "api": _role_by_api,
    "cli": _role_by_cli,
}


@pytest.mark.parametrize("route", list(ROLE_ROUTES))
@pytest.mark.parametrize("kind", KINDS)
def test_a_role_without_codes_voids_hers(world: World, route: str, kind: str) -> None:
    nurse = world.staff["nurse"]
    code = _issue(kind, nurse, _patient_for(kind, world))
    ROLE_ROUTES[route](world, nurse, "auditor")
    assert not _works(kind, code, world)


@pytest.mark.parametrize("route", list(ROLE_ROUTES))
def test_the_route_changed_her_role(world: World, route: str) -> None:
    ROLE_ROUTES[route](world, world.staff["nurse"], "auditor")
    assert User.objects.get(pk=world.staff["nurse"].pk).role == "auditor"


@pytest.mark.parametrize("kind", KINDS)
def test_another_code_giving_role_keeps_hers(world: World, kind: str) -> None:
    nurse = world.staff["nurse"]
    code = _issue(kind, nurse, _patient_for(kind, world))
    staff.change_role(
        by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk, role="counselor"
    )
    assert _works(kind, code, world)


def test_the_role_change_voiding_is_audited(world: World) -> None:
    nurse = world.staff["nurse"]
    patient = _record(world)
    _issue("link", nurse, patient)
    admin = world.staff["program_admin"]
    staff.change_role(by=admin, program_slug="riverside", user_id=nurse.pk, role="peer_specialist")
    reason = issued_codes.VOIDED_ROLE_CHANGED
    voided = AuditEvent.objects.filter(actor_id=admin.pk, patient_id=patient.pk, reason=reason)
    assert voided.filter(action=Action.UPDATE, target_type="link_code").count() == 1


# --- A password like the record's first name ------------------------------------------------------------


def _like_her_name(code: str) -> FieldsInvalid:
    with pytest.raises(FieldsInvalid) as refused:
        activate(code=code, username="eva-1", password="evangelina2026", password_again="evangelina2026")
    return refused.value


def test_a_password_like_her_name_is_refused(world: World) -> None:
    code = issue_activation_code(by=world.staff["nurse"], patient_id=_record(world).pk).code
    assert [e.field for e in _like_her_name(code).errors] == ["password"]


def test_a_password_like_her_name_spends_no_try(world: World) -> None:
    code = issue_activation_code(by=world.staff["nurse"], patient_id=_record(world).pk).code
    _like_her_name(code)
    assert not SignupBucket.objects.filter(key__startswith="activation:").exists()


def test_a_password_like_her_name_never_shows_the_name(world: World) -> None:
    code = issue_activation_code(by=world.staff["nurse"], patient_id=_record(world).pk).code
    assert "evangelina" not in str(_like_her_name(code)).casefold()


def test_after_many_such_passwords_her_code_still_works(world: World) -> None:
    code = issue_activation_code(by=world.staff["nurse"], patient_id=_record(world).pk).code
    for _n in range(8):
        _like_her_name(code)
    assert activate(code=code, username="eva-ok", password=PASSWORD, password_again=PASSWORD).is_active


def test_a_wrong_code_with_such_a_password_is_the_wrong_codes_answer(world: World) -> None:
    issue_activation_code(by=world.staff["nurse"], patient_id=_record(world).pk)
    refused = _like_her_name("ABCD-EFGH-JKLM")
    assert [e.field for e in refused.errors] == ["code"]


def test_the_code_is_kept_live_after_such_a_password(world: World) -> None:
    code = issue_activation_code(by=world.staff["nurse"], patient_id=_record(world).pk).code
    _like_her_name(code)
    assert ActivationCode.objects.filter(used_at__isnull=True).count() == 1


# --- A code stored as its giver is turned off (re37p finding 3) ----------------------------------------


_CHECKED_IN = {
    "activation": "keel.patients.services.activation",
    "link": "keel.selfguided.services",
    "reset": "keel.patients.services.password_reset",
}


def _turned_off_after_the_check(
    world: World, monkeypatch: pytest.MonkeyPatch, kind: str, change: Callable[[], object]
) -> None:
    """The staff change committed between the service's checks (its last, `death_refused`) and the store."""
    import importlib

    module = importlib.import_module(_CHECKED_IN[kind])
    checked = module.death_refused

    def check_then_changed(*args: object, **kwargs: object) -> bool:
        refused = checked(*args, **kwargs)
        change()
        return bool(refused)

    monkeypatch.setattr(module, "death_refused", check_then_changed)


@pytest.mark.parametrize("kind", KINDS)
def test_a_code_stored_as_she_is_turned_off_does_not_work(
    world: World, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    nurse, admin = world.staff["nurse"], world.staff["program_admin"]
    off = lambda: staff.deactivate(by=admin, program_slug="riverside", user_id=nurse.pk)  # noqa: E731
    _turned_off_after_the_check(world, monkeypatch, kind, off)
    code = _issue(kind, nurse, _patient_for(kind, world))
    assert not _works(kind, code, world)


@pytest.mark.parametrize("kind", KINDS)
def test_a_code_stored_as_her_role_changes_does_not_work(
    world: World, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    nurse, admin = world.staff["nurse"], world.staff["program_admin"]

    def to_auditor() -> object:
        return staff.change_role(by=admin, program_slug="riverside", user_id=nurse.pk, role="auditor")

    _turned_off_after_the_check(world, monkeypatch, kind, to_auditor)
    code = _issue(kind, nurse, _patient_for(kind, world))
    assert not _works(kind, code, world)


def test_a_code_stored_as_she_is_turned_off_is_voided_on_the_record(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    nurse, admin = world.staff["nurse"], world.staff["program_admin"]
    off = lambda: staff.deactivate(by=admin, program_slug="riverside", user_id=nurse.pk)  # noqa: E731
    _turned_off_after_the_check(world, monkeypatch, "activation", off)
    patient = _record(world)
    _issue("activation", nurse, patient)
    voided = AuditEvent.objects.filter(patient_id=patient.pk, reason=issued_codes.VOIDED_TURNED_OFF)
    assert voided.filter(action=Action.UPDATE, target_type="activation_code").count() == 1


def test_a_code_stored_while_she_may_still_give_codes_works(world: World) -> None:
    code = _issue("link", world.staff["nurse"], _record(world))
    assert _works("link", code, world)
