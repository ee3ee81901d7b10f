"""Review 37d holes 1-3, lane fix37e: the codes a staff member handed out for patients (an activation code, a
self-guided link code, a desk password-reset code) stop working when she leaves: her account turned off (the
staff page, the API, `keel staff deactivate`) or her membership of one program ended (she works elsewhere
too: only that program's codes). In the deactivation's own transaction, each voiding audited in the
patient's program trail (no code in any row). Used codes and codes others gave stay as they were; the
person gets a new code from another staff member."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from keel.accounts import staff
from keel.accounts.models import Program, ProgramMembership, User
from keel.audit.models import AuditEvent
from keel.core.rules.inputs import FieldsInvalid
from keel.patients.models import ActivationCode, CareTeamMember, Enrollment, Patient
from keel.patients.schemas import ResetCodeIn
from keel.patients.services import issue_reset_code, reset_password_with_code
from keel.patients.services.activation import activate, issue_activation_code
from keel.selfguided.errors import SelfGuidedInvalid
from keel.selfguided.models import LinkCode
from keel.selfguided.services import issue_link_code, join_program
from tests.conftest import PASSWORD, World, sign_in
from tests.lock_waits import RACE_ON_POSTGRESQL, run, wait_for_a_lock_waiter

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a new and long enough phrase 37"
KINDS = ["activation", "link", "reset"]


def _record(world: World, program: Program | None = None, number: str = "RR-3711") -> Patient:
    """A record without an account, in care, on the program's clinical staff's team."""
    program = program or world.riverside
    patient = Patient.objects.create(
        program=program,
        record_number=number,
        given_name="Evangelina",
        family_name="Llorente",
        date_of_birth=date(1988, 3, 9),
    )
    Enrollment.objects.create(
        patient=patient, program=program, started_on=timezone.localdate() - timedelta(days=20)
    )
    if program.pk == world.riverside.pk:
        for role in ("nurse", "prescriber", "counselor"):
            CareTeamMember.objects.create(patient=patient, user=world.staff[role])
    return patient


def _issue(kind: str, by: User, patient: Patient) -> str:
    """A code of this kind by `by` for `patient` (the reset kind: for a record with an account)."""
    if kind == "activation":
        return issue_activation_code(by=by, patient_id=patient.pk).code
    if kind == "link":
        return issue_link_code(by=by, patient_id=patient.pk).code
    return issue_reset_code(
        by=by, patient_id=patient.pk, data=ResetCodeIn.posted({"identity_checked": True})
    ).code


def _patient_for(kind: str, world: World) -> Patient:
    return world.alice if kind == "reset" else _record(world)


def _works(kind: str, code: str, world: World, username: str = "evangelina-l") -> bool:
    """Whether the code does what it is for (True), or is answered as a code that does not work (False)."""
    try:
        if kind == "activation":
            activate(code=code, username=username, password=PASSWORD, password_again=PASSWORD)
        elif kind == "link":
            join_program(
                user=world.dana,
                code=code,
                bring_history=False,
                signature="Evangelina Llorente",
                words="I join my program.",
                language="en",
            )
        else:
            reset_password_with_code(code=code, password=NEW_PASSWORD, password_again=NEW_PASSWORD)
    except (FieldsInvalid, SelfGuidedInvalid):
        return False
    return True


def _by_page(world: World, user: User) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    admin.post(f"/program/staff/{user.pk}/deactivate/?program=riverside", {"password": PASSWORD})


def _by_api(world: World, user: User) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    admin.post(
        f"/api/v1/programs/riverside/staff/{user.pk}/deactivate", "{}", content_type="application/json"
    )


def _by_cli(world: World, user: User) -> None:
    args = ["--by", "r-program_admin", "--program", "riverside", "--user-id", str(user.pk)]
    call_command("staff", "deactivate", *args, stdout=StringIO())


def _by_service(world: World, user: User) -> None:
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=user.pk)


ROUTES: dict[str, Callable[[World, User], None]] = {"page": _by_page, "api": _by_api, "cli": _by_cli}


# --- Every route that turns an account off ---------------------------------------------------------------


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("kind", KINDS)
def test_turning_the_issuer_off_voids_her_unused_code(world: World, route: str, kind: str) -> None:
    nurse = world.staff["nurse"]
    code = _issue(kind, nurse, _patient_for(kind, world))
    ROUTES[route](world, nurse)
    assert not _works(kind, code, world)


@pytest.mark.parametrize("route", list(ROUTES))
def test_the_route_turned_the_account_off(world: World, route: str) -> None:
    ROUTES[route](world, world.staff["nurse"])
    assert not User.objects.get(pk=world.staff["nurse"].pk).is_active


# --- Leaving one program of several -------------------------------------------------------------------


def _works_in_lakeside_too(world: World) -> User:
    nurse: User = world.staff["nurse"]
    ProgramMembership.objects.create(user=nurse, program=world.lakeside)
    return nurse


@pytest.mark.parametrize("kind", KINDS)
def test_leaving_the_program_voids_her_code_for_its_patient(world: World, kind: str) -> None:
    nurse = _works_in_lakeside_too(world)
    code = _issue(kind, nurse, _patient_for(kind, world))
    _by_service(world, nurse)
    assert not _works(kind, code, world)


def test_leaving_the_program_keeps_her_account_on(world: World) -> None:
    nurse = _works_in_lakeside_too(world)
    _by_service(world, nurse)
    assert User.objects.get(pk=nurse.pk).is_active


def test_leaving_one_program_keeps_her_code_for_another_programs_patient(world: World) -> None:
    nurse = _works_in_lakeside_too(world)
    theirs = _record(world, world.lakeside, "LH-3711")
    CareTeamMember.objects.create(patient=theirs, user=nurse)
    code = _issue("activation", nurse, theirs)
    _by_service(world, nurse)
    assert _works("activation", code, world)


# --- What stays as it was ------------------------------------------------------------------------------


def test_a_used_activation_code_is_kept_as_it_was(world: World) -> None:
    nurse = world.staff["nurse"]
    code = _issue("activation", nurse, _record(world))
    _works("activation", code, world)
    used = ActivationCode.objects.get(created_by=nurse, purpose="activate")
    _by_service(world, nurse)
    assert ActivationCode.objects.get(pk=used.pk).used_at == used.used_at


def test_a_used_reset_code_is_kept_as_it_was(world: World) -> None:
    nurse = world.staff["nurse"]
    _works("reset", _issue("reset", nurse, world.alice), world)
    used = ActivationCode.objects.get(created_by=nurse, purpose="reset")
    _by_service(world, nurse)
    assert ActivationCode.objects.get(pk=used.pk).used_at == used.used_at


def test_a_used_link_code_is_kept_as_it_was(world: World) -> None:
    nurse = world.staff["nurse"]
    _works("link", _issue("link", nurse, _record(world)), world)
    used = LinkCode.objects.get(created_by=nurse)
    _by_service(world, nurse)
    assert LinkCode.objects.get(pk=used.pk).used_at == used.used_at


@pytest.mark.parametrize("kind", KINDS)
def test_a_code_another_staff_member_gave_keeps_working(world: World, kind: str) -> None:
    code = _issue(kind, world.staff["prescriber"], _patient_for(kind, world))
    _by_service(world, world.staff["nurse"])
    assert _works(kind, code, world)


@pytest.mark.parametrize("kind", KINDS)
def test_the_person_gets_a_new_code_from_another_staff_member(world: World, kind: str) -> None:
    patient = _patient_for(kind, world)
    _issue(kind, world.staff["nurse"], patient)
    _by_service(world, world.staff["nurse"])
    code = _issue(kind, world.staff["prescriber"], patient)
    assert _works(kind, code, world)


def test_a_refused_deactivation_leaves_her_code_working(world: World) -> None:
    """The voiding is in the deactivation's transaction: refused (she is the last clinician a person in care
    has), nothing of it stays."""
    nurse = world.staff["nurse"]
    patient = _record(world)
    CareTeamMember.objects.filter(patient=patient).exclude(user=nurse).delete()
    code = _issue("activation", nurse, patient)
    with pytest.raises(FieldsInvalid):
        _by_service(world, nurse)
    assert _works("activation", code, world)


# --- The audit trail ------------------------------------------------------------------------------------

VOIDED_KIND = {"activation": "activation_code", "link": "link_code", "reset": "password_reset"}


def _voided(kind: str, patient: Patient) -> Any:
    return AuditEvent.objects.filter(
        target_type=VOIDED_KIND[kind], patient_id=patient.pk, reason__startswith="code void"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_the_voiding_is_in_the_patients_program_trail(world: World, kind: str) -> None:
    patient = _patient_for(kind, world)
    _issue(kind, world.staff["nurse"], patient)
    _by_service(world, world.staff["nurse"])
    assert _voided(kind, patient).get().program_id == patient.program_id


def test_the_voiding_names_the_admin_who_turned_her_off(world: World) -> None:
    patient = _record(world)
    _issue("activation", world.staff["nurse"], patient)
    _by_service(world, world.staff["nurse"])
    assert _voided("activation", patient).get().actor_id == world.staff["program_admin"].pk


@pytest.mark.parametrize("kind", KINDS)
def test_no_audit_row_holds_the_code(world: World, kind: str) -> None:
    code = _issue(kind, world.staff["nurse"], _patient_for(kind, world))
    _by_service(world, world.staff["nurse"])
    letters = "".join(c for c in code if c.isalnum())
    rows = [f"{e.reason} {e.target_id} {e.detail}" for e in AuditEvent.objects.all()]
    assert [r for r in rows if letters in r.replace("-", "") or code in r] == []


# --- A code used while its issuer is turned off (PostgreSQL: two connections at once) --------------------


def _join_locks(link: LinkCode, held: threading.Event, go: threading.Event) -> Callable[[], bool]:
    """A link code being used, its locks in `selfguided.services._locked_code_and_record`'s order: the
    code's row, then (after `go`) its person's."""

    def work() -> bool:
        with transaction.atomic():
            LinkCode.objects.select_for_update().filter(pk=link.pk).first()
            held.set()
            go.wait(timeout=30)
            Patient.objects.select_for_update(no_key=True).filter(pk=link.patient_id).first()
        return True

    return work


def _race(world: World) -> dict[str, Any]:
    """The nurse's link code being used (its row locked, its person's not yet) while an admin turns her off:
    the deactivation waits for the code's row before it locks the people she cares for, so both end (one
    lock order; the other order deadlocks)."""
    nurse = world.staff["nurse"]
    _issue("link", nurse, _record(world))
    held, go = threading.Event(), threading.Event()
    outcomes: dict[str, Any] = {"waited": False}
    one = run(_join_locks(LinkCode.objects.get(created_by=nurse), held, go), outcomes, "join")
    assert held.wait(timeout=30)
    two = run(lambda: _by_service(world, nurse), outcomes, "deactivation")
    outcomes["waited"] = wait_for_a_lock_waiter()
    go.set()
    one.join(timeout=60)
    two.join(timeout=60)
    return outcomes


def _on_postgresql(test: Callable[..., None]) -> Callable[..., None]:
    for mark in RACE_ON_POSTGRESQL:
        test = mark(test)
    return test


@_on_postgresql
def test_a_code_used_as_its_issuer_is_turned_off_ends_its_use(world: World) -> None:
    assert _race(world)["join"] is True


@_on_postgresql
def test_a_code_used_as_its_issuer_is_turned_off_still_lets_her_be_turned_off(world: World) -> None:
    _race(world)
    assert not User.objects.get(pk=world.staff["nurse"].pk).is_active


@_on_postgresql
def test_the_deactivation_waited_for_the_code_in_use(world: World) -> None:
    assert _race(world)["waited"]
