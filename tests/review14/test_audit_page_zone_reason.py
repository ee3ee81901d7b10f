"""Issue #14, smaller holes: "The audit page shows times in the zone it says, and a reason column." The
page's header said "When (UTC)" but rendered the server zone (America/New_York), with no reason column."""

from datetime import UTC
from typing import Any

import pytest


@pytest.mark.django_db
def test_audit_page_time_is_in_the_zone_it_names(world: Any, signed_in: Any) -> None:
    from keel.audit import services as audit

    client = signed_in("auditor")
    event = audit.record(
        actor=world.staff["counselor"],
        action="read",
        program_id=world.riverside.pk,
        target_type="probe",
        reason="zz-probe-reason",
    )
    page = client.get("/audit/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "When (UTC)" in text
    utc = event.occurred_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert f">{event.pk}<" in text, "event not listed"
    assert utc in text, f"the page says UTC but does not show {utc} for event {event.pk}"


@pytest.mark.django_db
def test_audit_page_has_a_reason_column(world: Any, signed_in: Any) -> None:
    from keel.audit import services as audit

    client = signed_in("auditor")
    audit.record(
        actor=world.staff["counselor"],
        action="read",
        program_id=world.riverside.pk,
        target_type="probe",
        reason="zz-probe-reason",
    )
    text = client.get("/audit/").content.decode()
    assert "zz-probe-reason" in text, "the audit page shows no reason"
