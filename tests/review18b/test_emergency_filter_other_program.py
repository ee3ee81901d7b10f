"""Review 18b: one program's "Only emergency access" view lists another program's break-the-glass rows."""

from __future__ import annotations

from typing import Any

import pytest

from keel.accounts.models import ProgramMembership
from keel.audit import queries as audit_queries
from keel.sharing.services import emergency_access
from keel.treatment.services.qtc import record_qtc
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_emergency_filter_keeps_to_the_readers_programs(world: Any) -> None:
    """Scenario: prescriber P works in Riverside and also in Lakeside (a clinician may work in several
    programs). At Lakeside, P breaks the glass on Charlie (Lakeside's patient, not on P's team there) and
    records a QTc. Riverside's auditor opens "Only emergency access" (`list_events(emergency=True)`): the
    trail is scoped by `Q(program_id__in=programs) | Q(actor_id__in=staff)`, so every row P wrote at
    Lakeside is listed, Charlie's patient id, the QTc decision and the emergency mark with them.

    Impact: a Riverside auditor learns that a Lakeside patient had a medical emergency and what was done
    (42 CFR Part 2: each program's records stay in it; SECURITY.md T1 route isolation, T12). The emergency
    filter makes exactly these rows easy to pick out.

    Safe outcome: the emergency filter (and the trail) shows only rows about the reader's programs'
    patients (another program's patient rows never reach it).
    """
    prescriber, auditor = world.staff["prescriber"], world.staff["auditor"]
    ProgramMembership.objects.create(user=prescriber, program=world.lakeside)
    emergency_access(
        by=prescriber, record_number="LH-0001", reason="collapsed at the dosing window", password=PASSWORD
    )
    record_qtc(by=prescriber, patient_id=world.charlie.pk, qtc_ms=430)

    shown = audit_queries.list_events(auditor, emergency=True)
    assert not [e for e in shown if e.patient_id == world.charlie.pk]
