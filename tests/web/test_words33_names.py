"""Lane words33: no page names a staff member by their username (half of a sign-in): the discloser line, the
staff pick-lists (care teams, a goal's responsible, an appointment's "with"), the emergency-access flag, the
program policy's last change. A staff member with no full name on file is named by role. The JSON API keeps
its machine fields (a username where it always was one) and adds a readable `*_name` beside them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from keel.accounts.names import staff_name
from keel.appointments.models import Appointment
from keel.sharing.models import Disclosure
from keel.sharing.services import emergency_access
from keel.treatment.models import CareGoal, LastUseCorrection
from keel.treatment.schemas import LastUseCorrectionOut
from keel.treatment.services.policy import set_value
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db
LANGS = ["en", "es"]
NO_NAME = {"en": "Nurse (no name on file)", "es": "(sin nombre registrado)"}


def _page(signed_in: Any, role: str, url: str, lang: str) -> str:
    response = signed_in(role).get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    return response.content.decode()


def _disclosed_by_nurse(world: World) -> None:
    Disclosure.objects.create(
        patient=world.alice,
        basis="patient_request",
        recipient_name="Dr. Lee",
        categories=["medications"],
        description="medication list",
        notice="42 CFR part 2 notice",
        document_sha256="0" * 64,
        disclosed_by=world.staff["nurse"],
        disclosed_at=timezone.now() - timedelta(hours=1),
    )


@pytest.mark.parametrize("lang", LANGS)
def test_the_disclosure_accounting_never_shows_the_disclosers_username(
    world: World, signed_in: Any, lang: str
) -> None:
    _disclosed_by_nurse(world)
    text = _page(signed_in, "prescriber", f"/patients/{world.alice.pk}/sharing/", lang)
    assert world.staff["nurse"].username not in text


@pytest.mark.parametrize("lang", LANGS)
def test_the_disclosure_accounting_names_a_nameless_discloser_by_role(
    world: World, signed_in: Any, lang: str
) -> None:
    _disclosed_by_nurse(world)
    text = _page(signed_in, "prescriber", f"/patients/{world.alice.pk}/sharing/", lang)
    assert NO_NAME[lang] in text


def test_the_disclosure_accounting_names_the_discloser_by_full_name(world: World, signed_in: Any) -> None:
    nurse = world.staff["nurse"]
    nurse.first_name, nurse.last_name = "Ana", "Ruiz"
    nurse.save(update_fields=["first_name", "last_name"])
    _disclosed_by_nurse(world)
    text = _page(signed_in, "prescriber", f"/patients/{world.alice.pk}/sharing/", "en")
    assert "Ana Ruiz (Nurse)" in text


@pytest.mark.parametrize("lang", LANGS)
def test_the_care_team_pick_list_shows_no_username(world: World, signed_in: Any, lang: str) -> None:
    text = _page(signed_in, "program_admin", "/program/care-teams/", lang)
    assert all(world.staff[r].username not in text for r in ("nurse", "prescriber", "counselor"))


@pytest.mark.parametrize("lang", LANGS)
def test_a_persons_care_team_pick_list_shows_no_username(world: World, signed_in: Any, lang: str) -> None:
    text = _page(signed_in, "program_admin", f"/patients/{world.bob.pk}/care-team/", lang)
    assert all(world.staff[r].username not in text for r in ("nurse", "prescriber", "counselor"))


@pytest.mark.parametrize("lang", LANGS)
def test_the_goals_responsible_pick_list_shows_no_username(world: World, signed_in: Any, lang: str) -> None:
    text = _page(signed_in, "prescriber", f"/patients/{world.alice.pk}/start/", lang)
    assert all(world.staff[r].username not in text for r in ("nurse", "prescriber", "counselor"))


@pytest.mark.parametrize("lang", LANGS)
def test_the_appointment_with_pick_list_shows_no_username(world: World, signed_in: Any, lang: str) -> None:
    text = _page(signed_in, "counselor", f"/patients/{world.alice.pk}/appointments/", lang)
    assert all(world.staff[r].username not in text for r in ("nurse", "prescriber", "counselor"))


@pytest.mark.parametrize("lang", LANGS)
def test_the_appointment_with_pick_list_names_a_nameless_nurse_by_role(
    world: World, signed_in: Any, lang: str
) -> None:
    text = _page(signed_in, "counselor", f"/patients/{world.alice.pk}/appointments/", lang)
    assert NO_NAME[lang] in text


def _emergency(world: World) -> None:
    emergency_access(
        by=world.staff["nurse"],
        record_number="RR-0002",
        reason="collapsed in the lobby, checking",
        password=PASSWORD,
    )


@pytest.mark.parametrize("lang", LANGS)
def test_the_emergency_access_flag_shows_no_username(world: World, signed_in: Any, lang: str) -> None:
    _emergency(world)
    text = _page(signed_in, "nurse", f"/patients/{world.bob.pk}/", lang)
    assert world.staff["nurse"].username not in text


@pytest.mark.parametrize("lang", LANGS)
def test_the_emergency_access_flag_names_a_nameless_opener_by_role(
    world: World, signed_in: Any, lang: str
) -> None:
    _emergency(world)
    text = _page(signed_in, "nurse", f"/patients/{world.bob.pk}/", lang)
    assert NO_NAME[lang] in text


@pytest.mark.parametrize("lang", LANGS)
def test_the_policy_pages_last_change_shows_no_username(world: World, signed_in: Any, lang: str) -> None:
    admin = world.staff["program_admin"]
    set_value(
        by=admin,
        program_slug="riverside",
        rule="take-home-eligibility",
        field="program_max_days",
        value=14,
        reason="Our medical director asked for a longer first stretch this year.",
    )
    text = _page(signed_in, "program_admin", "/program/policy/", lang)
    assert admin.username not in text


def _goal(world: World) -> CareGoal:
    return CareGoal.objects.create(
        patient=world.alice,
        area="counseling",
        goal="Weekly CBT session",
        responsible=world.staff["counselor"],
        review_on=timezone.now().date() + timedelta(days=30),
        created_by=world.staff["counselor"],
        created_at=timezone.now(),
    )


def test_the_start_api_keeps_the_responsibles_username(world: World, signed_in: Any) -> None:
    _goal(world)
    body = signed_in("prescriber").get(f"/api/v1/patients/{world.alice.pk}/start").json()
    assert body["care_goals"][0]["responsible"] == world.staff["counselor"].username


def test_the_start_api_adds_the_responsibles_readable_name(world: World, signed_in: Any) -> None:
    _goal(world)
    body = signed_in("prescriber").get(f"/api/v1/patients/{world.alice.pk}/start").json()
    assert body["care_goals"][0]["responsible_name"] == "Counselor (no name on file)"


@pytest.mark.parametrize("key", ["responsible", "responsible_name"])
def test_the_persons_own_care_plan_api_never_shows_a_username(world: World, signed_in: Any, key: str) -> None:
    _goal(world)
    body = signed_in("patient").get("/api/v1/me/care-plan").json()
    assert body["goals"][0][key] == "Counselor (no name on file)"


def test_the_appointments_api_with_name_is_never_a_username(world: World, signed_in: Any) -> None:
    start = timezone.now() + timedelta(days=2)
    Appointment.objects.create(
        patient=world.alice,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        kind="counseling",
        with_user=world.staff["nurse"],
        created_by=world.staff["counselor"],
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )
    body = signed_in("counselor").get(f"/api/v1/patients/{world.alice.pk}/appointments").json()
    assert [a["with_name"] for a in body] == ["Nurse (no name on file)"]


def _correction(world: World) -> LastUseCorrection:
    now = timezone.now()
    return LastUseCorrection.objects.create(
        patient=world.alice,
        opioid="heroin",
        struck_at=now - timedelta(hours=2),
        corrected_at=now - timedelta(hours=30),
        reason="The person told us again: the last use was the night before.",
        corrected_by=world.staff["prescriber"],
        recorded_at=now,
    )


def test_a_last_use_corrections_api_body_keeps_the_username(world: World) -> None:
    out = LastUseCorrectionOut.of(_correction(world))
    assert out.corrected_by == world.staff["prescriber"].username


@pytest.mark.parametrize(("lang", "said"), [("en", "Prescriber"), ("es", "(sin nombre registrado)")])
def test_a_last_use_corrections_api_body_adds_the_readable_name(world: World, lang: str, said: str) -> None:
    with translation.override(lang):
        out = LastUseCorrectionOut.of(_correction(world))
        assert out.corrected_by_name == staff_name(world.staff["prescriber"])
    assert said in out.corrected_by_name
