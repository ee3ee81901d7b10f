"""Review 19b: a list read of one program's people is that program's row (a list over several stays one
row of no program), an attempt at emergency access is in the emergency view without being marked, and a
prescriber's typed reason stays on the clinical row, not in the audit trail."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _two_program_nurse(world: Any) -> Any:
    from keel.accounts.models import ProgramMembership
    from keel.patients.models import CareTeamMember

    nurse = world.staff["nurse"]
    ProgramMembership.objects.create(user=nurse, program=world.lakeside)
    CareTeamMember.objects.create(patient=world.charlie, user=nurse)
    return nurse


def _list_rows(nurse: Any) -> list[Any]:
    from keel.audit.models import AuditEvent

    return list(AuditEvent.objects.filter(actor_id=nurse.pk, target_type="patient_list").order_by("id"))


def test_a_list_of_one_programs_people_is_that_programs_row(world: Any) -> None:
    from keel.access import policy

    policy.list_patient_values_audited(world.staff["nurse"], "program__time_zone")
    assert [r.program_id for r in _list_rows(world.staff["nurse"])] == [world.riverside.pk]


def test_a_list_over_two_programs_stays_one_row_of_no_program(world: Any) -> None:
    from keel.access import policy

    nurse = _two_program_nurse(world)
    policy.list_patients_audited(nurse)
    assert [r.program_id for r in _list_rows(nurse)] == [None]


def test_the_caseload_values_keep_their_shape(world: Any) -> None:
    from keel.access import policy

    nurse = _two_program_nurse(world)
    people = policy.list_patient_values_audited(nurse, "program__time_zone")
    assert sorted(people) == sorted(
        [(world.alice.pk, world.riverside.time_zone), (world.charlie.pk, world.lakeside.time_zone)]
    )


def test_another_programs_auditor_does_not_see_a_riverside_list(world: Any) -> None:
    from keel.access import policy
    from keel.accounts import services
    from keel.accounts.models import ProgramMembership
    from keel.audit import queries

    nurse = world.staff["nurse"]
    ProgramMembership.objects.create(user=nurse, program=world.lakeside)
    policy.list_patients_audited(nurse)  # Alice only: Riverside's row
    auditor, _device = services.create_user(
        username="l-auditor", role="auditor", password=PASSWORD, program_slug="lakeside"
    )
    row = _list_rows(nurse)[-1]
    assert row.pk not in [e.pk for e in queries.list_events(auditor, limit=500)]


def test_a_list_of_no_one_is_a_row_of_no_program(world: Any) -> None:
    from keel.access import policy

    policy.audit_list_read(world.staff["nurse"], target_type="patient_list", patient_ids=[], programs={})
    assert [r.program_id for r in _list_rows(world.staff["nurse"])] == [None]


def test_a_list_read_only_of_the_care_teams_people_is_not_marked(world: Any) -> None:
    from keel.access import policy

    policy.list_patients_audited(world.staff["nurse"])
    assert [r.through_emergency for r in _list_rows(world.staff["nurse"])] == [False]


def test_a_refused_attempt_at_emergency_access_is_not_marked(world: Any) -> None:
    from keel.audit.models import AuditEvent
    from keel.sharing import services

    nurse = world.staff["nurse"]
    with pytest.raises(services.SharingInvalid):
        services.emergency_access(
            by=nurse, record_number=world.bob.record_number, reason="found unresponsive", password="wrong one"
        )
    refused = AuditEvent.objects.filter(actor_id=nurse.pk, target_type="emergency_access").latest("id")
    assert refused.through_emergency is False


def test_an_override_reason_stays_on_the_override(world: Any) -> None:
    from keel.treatment import services
    from keel.treatment.models import DoseOverride

    reason = "Reports daily cocaine use, a split dose today"
    row = services.add_override(
        by=world.staff["prescriber"], patient_id=world.alice.pk, max_total_mg=120, reason=reason
    )
    assert DoseOverride.objects.get(pk=row.pk).reason == reason


def test_an_override_audit_row_says_only_that_a_reason_was_recorded(world: Any) -> None:
    from keel.audit.models import AuditEvent
    from keel.treatment import services

    services.add_override(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        max_total_mg=120,
        reason="Reports daily cocaine use, a split dose today",
    )
    row = AuditEvent.objects.get(target_type="dose_override", action="create")
    assert row.reason == "prescriber's reason recorded on the override"
