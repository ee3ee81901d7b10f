"""Review 13b: `effective_policy`'s one hand-written statement (program settings and the person's active
overrides), held to the ORM's answer: revoked overrides, another person's, another rule's, another program's
settings, a shared rule, JSON values of every type, a program with no settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from keel.core import rules
from keel.core.rules import policy as core_policy
from keel.treatment.models import PatientPolicyOverride, PolicySetting
from keel.treatment.queries.policy import _rules_read, _usable, effective_policy
from tests.conftest import World

pytestmark = pytest.mark.django_db

DOSE = "buprenorphine-dose-limit"
READY = "buprenorphine-readiness"
HOME = "buprenorphine-home-start"


def _orm(patient: Any, rule_name: str) -> dict[str, Any]:
    """What effective_policy answered before #21, through the ORM."""
    names = _rules_read(rule_name)
    stored = {
        (s.rule, s.field): s.value
        for s in PolicySetting.objects.filter(program_id=patient.program_id, rule__in=names)
    }
    overrides = {
        (o.rule, o.field): o.value
        for o in PatientPolicyOverride.objects.filter(
            patient=patient, revoked_at__isnull=True, rule__in=names
        )
    }
    program = {**core_policy.defaults(rules.get(rule_name)), **_usable(rule_name, stored)}
    return {**program, **_usable(rule_name, overrides)}


def _setting(world: World, program: Any, rule: str, field: str, value: Any) -> None:
    PolicySetting.objects.create(
        program=program,
        rule=rule,
        field=field,
        value=value,
        set_by=world.staff["prescriber"],
        set_at=timezone.now(),
        reason="r",
    )


def _override(world: World, patient: Any, rule: str, field: str, value: Any, **kw: Any) -> None:
    PatientPolicyOverride.objects.create(
        patient=patient,
        rule=rule,
        field=field,
        value=value,
        reason="r",
        prescriber=world.staff["prescriber"],
        created_at=kw.pop("created_at", timezone.now()),
        **kw,
    )


def test_a_program_without_settings_runs_the_defaults(world: World) -> None:
    assert effective_policy(world.alice, DOSE) == core_policy.defaults(rules.get(DOSE))


def test_a_revoked_override_does_not_count(world: World) -> None:
    now = timezone.now()
    _override(world, world.alice, DOSE, "day1_max_mg", 12, revoked_at=now)
    assert effective_policy(world.alice, DOSE)["day1_max_mg"] == 8


def test_another_persons_override_does_not_count(world: World) -> None:
    _override(world, world.bob, DOSE, "day1_max_mg", 12)
    assert effective_policy(world.alice, DOSE)["day1_max_mg"] == 8


def test_another_rules_override_of_a_same_named_field_does_not_count(world: World) -> None:
    _override(world, world.alice, "methadone-dose-check", "day1_max_mg", 12)
    assert effective_policy(world.alice, DOSE)["day1_max_mg"] == 8


def test_another_programs_setting_does_not_count(world: World) -> None:
    _setting(world, world.lakeside, DOSE, "day1_max_mg", 12)
    assert effective_policy(world.alice, DOSE)["day1_max_mg"] == 8


def test_the_override_wins_over_the_program_setting(world: World) -> None:
    _setting(world, world.riverside, DOSE, "day1_max_mg", 16)
    _override(world, world.alice, DOSE, "day1_max_mg", 12)
    assert effective_policy(world.alice, DOSE)["day1_max_mg"] == 12


def test_the_active_override_wins_over_an_older_revoked_one_and_a_newer_revoked_one(world: World) -> None:
    now = timezone.now()
    _override(world, world.alice, DOSE, "day1_max_mg", 20, created_at=now - timedelta(days=2), revoked_at=now)
    _override(world, world.alice, DOSE, "day1_max_mg", 12, created_at=now - timedelta(days=1))
    _override(world, world.alice, DOSE, "day1_max_mg", 24, created_at=now, revoked_at=now)
    assert effective_policy(world.alice, DOSE)["day1_max_mg"] == 12


def test_a_shared_value_set_under_readiness_reaches_the_home_start(world: World) -> None:
    _setting(world, world.riverside, READY, "wait_hours_short_acting", 16)
    _override(world, world.alice, READY, "wait_hours_methadone", 96)
    got = effective_policy(world.alice, HOME)
    assert (got["wait_hours_short_acting"], got["wait_hours_methadone"]) == (16, 96)


def test_a_shared_value_set_under_the_home_start_itself_is_not_read(world: World) -> None:
    _override(world, world.alice, HOME, "wait_hours_methadone", 96)
    assert effective_policy(world.alice, HOME) == _orm(world.alice, HOME)


@pytest.mark.parametrize(
    "value",
    [
        *(12, 12.5, "12", True, False, None, [12], {"v": 12}, 0, -1, 10**30, 1e308, 8.3, ""),
        *("not_standard", "low_dose"),
    ],
)
@pytest.mark.parametrize("where", ["setting", "override"])
def test_every_json_value_type_answers_as_the_orm(world: World, value: Any, where: str) -> None:
    """The stored value of day1_max_mg (a number) and of fentanyl_profile (a choice) as any JSON type."""
    for rule, field in ((DOSE, "day1_max_mg"), (READY, "fentanyl_profile")):
        if where == "setting":
            _setting(world, world.riverside, rule, field, value)
        else:
            _override(world, world.alice, rule, field, value)
    assert (effective_policy(world.alice, DOSE), effective_policy(world.alice, READY)) == (
        _orm(world.alice, DOSE),
        _orm(world.alice, READY),
    )


def test_every_json_value_type_keeps_its_python_type(world: World) -> None:
    """A float stays a float, an int an int (4 vs 4.0 compare equal; the type is the ORM's too)."""
    _override(world, world.alice, DOSE, "day1_max_mg", 12.5)
    _setting(world, world.riverside, DOSE, "day2_max_mg", 20)
    got, orm = effective_policy(world.alice, DOSE), _orm(world.alice, DOSE)
    assert [type(got[k]) for k in sorted(got)] == [type(orm[k]) for k in sorted(orm)]


def test_a_person_with_settings_and_overrides_on_every_rule_answers_as_the_orm(world: World) -> None:
    _setting(world, world.riverside, DOSE, "day2_max_mg", 20)
    _setting(world, world.riverside, READY, "lookback_days", 5)
    _setting(world, world.riverside, HOME, "home_sows_threshold", 20)
    _override(world, world.alice, DOSE, "day1_max_mg", 12)
    _override(world, world.alice, HOME, "redose_interval_hours", 3)
    _override(world, world.bob, DOSE, "day2_max_mg", 24)
    for name in (DOSE, READY, HOME):
        assert effective_policy(world.alice, name) == _orm(world.alice, name), name
