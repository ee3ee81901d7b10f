"""Issue #17: one getter for a patient an action is about (`policy.get_patient_for_action_or_404`, as
healthchecks' `_get_rw_check_for_user`). Out of scope or missing: 404, one audited denial. In scope but the
role may not: 403, one audited denial against the patient. Emergency access (break the glass) counts only
where the action allows it: it is for reading a record in an emergency, never for giving someone account
access (activation codes, link codes). A release to another system checks the role before the consent.
And no view or API handler fetches a Patient with the ORM outside the getter."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from keel.access import policy
from keel.audit.models import Action, AuditEvent
from keel.patients import services
from keel.patients.models import ActivationCode
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[2] / "src" / "keel"


def _denials(user: Any, target_type: str, patient_id: int | None = None) -> list[str]:
    rows = AuditEvent.objects.filter(actor_id=user.pk, action=Action.DENIED, target_type=target_type)
    if patient_id is not None:
        rows = rows.filter(patient_id=patient_id)
    return list(rows.values_list("reason", flat=True))


def _break_the_glass(world: World) -> Any:
    from keel.sharing import services as sharing

    nurse = world.staff["nurse"]  # on Alice's care team, not on Bob's
    sharing.emergency_access(
        by=nurse, record_number=world.bob.record_number, reason="overdose at the window", password=PASSWORD
    )
    return nurse


# --- 404 vs 403, each refusal audited once -----------------------------------------------------------------


def test_out_of_scope_is_a_404_audited_once(world: World) -> None:
    nurse = world.staff["nurse"]
    with pytest.raises(policy.PatientNotFound):
        policy.get_patient_for_action_or_404(nurse, world.charlie.pk, Action.UPDATE, target_type="probe")
    assert _denials(nurse, "probe") == ["update identity: outside scope or missing"]


def test_in_scope_but_not_allowed_is_a_403_audited_once_against_the_patient(world: World) -> None:
    nurse = world.staff["nurse"]
    with pytest.raises(policy.ActionNotAllowed) as refused:
        policy.get_patient_for_action_or_404(
            nurse, world.alice.pk, Action.UPDATE, target_type="probe", allowed=False, what="probe"
        )
    assert isinstance(refused.value, PermissionDenied)  # Django's and the API's 403
    assert _denials(nurse, "probe", world.alice.pk) == ["role may not probe"]


def test_allowed_may_be_a_predicate_on_user_and_patient(world: World) -> None:
    nurse = world.staff["nurse"]
    seen: list[tuple[Any, Any]] = []

    def allowed(user: Any, patient: Any) -> bool:
        seen.append((user.pk, patient.pk))
        return False

    with pytest.raises(policy.ActionNotAllowed):
        policy.get_patient_for_action_or_404(
            nurse, world.alice.pk, Action.UPDATE, target_type="probe", allowed=allowed, what="probe"
        )
    assert seen == [(nurse.pk, world.alice.pk)]


def test_the_app_names_its_own_error_and_message(world: World) -> None:
    class Refused(Exception):
        pass

    with pytest.raises(Refused, match="not you"):
        policy.get_patient_for_action_or_404(
            world.staff["nurse"],
            world.alice.pk,
            Action.UPDATE,
            allowed=False,
            error=Refused,
            message="not you",
        )


@pytest.mark.parametrize(
    ("role", "call", "target_type", "reason"),
    [
        (
            "peer_specialist",
            lambda by, pk: services.issue_activation_code(by=by, patient_id=pk),
            "activation_code",
            "role may not issue activation codes",
        ),
        (
            "nurse",
            lambda by, pk: services.add_to_care_team(by=by, patient_id=pk, user_id=by.pk),
            "care_team",
            "role may not manage care teams",
        ),
    ],
    ids=["activation_code", "care_team"],
)
def test_each_role_refusal_is_audited_once(
    world: World, role: str, call: Any, target_type: str, reason: str
) -> None:
    by = world.staff[role]
    with pytest.raises(services.NotAllowed):
        call(by, world.alice.pk)
    assert _denials(by, target_type, world.alice.pk) == [reason]


# --- Emergency access counts only where the action allows it ----------------------------------------------


def test_emergency_access_does_not_count_by_default(world: World) -> None:
    nurse = _break_the_glass(world)
    with pytest.raises(policy.ActionNotAllowed):
        policy.get_patient_for_action_or_404(
            nurse, world.bob.pk, Action.UPDATE, target_type="probe", what="probe"
        )
    assert _denials(nurse, "probe", world.bob.pk) == ["emergency access: may not probe"]


def test_emergency_access_counts_where_the_action_allows_it(world: World) -> None:
    nurse = _break_the_glass(world)
    patient = policy.get_patient_for_action_or_404(
        nurse, world.bob.pk, Action.READ, target_type="probe", emergency_access=True
    )
    assert patient.pk == world.bob.pk
    reads = AuditEvent.objects.filter(actor_id=nurse.pk, action=Action.READ, target_type="probe")
    assert list(reads.values_list("reason", flat=True)) == ["emergency access"]


def test_the_timeline_is_read_through_emergency_access(world: World) -> None:
    from keel.careteam import timeline

    nurse = _break_the_glass(world)
    timeline.timeline(nurse, world.bob.pk)
    reads = AuditEvent.objects.filter(actor_id=nurse.pk, action=Action.READ, target_type="patient_timeline")
    assert (_denials(nurse, "patient_timeline"), list(reads.values_list("reason", flat=True))) == (
        [],
        ["emergency access"],
    )


def test_no_activation_code_through_emergency_access(world: World) -> None:
    nurse = _break_the_glass(world)
    with pytest.raises(services.NotAllowed):
        services.issue_activation_code(by=nurse, patient_id=world.bob.pk)
    assert _denials(nurse, "activation_code", world.bob.pk) == [
        "emergency access: may not issue activation codes"
    ]
    assert not ActivationCode.objects.filter(patient=world.bob).exists()


def test_no_link_code_through_emergency_access(world: World) -> None:
    from keel.selfguided import services as selfguided
    from keel.selfguided.models import LinkCode

    nurse = _break_the_glass(world)
    with pytest.raises(PermissionError):
        selfguided.issue_link_code(by=nurse, patient_id=world.bob.pk)
    assert _denials(nurse, "link_code", world.bob.pk) == ["emergency access: may not link accounts"]
    assert not LinkCode.objects.filter(patient=world.bob).exists()


# --- A release to another system: the role before the consent ----------------------------------------------


@pytest.mark.parametrize("consent_id", ["999999", "not-a-number", ""])
def test_release_to_system_checks_the_role_before_the_consent(world: World, consent_id: str) -> None:
    from keel.sharing.errors import SharingNotAllowed
    from keel.sharing.services.releases import release_to_system

    admin = world.staff["program_admin"]  # the clinical area, but never discloses
    with pytest.raises(SharingNotAllowed):
        release_to_system(
            by=admin,
            patient_id=world.alice.pk,
            consent_id=consent_id,
            target_type="fhir_read",
            description="probe",
            build=lambda patient, now: {},
        )
    # one denial, and it says nothing about the consent
    assert _denials(admin, "fhir_read", world.alice.pk) == ["role may not export or disclose a record"]


# --- No view or API handler fetches a Patient outside the getter -------------------------------------------


def _handler_modules() -> list[Path]:
    found: list[Path] = [SRC / "api.py"]
    for app in sorted(p for p in SRC.iterdir() if p.is_dir()):
        for name in ("views", "api"):
            found += sorted(app.glob(f"{name}*.py"))
            if (app / name).is_dir():
                found += sorted((app / name).rglob("*.py"))
    return [p for p in found if p.exists()]


def _orm_patient_fetches(path: Path) -> list[str]:
    return _fetches(path.read_text(encoding="utf-8"), str(path.relative_to(SRC)))


def _fetches(text: str, label: str) -> list[str]:
    tree = ast.parse(text)
    hits: list[str] = []
    for node in ast.walk(tree):
        attribute = isinstance(node, ast.Attribute) and node.attr == "objects"
        if attribute and isinstance(node.value, ast.Name) and node.value.id == "Patient":
            hits.append(f"{label}:{node.lineno} Patient.objects")
        call = isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        if call and node.func.id in {"get_object_or_404", "get_list_or_404"} and node.args:
            first = node.args[0]
            named = first.id if isinstance(first, ast.Name) else ast.unparse(first)
            if "Patient" in named:
                hits.append(f"{label}:{node.lineno} {node.func.id}({named})")
    return sorted(hits)


def test_the_scan_sees_the_handler_modules() -> None:
    names = {str(p.relative_to(SRC)) for p in _handler_modules()}
    assert {"patients/api.py", "api.py"} <= names
    assert any(n.startswith("treatment/views") for n in names)


def test_no_view_or_api_fetches_a_patient_outside_the_getter() -> None:
    hits = [hit for path in _handler_modules() for hit in _orm_patient_fetches(path)]
    assert hits == []


def test_the_scan_would_see_a_fetch() -> None:
    text = "def f(pk):\n    return Patient.objects.get(pk=pk), get_object_or_404(Patient, pk=pk)\n"
    assert _fetches(text, "probe") == ["probe:2 Patient.objects", "probe:2 get_object_or_404(Patient)"]
