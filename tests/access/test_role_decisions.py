"""Each decision by role in `keel.access.policy` (issue #17), for each role: who may, who may not.

The users are unsaved (a role decision reads no row); an anonymous visitor and a turned-off account are asked
too."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import Role, User
from keel.patients.models import FlagKind

ROLES = [r.value for r in Role]
CLINICAL = {"counselor", "nurse", "prescriber"}
FRONT_DESK = CLINICAL | {"program_admin"}


def _user(role: str) -> User:
    return User(username=f"u-{role}", role=role, is_active=True)


# predicate: the roles for which it is True (every other role: False)
DECISIONS: dict[str, tuple[Callable[[User], bool], set[str]]] = {
    "is_program_patient": (policy.is_program_patient, {"patient"}),
    "is_self_guided_account": (policy.is_self_guided_account, {"self_guided"}),
    "reads_only_the_audit_trail": (policy.reads_only_the_audit_trail, {"auditor"}),
    "can_resolve_flags": (policy.can_resolve_flags, CLINICAL),
    "can_resolve_flag(dose_held)": (lambda u: policy.can_resolve_flag(u, FlagKind.DOSE_HELD), {"prescriber"}),
    "can_resolve_flag(suicide_risk)": (lambda u: policy.can_resolve_flag(u, FlagKind.SUICIDE_RISK), CLINICAL),
    "can_resolve_flag(no such flag)": (lambda u: policy.can_resolve_flag(u, None), CLINICAL),
    "may_register_patients": (policy.may_register_patients, FRONT_DESK),
    "registrar_joins_care_team": (policy.registrar_joins_care_team, CLINICAL),
    "can_give_link_code": (policy.can_give_link_code, FRONT_DESK),
    "may_import_feeds": (policy.may_import_feeds, {"program_admin"}),
    "may_view_measures": (policy.may_view_measures, {"program_admin"}),
    "may_take_whole_record": (policy.may_take_whole_record, {"patient"} | CLINICAL),
    "may_read_audit_trail": (policy.may_read_audit_trail, {"auditor", "program_admin"}),
    "administers_a_program": (policy.administers_a_program, {"program_admin"}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(DECISIONS))
def test_each_decision_for_each_role(name: str, role: str) -> None:
    decide, allowed = DECISIONS[name]
    assert decide(_user(role)) is (role in allowed)


@pytest.mark.parametrize("name", sorted(DECISIONS))
def test_an_anonymous_visitor_may_nothing(name: str) -> None:
    decide, _ = DECISIONS[name]
    assert decide(AnonymousUser()) is False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "decide", [policy.may_register_patients, policy.can_give_link_code], ids=["register", "link_code"]
)
def test_a_turned_off_account_registers_and_links_nothing(decide: Callable[[User], bool]) -> None:
    assert decide(User(username="off", role="program_admin", is_active=False)) is False


def test_a_held_dose_and_a_first_doses_corrected_cows_are_the_prescriber_only_flags() -> None:
    assert frozenset({FlagKind.DOSE_HELD, FlagKind.FIRST_DOSE_COWS}) == policy.PRESCRIBER_ONLY_FLAGS  # clin34


def test_the_flags_service_names_the_same_set() -> None:
    from keel.patients.services import flags

    assert flags.PRESCRIBER_ONLY is policy.PRESCRIBER_ONLY_FLAGS


AREAS = {
    "patient": set(Area),
    "counselor": set(Area),
    "nurse": set(Area),
    "prescriber": set(Area),
    "program_admin": set(Area),
    "peer_specialist": {Area.IDENTITY, Area.RECOVERY},
    "auditor": set(),
    "self_guided": {Area.RECOVERY, Area.CLINICAL},
}


@pytest.mark.parametrize("role", ROLES)
def test_areas_of_each_role(role: str) -> None:
    assert policy.areas_of(_user(role)) == AREAS[role]


def test_an_anonymous_visitor_sees_no_area() -> None:
    assert policy.areas_of(AnonymousUser()) == frozenset()


def _menu_as_the_template_had_it(role: str) -> dict[str, bool]:
    """web/_staff_nav.html before issue #17, each link's condition as the template wrote it."""
    admin = role == "program_admin"
    return {
        "patients": role != "auditor",
        "register": role in {"program_admin", "nurse", "prescriber", "counselor"},
        "audit_trail": role in {"auditor", "program_admin"},
        "staff": admin,
        "care_teams": admin,
        "program_settings": admin,
        "measures": admin,
        "emergency_reviews": admin,
        "directory": admin,
        "emergency_access": role in {"nurse", "prescriber", "counselor"},
        "dosing": role in {"nurse", "prescriber"},
        "program_policy": role != "auditor",
    }


@pytest.mark.parametrize("role", ROLES)
def test_the_staff_menu_shows_the_links_it_showed(role: str) -> None:
    assert policy.staff_nav(_user(role)) == _menu_as_the_template_had_it(role)


def test_the_staff_menu_for_an_anonymous_visitor_is_as_before() -> None:
    assert policy.staff_nav(AnonymousUser()) == _menu_as_the_template_had_it("")
