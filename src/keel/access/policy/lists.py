"""A read that shows many patients (lists, the dosing window, FHIR searches) and its one audit row, naming the
ones seen only through emergency access and, for one program's people, that program (review 19b).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Q

from keel.access.policy.areas import Area
from keel.access.policy.emergency import emergency_only_ids
from keel.access.policy.fetch import PrefetchLookup, refuse_own_after_death, refuse_own_search_after_death
from keel.access.policy.scope import patients_visible_to
from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action
from keel.patients.models import (
    Patient,
)


def audit_list_read(
    user: User,
    *,
    target_type: str,
    patient_ids: list[int],
    target_id: str = "",
    detail: Mapping[str, object] | None = None,
    emergency_ids: list[int] | None = None,
    programs: dict[int, int] | None = None,
) -> None:
    """The one audit row for a read that shows many patients (lists, the dosing window, FHIR searches); the
    ones seen only through emergency access are named and the row is marked through emergency access (its
    sealed field, as `get_patient_or_404` marks a single read: SECURITY.md T12, review 19b). `emergency_ids`:
    those ids (sorted), when the caller's own statement asked it (the dosing window's swapped row); else
    `emergency_only_ids` reads them.

    `programs` (each listed patient's program id, which the caller's read already holds): a list of one
    program's people is that program's row (on its chain, with its id), so it stays in that program's trail
    after its reader leaves and never shows in another's (review 19b). A list spanning several programs (a
    clinician of two) stays one row of no program, shown by its reader's programs, as is a list of no one:
    one audit row per read (review 21 holds it), and no statement added.
    (Left open: such a row leaves a program's trail when its reader leaves that program.)"""
    emergency = emergency_only_ids(user, patient_ids) if emergency_ids is None else emergency_ids
    owners = {programs[pk] for pk in patient_ids} if programs is not None else set()
    shown: dict[str, object] = {**(detail or {}), "patient_ids": patient_ids}
    if emergency:
        shown["emergency_patient_ids"] = emergency
    audit.record(
        actor=user,
        action=Action.READ,
        program_id=owners.pop() if len(owners) == 1 else None,
        target_type=target_type,
        target_id=target_id,
        detail=shown,
        through_emergency=bool(emergency),  # the sealed field: the "Only emergency access" view lists it
    )


def list_patients_audited(
    user: User,
    *,
    area: Area = Area.IDENTITY,
    prefetch: tuple[PrefetchLookup, ...] = (),
    where: Q | None = None,
) -> list[Patient]:
    """The caller's visible patients (narrowed by `where`, a Q, when given), with one audit row for the list
    naming the ids shown."""
    visible = patients_visible_to(user, area)
    if where is not None:
        visible = visible.filter(where)
    patients = list(visible.select_related("program").prefetch_related(*prefetch))
    for patient in patients:  # her own row, for a patient's account: refused after a death (lane fix37g)
        refuse_own_after_death(user, patient, Action.READ, "patient_list", None)
    audit_list_read(
        user,
        target_type="patient_list",
        patient_ids=[p.pk for p in patients],
        programs={p.pk: p.program_id for p in patients},
    )
    return patients


def list_patient_values_audited(
    user: User, field: str, *, area: Area = Area.IDENTITY, where: Q | None = None
) -> list[tuple[int, str]]:
    """`list_patients_audited` as plain values: the same people, the same one audit row naming them, each
    as (pk, the value of `field`, a text column such as "program__time_zone") instead of a Patient, in no
    order (the caseload, issue #21). Her own account after a death recorded: refused, audited, as
    `list_patients_audited` and every other own read (`refuse_own_search_after_death`, lane fix38b), whatever
    `where` matches."""
    refuse_own_search_after_death(user, "patient_list", "")
    visible = patients_visible_to(user, area)
    if where is not None:
        visible = visible.filter(where)
    # In no order (the caller orders them; sorting 100,000 people by name spilled to disk, issue #21); the
    # audit row names them by id, in order.
    found = list(visible.order_by().values_list("pk", "program_id", field))
    programs = {p[0]: p[1] for p in found}  # the read is its programs' to audit (review 19b)
    audit_list_read(user, target_type="patient_list", patient_ids=sorted(programs), programs=programs)
    return [(p[0], p[2]) for p in found]
