"""A person in care keeps the clinicians she needs (review 16a; keel.patients.care_gap): the last counselor,
nurse or prescriber (no clinician sees her record), the last nurse or prescriber (no one doses her) and the
last prescriber (no one resolves a held dose's flag) stay on her team. Every path: the API's DELETE, the
page's remove, staff deactivation (API and page), leaving a program, a role change. 422 naming user_id,
audited, nothing changed; a person not in care (discharged, never admitted) has no such gap."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from keel.accounts import services as accounts
from keel.accounts.models import ProgramMembership, User
from keel.audit.models import AuditEvent
from keel.patients.models import CareTeamMember, Enrollment
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db


def _team(patient: Any) -> set[str]:
    return set(CareTeamMember.objects.filter(patient=patient).values_list("user__role", flat=True))


def _delete(client: Any, patient: Any, user: Any) -> Any:
    return client.delete(f"/api/v1/patients/{patient.pk}/care-team/{user.pk}")


def _page_remove(client: Any, patient: Any, user: Any) -> Any:
    return client.post(f"/patients/{patient.pk}/care-team/{user.pk}/remove/")


def _discharge(patient: Any) -> None:
    Enrollment.objects.filter(patient=patient, status="active").update(
        status="ended", ended_on=date(2026, 2, 1), end_reason="completed"
    )


def _denials(target_type: str) -> list[str]:
    return list(
        AuditEvent.objects.filter(action="denied", target_type=target_type).values_list("reason", flat=True)
    )


def test_the_api_refuses_the_last_prescriber_and_audits_it(world: World, signed_in: Any) -> None:
    admin = signed_in("program_admin")
    assert _delete(admin, world.alice, world.staff["counselor"]).status_code == 204
    assert _delete(admin, world.alice, world.staff["nurse"]).status_code == 204
    r = _delete(admin, world.alice, world.staff["prescriber"])
    assert r.status_code == 422, r.content
    assert [e["field"] for e in r.json()["errors"]] == ["user_id"]
    assert "No clinician would be left to see their record" in r.json()["errors"][0]["reason"]
    assert "prescriber" in _team(world.alice)
    assert _denials("care_team") == ["would leave a person in care without a clinician"]


def test_the_page_refuses_the_last_clinician_in_words(world: World, signed_in: Any) -> None:
    admin = signed_in("program_admin")
    for role in ("counselor", "nurse"):
        assert _page_remove(admin, world.alice, world.staff[role]).status_code == 302
    r = _page_remove(admin, world.alice, world.staff["prescriber"])
    assert r.status_code == 422
    assert "No clinician would be left to see their record" in r.content.decode()
    assert "prescriber" in _team(world.alice)


def test_the_last_prescriber_stays_though_a_nurse_is_there(world: World, signed_in: Any) -> None:
    """A held dose's flag needs a prescriber: with a counselor and a nurse left, still refused."""
    r = _delete(signed_in("program_admin"), world.alice, world.staff["prescriber"])
    assert r.status_code == 422
    assert "last prescriber" in r.json()["errors"][0]["reason"]
    assert _denials("care_team") == ["would leave a person in care without a prescriber"]


def test_the_last_nurse_or_prescriber_stays_where_there_was_no_prescriber(
    world: World, signed_in: Any
) -> None:
    CareTeamMember.objects.filter(patient=world.alice, user=world.staff["prescriber"]).delete()
    admin = signed_in("program_admin")
    r = _delete(admin, world.alice, world.staff["nurse"])
    assert r.status_code == 422
    assert "no one can give them a dose" in r.json()["errors"][0]["reason"]
    # a team that already had no prescriber is not made to close that gap first: the counselor may go
    assert _delete(admin, world.alice, world.staff["counselor"]).status_code == 204


def test_a_second_prescriber_lets_the_first_go(world: World, signed_in: Any) -> None:
    other, _ = accounts.create_user(
        username="r-prescriber-2", role="prescriber", password=PASSWORD, program_slug="riverside"
    )
    CareTeamMember.objects.create(patient=world.alice, user=other)
    assert _delete(signed_in("program_admin"), world.alice, world.staff["prescriber"]).status_code == 204


@pytest.mark.parametrize("how", ["turned off", "left the program"])
def test_a_prescriber_who_cannot_act_does_not_count(world: World, signed_in: Any, how: str) -> None:
    other, _ = accounts.create_user(
        username="r-prescriber-2", role="prescriber", password=PASSWORD, program_slug="riverside"
    )
    CareTeamMember.objects.create(patient=world.alice, user=other)
    if how == "turned off":
        User.objects.filter(pk=other.pk).update(is_active=False)
    else:
        ProgramMembership.objects.filter(user=other).delete()
    assert _delete(signed_in("program_admin"), world.alice, world.staff["prescriber"]).status_code == 422


def test_a_peer_specialist_is_always_taken_off(world: World, signed_in: Any) -> None:
    assert _delete(signed_in("program_admin"), world.alice, world.staff["peer_specialist"]).status_code == 204


@pytest.mark.parametrize("state", ["discharged", "never admitted"])
def test_a_person_not_in_care_loses_anyone(world: World, signed_in: Any, state: str) -> None:
    if state == "discharged":
        _discharge(world.alice)
    else:
        Enrollment.objects.filter(patient=world.alice).delete()
    admin = signed_in("program_admin")
    for role in ("counselor", "nurse", "prescriber"):
        assert _delete(admin, world.alice, world.staff[role]).status_code == 204, role
    assert _team(world.alice) == {"peer_specialist"}


def test_a_double_submit_is_refused_both_times(world: World, signed_in: Any) -> None:
    admin = signed_in("program_admin")
    assert _page_remove(admin, world.alice, world.staff["prescriber"]).status_code == 422
    assert _page_remove(admin, world.alice, world.staff["prescriber"]).status_code == 422
    assert _delete(admin, world.alice, world.staff["nurse"]).status_code == 204
    assert _delete(admin, world.alice, world.staff["nurse"]).status_code == 422  # not on the team any more
    assert _team(world.alice) == {"counselor", "prescriber", "peer_specialist"}


@pytest.mark.parametrize("role", ["counselor", "nurse", "prescriber", "peer_specialist", "auditor"])
def test_no_other_role_takes_anyone_off(world: World, signed_in: Any, role: str) -> None:
    r = _delete(signed_in(role), world.alice, world.staff["peer_specialist"])
    assert r.status_code in (403, 404)
    assert "peer_specialist" in _team(world.alice)


# --- Staff deactivation, leaving a program, a role change ---------------------------------------------------


def _api_deactivate(client: Any, user: Any) -> Any:
    return client.post(
        f"/api/v1/programs/riverside/staff/{user.pk}/deactivate", "{}", content_type="application/json"
    )


def test_turning_off_the_last_prescriber_is_refused_on_the_api(world: World, signed_in: Any) -> None:
    r = _api_deactivate(signed_in("program_admin"), world.staff["prescriber"])
    assert r.status_code == 422, r.content
    assert [e["field"] for e in r.json()["errors"]] == ["user_id"]
    assert "the care team of Alicia Zamorano, who is in care now" in r.json()["errors"][0]["reason"]
    assert User.objects.get(pk=world.staff["prescriber"].pk).is_active
    denial = AuditEvent.objects.get(action="denied", target_type="staff")
    assert denial.detail == {"patient_ids": [world.alice.pk]}


def test_turning_off_the_last_prescriber_is_refused_on_the_page(world: World, signed_in: Any) -> None:
    r = signed_in("program_admin").post(f"/program/staff/{world.staff['prescriber'].pk}/deactivate/")
    assert r.status_code == 422
    assert "Add another prescriber to their care team first" in r.content.decode()
    assert User.objects.get(pk=world.staff["prescriber"].pk).is_active


def test_turning_off_a_nurse_with_a_prescriber_left_goes_ahead(world: World, signed_in: Any) -> None:
    assert _api_deactivate(signed_in("program_admin"), world.staff["nurse"]).status_code == 200
    assert not User.objects.get(pk=world.staff["nurse"].pk).is_active


def test_turning_off_the_prescriber_of_a_discharged_person_goes_ahead(world: World, signed_in: Any) -> None:
    _discharge(world.alice)
    assert _api_deactivate(signed_in("program_admin"), world.staff["prescriber"]).status_code == 200


def test_leaving_one_program_is_refused_likewise(world: World, signed_in: Any) -> None:
    """A prescriber who also works at Lakeside leaves Riverside only: Alice would lose her prescriber."""
    prescriber = world.staff["prescriber"]
    ProgramMembership.objects.create(user=prescriber, program=world.lakeside)
    r = _api_deactivate(signed_in("program_admin"), prescriber)
    assert r.status_code == 422
    assert ProgramMembership.objects.filter(user=prescriber, program=world.riverside).exists()


def test_a_role_change_that_takes_the_last_prescriber_is_refused(world: World, signed_in: Any) -> None:
    admin = signed_in("program_admin")
    r = admin.post(f"/program/staff/{world.staff['prescriber'].pk}/role/", {"role": "counselor"})
    assert r.status_code == 422
    assert User.objects.get(pk=world.staff["prescriber"].pk).role == "prescriber"
    r = admin.post(f"/program/staff/{world.staff['nurse'].pk}/role/", {"role": "counselor"})
    assert r.status_code == 200
    assert User.objects.get(pk=world.staff["nurse"].pk).role == "counselor"


def test_two_removals_at_once_leave_a_clinician(tmp_path: Path) -> None:
    """Two admins take the two nurses off at the same moment, on real connections: the person's lock makes
    the second see the first, so one is refused and a nurse stays."""
    from tests.recovery.test_checkins import run_race

    seen = run_race(tmp_path, Path(__file__).with_name("race_care_team.py"))
    assert seen == {"outcomes": ["refused", "removed"], "left": 1}


def test_a_deactivation_and_a_removal_at_once_leave_a_clinician(tmp_path: Path) -> None:
    """One admin turns the first nurse's account off while another takes the second nurse off the team: both
    lock the person, so one is refused and an active nurse stays."""
    import uuid

    from tests.own_databases import own_databases, run_script

    env = dict(os.environ, KEEL_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="keel.settings")
    with own_databases(tmp_path, "race") as (url,):
        env["KEEL_DATABASE_URL"] = url
        seen = run_script(
            env, Path(__file__).with_name("race_care_team.py"), uuid.uuid4().hex[:8], "deactivate"
        )
    assert seen == {"outcomes": ["refused", "removed"], "left": 1}
