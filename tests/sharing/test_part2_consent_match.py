"""Issue #14, Part 2: a revoked consent stops the very next disclosure whatever the server's, the program's or
the client's clock and time zone say (revocation instants, never dates), and a disclosure goes only to the
recipient and for the purpose the consent names (42 CFR 2.31(a)(4)-(5)). Each refusal is audited and leaves
no disclosure row, through the page, the API and the service alike."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client, override_settings

from keel.audit.models import AuditEvent
from keel.sharing import services
from keel.sharing.models import Consent, ConsentRevocation, Disclosure
from keel.sharing.schemas import DisclosureIn
from keel.sharing.services import disclosures
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
RECIPIENT = "Dr. Ruth Example, Valley Primary Care"
CONSENT = {
    "recipient_name": RECIPIENT,
    "purpose": "treatment",
    "categories": ["medication", "screenings"],
    "expires_on": "2027-05-31",
    "signature": "Alicia Zamorano",
    "understood": True,
}
TO = {"recipient_name": RECIPIENT, "purpose": "treatment"}


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def _consent(world: World) -> int:
    response = _post(sign_in(Client(), world.alice.user), "/api/v1/me/consents", CONSENT)
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def _disclose_api(world: World, consent_id: int, **changes: Any) -> Any:
    nurse = sign_in(Client(), world.staff["nurse"])
    body = {"basis": "consent", "consent": consent_id, "password": PASSWORD, **TO, **changes}
    return _post(nurse, f"/api/v1/patients/{world.alice.pk}/disclosures", body)


def _disclose_page(world: World, consent_id: int, **changes: Any) -> Any:
    nurse = sign_in(Client(), world.staff["nurse"])
    body = {"basis": "consent", "consent": str(consent_id), "password": PASSWORD, **TO, **changes}
    return nurse.post(f"/patients/{world.alice.pk}/sharing/disclose/", body)


def _last_audit() -> AuditEvent:
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    return event


def _set_program_zone(world: World, zone: str) -> None:
    world.riverside.time_zone = zone
    world.riverside.save(update_fields=["time_zone"])


@contextmanager
def _revoked_in(
    world: World, server_zone: str, program_zone: str, instant: datetime
) -> Iterator[tuple[int, Any]]:
    """Alice's consent given and revoked at `instant`, the server and the program in the zones given; the
    block runs at that instant in those zones. Yields the consent's id and the revocation's response."""
    _set_program_zone(world, program_zone)
    with override_settings(TIME_ZONE=server_zone), time_machine.travel(instant, tick=False):
        consent_id = _consent(world)
        yield (
            consent_id,
            _post(sign_in(Client(), world.alice.user), f"/api/v1/me/consents/{consent_id}/revoke", {}),
        )


# --- Revocation is immediate -------------------------------------------------------------------------------

# (server zone, program zone, instant): the revocation's date in the server's zone is the program's tomorrow.
ZONES = [
    pytest.param("Pacific/Kiritimati", "America/New_York", NOW, id="server-ahead-of-program"),
    pytest.param("UTC", "Pacific/Honolulu", datetime(2026, 11, 25, 7, 0, tzinfo=UTC), id="program-behind"),
    pytest.param(
        "Asia/Tokyo", "America/Los_Angeles", datetime(2026, 11, 25, 20, 0, tzinfo=UTC), id="pacific"
    ),
]


@pytest.mark.parametrize(("server_zone", "program_zone", "instant"), ZONES)
def test_a_revoked_consent_stops_the_next_api_disclosure_whatever_the_zones(
    world: World, server_zone: str, program_zone: str, instant: datetime
) -> None:
    with _revoked_in(world, server_zone, program_zone, instant) as (consent_id, revoke):
        assert revoke.status_code == 200
        response = _disclose_api(world, consent_id)
    assert response.status_code == 422


@pytest.mark.parametrize(("server_zone", "program_zone", "instant"), ZONES)
def test_the_refusal_after_a_revocation_names_the_consent(
    world: World, server_zone: str, program_zone: str, instant: datetime
) -> None:
    with _revoked_in(world, server_zone, program_zone, instant) as (consent_id, _revoke):
        response = _disclose_api(world, consent_id)
    assert response.json()["errors"] == [{"field": "consent", "reason": "The patient revoked this consent."}]


@pytest.mark.parametrize(("server_zone", "program_zone", "instant"), ZONES)
def test_a_revoked_then_disclosed_attempt_is_audited_as_a_denial(
    world: World, server_zone: str, program_zone: str, instant: datetime
) -> None:
    with _revoked_in(world, server_zone, program_zone, instant) as (consent_id, _revoke):
        _disclose_api(world, consent_id)
    event = _last_audit()
    assert (event.action, event.outcome, event.target_type, event.patient_id, event.reason) == (
        "denied",
        "denied",
        "disclosure",
        world.alice.pk,
        "The patient revoked this consent.",
    )


@pytest.mark.parametrize(("server_zone", "program_zone", "instant"), ZONES)
def test_a_revoked_consent_leaves_no_disclosure_row(
    world: World, server_zone: str, program_zone: str, instant: datetime
) -> None:
    with _revoked_in(world, server_zone, program_zone, instant) as (consent_id, _revoke):
        _disclose_api(world, consent_id)
        _disclose_page(world, consent_id)
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize(("server_zone", "program_zone", "instant"), ZONES)
def test_a_revoked_consent_stops_the_next_page_disclosure(
    world: World, server_zone: str, program_zone: str, instant: datetime
) -> None:
    with _revoked_in(world, server_zone, program_zone, instant) as (consent_id, _revoke):
        page = _disclose_page(world, consent_id)
    assert page.status_code == 422


@pytest.mark.parametrize(("server_zone", "program_zone", "instant"), ZONES)
def test_the_patient_sees_the_consent_revoked_at_once(
    world: World, server_zone: str, program_zone: str, instant: datetime
) -> None:
    with _revoked_in(world, server_zone, program_zone, instant):
        listed = sign_in(Client(), world.alice.user).get("/api/v1/me/sharing").json()["consents"]
    assert [c["status"] for c in listed] == ["revoked"]


def test_a_revocation_recorded_by_a_clock_running_ahead_stops_a_server_whose_clock_runs_behind(
    world: World,
) -> None:
    # Server A (clock 5 minutes fast) records the revocation just after the program's midnight; server B
    # (on time) discloses two minutes later in real time, at what its clock calls 23:58 the day before.
    consent = Consent.objects.get(pk=_with_time(NOW, lambda: _consent(world)))
    services.revoke_consent(
        by=world.alice.user, consent_id=consent.pk, now=datetime(2026, 11, 26, 5, 0, 30, tzinfo=UTC)
    )
    with pytest.raises(services.SharingInvalid) as refused:
        services.disclose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            data=DisclosureIn.posted({"basis": "consent", "consent": consent.pk, "password": PASSWORD, **TO}),
            now=datetime(2026, 11, 26, 4, 58, tzinfo=UTC),
        )
    assert refused.value.errors[0].field == "consent"


def _with_time(instant: datetime, call: Any) -> Any:
    with time_machine.travel(instant, tick=False):
        return call()


@time_machine.travel(NOW, tick=False)
def test_a_time_the_client_sends_changes_nothing(world: World) -> None:
    consent_id = _consent(world)
    _post(sign_in(Client(), world.alice.user), f"/api/v1/me/consents/{consent_id}/revoke", {})
    before = "2026-11-24T12:00:00-05:00"  # the day before the revocation, as a client might claim
    response = _disclose_api(world, consent_id, disclosed_at=before, now=before, today="2026-11-24")
    assert response.status_code == 422


@time_machine.travel(NOW, tick=False)
def test_a_revocation_that_lands_between_the_check_and_the_write_wins(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    consent_id = _consent(world)
    real = disclosures._covered  # looked up where `disclose` calls it
    calls = []

    def covered_then_revoked(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        if not calls:  # the patient revokes right after the first check, before the write
            ConsentRevocation.objects.create(
                consent_id=consent_id, revoked_by=world.alice.user, revoked_at=NOW
            )
        calls.append(kwargs.get("lock", False))
        return result

    monkeypatch.setattr(disclosures, "_covered", covered_then_revoked)
    response = _disclose_api(world, consent_id)
    assert (response.status_code, calls, Disclosure.objects.count()) == (422, [False, True], 0)


@time_machine.travel(NOW, tick=False)
def test_a_revocation_that_lands_between_the_check_and_the_write_is_audited(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    consent_id = _consent(world)
    real = disclosures._covered  # looked up where `disclose` calls it

    def covered_then_revoked(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        if not kwargs.get("lock"):
            ConsentRevocation.objects.get_or_create(
                consent_id=consent_id, defaults={"revoked_by": world.alice.user, "revoked_at": NOW}
            )
        return result

    monkeypatch.setattr(disclosures, "_covered", covered_then_revoked)
    _disclose_api(world, consent_id)
    assert (_last_audit().action, _last_audit().reason) == ("denied", "The patient revoked this consent.")


# --- Recipient and purpose must match the consent ----------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_disclosure_to_another_recipient_is_refused_naming_the_recipient(world: World) -> None:
    response = _disclose_api(world, _consent(world), recipient_name="County Drug Court")
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (
        422,
        ["recipient_name"],
    )


@time_machine.travel(NOW, tick=False)
def test_a_disclosure_for_another_purpose_is_refused_naming_the_purpose(world: World) -> None:
    response = _disclose_api(world, _consent(world), purpose="employment")
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["purpose"])


@time_machine.travel(NOW, tick=False)
def test_a_mismatched_disclosure_is_audited_and_leaves_nothing(world: World) -> None:
    _disclose_api(world, _consent(world), recipient_name="County Drug Court", purpose="court_program")
    event = _last_audit()
    assert (event.action, event.target_type, Disclosure.objects.count()) == ("denied", "disclosure", 0)
    assert event.reason == (
        "recipient_name is not the recipient this consent names; "
        "purpose is not the purpose this consent names"
    )


@pytest.mark.parametrize("missing", ["recipient_name", "purpose"])
@time_machine.travel(NOW, tick=False)
def test_a_disclosure_request_must_carry_its_recipient_and_purpose(world: World, missing: str) -> None:
    consent_id = _consent(world)
    nurse = sign_in(Client(), world.staff["nurse"])
    body = {"basis": "consent", "consent": consent_id, "password": PASSWORD, **TO}
    del body[missing]
    response = _post(nurse, f"/api/v1/patients/{world.alice.pk}/disclosures", body)
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, [missing])


@time_machine.travel(NOW, tick=False)
def test_the_page_refuses_another_recipient_with_a_specific_message(world: World) -> None:
    page = _disclose_page(world, _consent(world), recipient_name="ACME Corp")
    html = page.content.decode()
    assert page.status_code == 422
    assert (
        "<strong>Who receives it (as the consent names them)</strong>: "
        "is not the recipient this consent names" in html
    )


@time_machine.travel(NOW, tick=False)
def test_the_page_refuses_another_purpose(world: World) -> None:
    page = _disclose_page(world, _consent(world), purpose="court_program")
    assert "<strong>Why it is shared</strong>: is not the purpose this consent names" in page.content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_recipient_may_be_typed_with_other_case_and_spacing(world: World) -> None:
    response = _disclose_api(world, _consent(world), recipient_name="dr ruth example  valley primary care")
    assert response.status_code == 201


@time_machine.travel(NOW, tick=False)
def test_the_row_records_the_consented_recipient_and_purpose(world: World) -> None:
    _disclose_api(world, _consent(world))
    row = Disclosure.objects.get()
    assert (row.recipient_name, row.purpose) == (RECIPIENT, "treatment")


@time_machine.travel(NOW, tick=False)
def test_the_accounting_shows_the_purpose(world: World) -> None:
    _disclose_api(world, _consent(world))
    accounting = sign_in(Client(), world.alice.user).get("/api/v1/me/sharing").json()["disclosures"]
    assert [d["purpose"] for d in accounting] == ["treatment"]


def test_a_disclosure_the_moment_before_the_revocation_still_stands(world: World) -> None:
    with time_machine.travel(NOW, tick=False):
        consent_id = _consent(world)
        assert _disclose_api(world, consent_id).status_code == 201
    with time_machine.travel(NOW + timedelta(seconds=1), tick=False):
        _post(sign_in(Client(), world.alice.user), f"/api/v1/me/consents/{consent_id}/revoke", {})
        assert _disclose_api(world, consent_id).status_code == 422
    assert Disclosure.objects.count() == 1
