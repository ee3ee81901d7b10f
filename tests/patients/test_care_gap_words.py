"""The care-gap refusal in plain words (session 18, lane care18b; keel.patients.care_gap.gap_words): it names
the staff member and, to a caller who may see them, the people in care who would be left without a clinician
(a few names, then "and N more"; a count otherwise), and says what to add to their care team first. In
Spanish too; nothing of it in the logs. The staff member by name, else by role, never by username (lane
words33)."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import pytest
from django.utils import translation

from keel.accounts.models import User
from keel.patients import care_gap
from keel.patients.models import CareTeamMember, Enrollment, Patient
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _reason(r: Any) -> str:
    assert r.status_code == 422, r.content
    errors = r.json()["errors"]
    assert [e["field"] for e in errors] == ["user_id"]
    return str(errors[0]["reason"])


def _deactivate(client: Any, user: Any) -> Any:
    return client.post(
        f"/api/v1/programs/riverside/staff/{user.pk}/deactivate", "{}", content_type="application/json"
    )


def _named(user: User, first: str, last: str) -> User:
    User.objects.filter(pk=user.pk).update(first_name=first, last_name=last)
    return User.objects.get(pk=user.pk)


def _in_care_on_team(world: World, n: int, member: User) -> list[Patient]:
    people = []
    for i in range(n):
        p = Patient.objects.create(
            program=world.riverside,
            record_number=f"RR-9{i:03d}",
            given_name=f"Person{i}",
            family_name="Extra",
        )
        Enrollment.objects.create(patient=p, program=world.riverside, started_on=date(2026, 1, 5))
        CareTeamMember.objects.create(patient=p, user=member)
        people.append(p)
    return people


def test_removing_the_last_prescriber_names_both_and_says_what_to_add(world: World, signed_in: Any) -> None:
    _named(world.staff["prescriber"], "Pat", "Okafor")
    r = signed_in("program_admin").delete(
        f"/api/v1/patients/{world.alice.pk}/care-team/{world.staff['prescriber'].pk}"
    )
    assert _reason(r) == (
        "Pat Okafor is the last prescriber on the care team of Alicia Zamorano, who is in care now. "
        "Without a prescriber, no one can change their medicine orders or check a held dose. "
        "Add another prescriber to their care team first, then try again."
    )


def test_the_page_says_the_same_words(world: World, signed_in: Any) -> None:
    r = signed_in("program_admin").post(
        f"/patients/{world.alice.pk}/care-team/{world.staff['prescriber'].pk}/remove/"
    )
    assert r.status_code == 422
    assert (
        "Prescriber (no name on file) is the last prescriber on the care team of Alicia Zamorano, "
        "who is in care now." in r.content.decode()
    )


def test_the_last_nurse_or_prescriber_is_told_to_add_a_nurse_or_prescriber(
    world: World, signed_in: Any
) -> None:
    """With only a nurse left, no one could see her record either, and a counselor would not do."""
    CareTeamMember.objects.filter(patient=world.alice).exclude(user=world.staff["nurse"]).delete()
    r = signed_in("program_admin").delete(
        f"/api/v1/patients/{world.alice.pk}/care-team/{world.staff['nurse'].pk}"
    )
    assert _reason(r) == (
        "Nurse (no name on file) is the last nurse or prescriber on the care team of Alicia Zamorano, "
        "who is in care now. "
        "Without a nurse or prescriber, no one can give them a dose. "
        "No clinician would be left to see their record. "
        "Add another nurse or prescriber to their care team first, then try again."
    )


def test_the_last_counselor_is_told_to_add_a_clinician(world: World, signed_in: Any) -> None:
    CareTeamMember.objects.filter(patient=world.alice).exclude(user=world.staff["counselor"]).delete()
    r = signed_in("program_admin").delete(
        f"/api/v1/patients/{world.alice.pk}/care-team/{world.staff['counselor'].pk}"
    )
    assert _reason(r).endswith(
        "Add another counselor, nurse or prescriber to their care team first, then try again."
    )


def test_turning_off_the_last_prescriber_names_the_person(world: World, signed_in: Any) -> None:
    reason = _reason(_deactivate(signed_in("program_admin"), world.staff["prescriber"]))
    assert reason.startswith(
        "Prescriber (no name on file) is the last prescriber on the care team of Alicia Zamorano,"
    )


def test_many_people_are_named_up_to_three_then_counted(world: World, signed_in: Any) -> None:
    _in_care_on_team(world, 4, world.staff["prescriber"])
    reason = _reason(_deactivate(signed_in("program_admin"), world.staff["prescriber"]))
    assert reason.startswith(
        "Prescriber (no name on file) is the last prescriber on the care teams of Alicia Zamorano, "
        "Person0 Extra, "
        "Person1 Extra and 2 more, who are in care now."
    )
    assert "Add another prescriber to each of their care teams first, then try again." in reason


def test_the_staff_page_says_the_words(world: World, signed_in: Any) -> None:
    r = signed_in("program_admin").post(f"/program/staff/{world.staff['prescriber'].pk}/deactivate/")
    assert r.status_code == 422
    assert "the care team of Alicia Zamorano, who is in care now" in r.content.decode()


def test_a_role_change_says_the_words(world: World, signed_in: Any) -> None:
    r = signed_in("program_admin").post(
        f"/program/staff/{world.staff['prescriber'].pk}/role/", {"role": "nurse"}
    )
    assert r.status_code == 422
    assert (
        "Prescriber (no name on file) is the last prescriber on the care team of Alicia Zamorano"
        in r.content.decode()
    )


def _left(world: World, *people: Patient) -> list[care_gap.Left]:
    return [care_gap.Left(p, care_gap.GAP_PRESCRIBER, care_gap.GAP_PRESCRIBER) for p in people]


def test_a_caller_who_may_not_see_the_person_gets_a_count(world: World) -> None:
    words = care_gap.gap_words(
        by=world.lakeside_nurse, staff=world.staff["prescriber"], left=_left(world, world.alice)
    )
    assert "Alicia" not in words
    assert words.startswith(
        "Prescriber (no name on file) is the last prescriber on the care team of a person who is in care now."
    )


def test_the_names_the_caller_may_not_see_are_counted_with_the_rest(world: World) -> None:
    """Bob is on no riverside clinician's team: the nurse sees Alice and not Bob."""
    words = care_gap.gap_words(
        by=world.staff["nurse"], staff=world.staff["prescriber"], left=_left(world, world.alice, world.bob)
    )
    assert "Roberto" not in words
    assert "the care teams of Alicia Zamorano and 1 more, who are in care now." in words


def test_the_words_are_in_spanish(world: World) -> None:
    with translation.override("es"):
        words = care_gap.gap_words(
            by=world.staff["program_admin"], staff=world.staff["prescriber"], left=_left(world, world.alice)
        )
    assert words == (
        "Médico/a que receta (sin nombre registrado) es el último prescriptor del equipo de atención de "
        "Alicia Zamorano, que está en "
        "tratamiento ahora. Sin un prescriptor, nadie puede cambiar sus órdenes de medicamentos ni revisar "
        "una dosis retenida. Agregue primero otro prescriptor a su equipo de atención y vuelva a intentarlo."
    )


def test_the_spanish_page_says_them_in_spanish(world: World, signed_in: Any) -> None:
    User.objects.filter(pk=world.staff["program_admin"].pk).update(preferred_language="es")
    admin = signed_in("program_admin")
    r = admin.post(f"/program/staff/{world.staff['prescriber'].pk}/deactivate/", HTTP_ACCEPT_LANGUAGE="es")
    assert r.status_code == 422
    assert "del equipo de atención de Alicia Zamorano" in r.content.decode()


def test_no_name_reaches_the_logs(world: World, signed_in: Any, caplog: Any) -> None:
    with caplog.at_level(logging.DEBUG):
        _deactivate(signed_in("program_admin"), world.staff["prescriber"])
        signed_in("program_admin").post(f"/program/staff/{world.staff['prescriber'].pk}/deactivate/")
    assert "Zamorano" not in caplog.text


def test_the_cli_says_the_words(world: World) -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError) as raised:
        call_command(
            "episode",
            "care-team",
            "--by",
            "r-program_admin",
            "--patient-id",
            str(world.alice.pk),
            "--remove",
            str(world.staff["prescriber"].pk),
        )
    assert str(raised.value).startswith(
        "user_id: Prescriber (no name on file) is the last prescriber on the care team of Alicia Zamorano, "
        "who is in care "
        "now."
    )
