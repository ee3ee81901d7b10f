"""SECURITY.md T1 and T2: every route x role x target against the checked-in table, with its audit rows."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from keel.audit.models import AuditEvent
from tests.access.expectations import ORDERS_VERSION, ROLES, ROUTES
from tests.conftest import World, audit_count, sign_in
from tests.fhir_r4 import assert_valid_r4

TARGETS = ["own", "same_program", "other_program"]


def _route_names(resolver: Any = None, ns: str = "") -> set[str]:
    names: set[str] = set()
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            names |= _route_names(p, ns + (f"{p.namespace}:" if p.namespace else ""))
        elif isinstance(p, URLPattern):
            names.add(ns + (p.name or f"<unnamed {p.pattern}>"))
    return names


def test_every_route_has_expectations() -> None:
    missing = _route_names() - set(ROUTES)
    assert not missing, f"routes without access expectations: {sorted(missing)}"


def test_no_stale_expectations() -> None:
    assert set(ROUTES) <= _route_names()


def _client(world: World, role: str) -> Client:
    client = Client()
    return client if role == "anonymous" else sign_in(client, world.user(role))


def _request(
    client: Client, method: str, path: str, body: dict[str, object] | None, patient: Any = None
) -> Any:
    """`ORDERS_VERSION` in the body: the `orders_version` of `patient`'s orders now (an order's body)."""
    if body and ORDERS_VERSION in body.values():
        from keel.treatment.queries import orders_version

        body = {k: orders_version(patient) if v == ORDERS_VERSION else v for k, v in body.items()}
    if method == "GET":
        return client.get(path)
    if path.startswith("/api/"):
        return client.generic(method, path, json.dumps(body or {}), content_type="application/json")
    return client.generic(
        method,
        path,
        (body and "&".join(f"{k}={v}" for k, v in body.items())) or "",
        content_type="application/x-www-form-urlencoded",
    )


def _assessment_for(patient: Any) -> Any:
    from django.utils import timezone

    from keel.assessments.models import Assessment
    from keel.core.instruments.scoring import score

    answers = {f"phq9_{i}": 0 for i in range(1, 10)}
    return Assessment.objects.create(
        patient=patient,
        program=patient.program,
        instrument="phq9",
        instrument_version="1",
        answers=answers,
        total=0,
        band="minimal",
        result=score("phq9", answers).as_dict(),
        filled_by=patient.user,
        filled_at=timezone.now(),
    )


def _photo_for(patient: Any) -> None:
    from django.utils import timezone

    from keel.patients.models import PatientPhoto
    from tests.patients.test_photos import jpeg_bytes

    PatientPhoto.objects.create(
        patient=patient,
        data=jpeg_bytes(),
        content_type="image/jpeg",
        sha256="0" * 64,
        width=8,
        height=8,
        uploaded_at=timezone.now(),
    )


def _identifying(patient: Any) -> list[str]:
    return [patient.given_name, patient.family_name, patient.record_number]


ROLE_CASES = [(name, role) for name, r in ROUTES.items() if not r.patient_scoped for role in ROLES]
PATIENT_CASES = [
    (name, role, target)
    for name, r in ROUTES.items()
    if r.patient_scoped
    for role in ROLES
    for target in TARGETS
]


@pytest.mark.parametrize(("name", "role"), ROLE_CASES)
def test_route_answers_each_role_as_expected(world: World, name: str, role: str) -> None:
    route = ROUTES[name]
    path = route.path.format(patient=world.alice.pk)
    response = _request(_client(world, role), route.method, path, route.body, world.alice)
    assert response.status_code == route.expect[role], response.content[:300]  # type: ignore[index]
    if path.startswith(
        "/fhir/"
    ):  # issue #16: every FHIR read-API answer is valid R4 (independent validators)
        assert_valid_r4(response.json())
    # No route that is not patient-scoped may show a patient outside the caller's scope.
    body = response.content.decode(errors="replace")
    for outsider in (world.charlie, *([world.bob] if role not in {"program_admin"} else [])):
        if role == "patient" and outsider is world.alice:
            continue
        for text in _identifying(outsider):
            assert text not in body


# A route that answers more than one method (`Route.also`): each other method against the same table.
OTHER_METHOD_CASES = [
    (name, method, role, target)
    for name, r in ROUTES.items()
    if r.patient_scoped
    for method in r.also
    for role in ROLES
    for target in TARGETS
]


@pytest.mark.parametrize(("name", "role", "target"), PATIENT_CASES)
def test_patient_route_answers_each_role_and_target_as_expected(
    world: World, name: str, role: str, target: str
) -> None:
    _check_patient_route(world, name, ROUTES[name].method, role, target)


@pytest.mark.parametrize(("name", "method", "role", "target"), OTHER_METHOD_CASES)
def test_patient_route_answers_its_other_methods_as_expected(
    world: World, name: str, method: str, role: str, target: str
) -> None:
    _check_patient_route(world, name, method, role, target)


def _check_patient_route(world: World, name: str, method: str, role: str, target: str) -> None:
    route = ROUTES[name]
    patient = world.target(target)
    expected = route.expect[role][TARGETS.index(target)]  # type: ignore[index]
    client = _client(world, role)
    assessment = _assessment_for(patient) if "{assessment}" in route.path else None
    if route.path.rstrip("/").endswith(("/photo", "/photo/change")):  # issue #18: a photo to see or change
        _photo_for(patient)
    before = audit_count()
    path = route.path.format(patient=patient.pk, assessment=assessment.pk if assessment else "")
    response = _request(client, method, path, route.body, patient)
    assert response.status_code == expected, response.content[:300]
    if path.startswith(
        "/fhir/"
    ):  # issue #16: every FHIR read-API answer is valid R4 (independent validators)
        assert_valid_r4(response.json())
    body = response.content.decode(errors="replace")
    new = list(AuditEvent.objects.order_by("id")[before:])
    if expected in {200, 201}:
        if name in {"web:patient_detail", "api:get_patient"}:
            assert patient.family_name in body
        assert len(new) == 1, [str(e) for e in new]
        assert new[0].action in ({"read", "export"} if expected == 200 else {"create"})  # an export is a read
        assert new[0].outcome == "success"
        assert new[0].patient_id == patient.pk
        assert new[0].actor_id == world.user(role).pk
    elif expected == 204:  # a removal: one audited delete of this patient's record by the caller
        assert len(new) == 1, [str(e) for e in new]
        assert new[0].action == "delete", [str(e) for e in new]
        assert new[0].patient_id == patient.pk
        assert new[0].actor_id == world.user(role).pk
    elif expected == 403:  # (a self-guided account's rows name no one: SELF_GUIDED_ROWS below)
        assert len(new) == 1
        assert new[0].action == "denied"
        assert new[0].patient_id == patient.pk
    elif expected == 404:
        for text in _identifying(patient):
            assert text not in body, f"a 404 leaked {text!r}"
        assert len(new) == 1
        assert new[0].action == "denied"
        assert new[0].outcome == "denied"
        if (
            role == "self_guided"
        ):  # its audit rows name no one (issue #20: deleted for good, no row of it left)
            assert (new[0].actor_id, new[0].actor_role, new[0].ip_address) == (None, "self_guided", None)
        else:
            assert new[0].actor_id == world.user(role).pk
    elif expected == 302 and role in route.refused_on_page:  # sent back with the reason, audited as a denial
        assert len(new) == 1
        assert new[0].action == "denied"
        assert new[0].patient_id == patient.pk
    elif expected == 422:  # in scope, bad input: nothing written; a page shown again is one audited read
        assert len(new) <= 1, [str(e) for e in new]
        assert all((e.action, e.outcome, e.patient_id) == ("read", "success", patient.pk) for e in new), [
            str(e) for e in new
        ]
    else:
        assert new == []  # anonymous: redirected or refused before any record is touched


@pytest.mark.parametrize("path", ["/patients/{id}/", "/api/v1/patients/{id}"])
def test_peer_specialist_sees_identity_and_recovery_but_no_clinical_fields(world: World, path: str) -> None:
    client = sign_in(Client(), world.staff["peer_specialist"])
    body = client.get(path.format(id=world.alice.pk)).content.decode()
    assert "Zamorano" in body
    assert world.alice.record_number not in body
    assert "1990" not in body  # date of birth


def test_prescriber_sees_clinical_fields_of_own_patient(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    data = client.get(f"/api/v1/patients/{world.alice.pk}").json()
    assert data["record_number"] == "RR-0001"
    assert data["date_of_birth"] == "1990-05-17"
    assert data["enrollments"][0]["status"] == "active"


def test_patient_list_shows_only_patients_in_scope_and_audits_one_row(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    before = audit_count()
    data = client.get("/api/v1/patients").json()
    assert [p["id"] for p in data] == [world.alice.pk]
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert len(events) == 1
    assert events[0].detail == {"patient_ids": [world.alice.pk]}


def test_program_admin_sees_whole_program_and_nothing_across(world: World) -> None:
    client = sign_in(Client(), world.staff["program_admin"])
    ids = {p["id"] for p in client.get("/api/v1/patients").json()}
    assert ids == {world.alice.pk, world.bob.pk}


def test_lakeside_nurse_sees_only_lakeside_patient(world: World) -> None:
    client = sign_in(Client(), world.lakeside_nurse)
    assert [p["id"] for p in client.get("/api/v1/patients").json()] == [world.charlie.pk]
    assert client.get(f"/patients/{world.alice.pk}/").status_code == 404


def test_auditor_reads_audit_trail_without_clinical_content(world: World) -> None:
    sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/")
    client = sign_in(Client(), world.staff["auditor"])
    events = client.get("/api/v1/audit/events").json()
    assert any(e["patient_id"] == world.alice.pk and e["action"] == "read" for e in events)
    body = json.dumps(events)
    assert "Zamorano" not in body
    assert "RR-0001" not in body


def test_audit_trail_does_not_cross_programs(world: World) -> None:
    sign_in(Client(), world.lakeside_nurse).get(f"/patients/{world.charlie.pk}/")
    events = sign_in(Client(), world.staff["auditor"]).get("/api/v1/audit/events").json()
    assert all(e["patient_id"] != world.charlie.pk for e in events)
    assert all(e["actor_id"] != world.lakeside_nurse.pk for e in events)


def test_a_non_numeric_patient_id_is_a_plain_404(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    assert client.get("/patients/abc/").status_code == 404
    assert client.get("/api/v1/patients/abc").status_code == 422


def test_patient_page_is_never_cached(world: World) -> None:
    response = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/")
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("role", "path", "budget"),
    [
        # session, user, (otp device), scoped patient query + prefetches, audit (savepoint/head/insert/head)
        # + today's check-in and the reminders due (issue #7), + her bottles' "not before" times (session 39)
        ("patient", "/me/", 14),
        ("patient", "/me/progress/", 12),
        ("counselor", "/patients/{id}/recovery/", 18),  # one scoped read, then each part once
        # the caseload: + open flags, active orders, last check-ins (journey 6), + the care team ids that say
        # which rows are seen only through emergency access (one query whatever the count; issue #14, T12)
        ("nurse", "/patients/", 12),
        # + open flags, + the latest naloxone kit, + the latest resolved flags with their notes (issue #15),
        # + whether there is an identity photo (issue #18)
        # + whether the person has their own account (session 20: the desk's codes offered where they work)
        # + the care team's past members and the day each left (session 35, review 35d hole 2)
        ("nurse", "/patients/{id}/", 17),
        ("program_admin", "/api/v1/patients", 10),
    ],
)
def test_record_pages_stay_within_their_query_budget(
    world: World, django_assert_max_num_queries: Any, role: str, path: str, budget: int
) -> None:
    from keel.patients.models import CareTeamMember

    # More patients on the list must not mean more queries (no N+1).
    for i in range(5):
        extra = _make_extra_patient(world, i)
        CareTeamMember.objects.create(patient=extra, user=world.staff["nurse"])
    client = sign_in(Client(), world.user(role))
    client.get(path.format(id=world.alice.pk))
    with django_assert_max_num_queries(budget):
        assert client.get(path.format(id=world.alice.pk)).status_code == 200


def _make_extra_patient(world: World, i: int) -> Any:
    from datetime import date

    from keel.patients.models import Enrollment, Patient

    patient = Patient.objects.create(
        program=world.riverside,
        record_number=f"RR-9{i:03d}",
        given_name="Extra",
        family_name=f"Person{i}",
        date_of_birth=date(1980, 1, 1),
    )
    Enrollment.objects.create(patient=patient, program=world.riverside, started_on=date(2026, 2, 1))
    return patient


def test_staff_in_two_programs_see_their_team_patients_in_both_and_nothing_else(world: World) -> None:
    from keel.accounts.models import ProgramMembership
    from keel.patients.models import CareTeamMember

    nurse = world.staff["nurse"]
    ProgramMembership.objects.create(user=nurse, program=world.lakeside)
    CareTeamMember.objects.create(patient=world.charlie, user=nurse)
    client = sign_in(Client(), nurse)
    assert {p["id"] for p in client.get("/api/v1/patients").json()} == {world.alice.pk, world.charlie.pk}
    assert client.get(f"/patients/{world.charlie.pk}/").status_code == 200
    assert client.get(f"/patients/{world.bob.pk}/").status_code == 404


def test_a_care_team_entry_in_a_program_the_staff_member_left_grants_nothing(world: World) -> None:
    from keel.patients.models import CareTeamMember

    # On Charlie's team by mistake, but not a Lakeside member: programs stay isolated.
    CareTeamMember.objects.create(patient=world.charlie, user=world.staff["nurse"])
    client = sign_in(Client(), world.staff["nurse"])
    assert client.get(f"/api/v1/patients/{world.charlie.pk}").status_code == 404
