"""The program's policy and a patient's overrides, read in hand-written SQL (`program_policy`,
`effective_policy`, issue #21), are the ORM reads' answers: settings of the rule and of a shared rule's
owner, another program's, overrides active, revoked or of another rule or patient. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from keel.core.rules import policy as core_policy
from keel.treatment.models import PatientPolicyOverride, PolicySetting
from keel.treatment.queries import policy as policy_reads
from keel.treatment.queries.policy import effective_policy, program_policy
from tests.conftest import World

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
RULES = ["methadone-dose-check", "buprenorphine-dose-limit", "take-home-eligibility", *core_policy.SHARED]


def orm_program_policy(program_id: int, rule_name: str) -> dict[str, Any]:
    """program_policy as it was written on the ORM (the spec)."""
    stored = {
        (r, f): v
        for r, f, v in PolicySetting.objects.filter(
            program_id=program_id, rule__in=policy_reads._rules_read(rule_name)
        ).values_list("rule", "field", "value")
    }
    rule = core_policy_rule(rule_name)
    return {**core_policy.defaults(rule), **policy_reads._usable(rule_name, stored)}


def core_policy_rule(name: str) -> Any:
    from keel.core import rules

    return rules.get(name)


def orm_effective_policy(patient: Any, rule_name: str) -> dict[str, Any]:
    overrides = {
        (r, f): v
        for r, f, v in PatientPolicyOverride.objects.filter(
            patient=patient, rule__in=policy_reads._rules_read(rule_name), revoked_at__isnull=True
        ).values_list("rule", "field", "value")
    }
    return {**orm_program_policy(patient.program_id, rule_name), **policy_reads._usable(rule_name, overrides)}


def _setting(world: World, program: Any, rule: str, field: str, value: Any) -> None:
    PolicySetting.objects.create(
        program=program,
        rule=rule,
        field=field,
        value=value,
        set_by=world.staff["prescriber"],
        set_at=NOW,
        reason="local",
    )


def _override(world: World, patient: Any, rule: str, field: str, value: Any, revoked: bool = False) -> None:
    PatientPolicyOverride.objects.create(
        patient=patient,
        rule=rule,
        field=field,
        value=value,
        reason="clinical",
        created_at=NOW,
        prescriber=world.staff["prescriber"],
        revoked_at=NOW + timedelta(hours=1) if revoked else None,
    )


def _fields(rule: str) -> list[Any]:
    return list(core_policy_rule(rule).policy)


def _some_value(f: Any) -> Any:
    default = f.default
    if isinstance(default, bool):
        return not default
    if isinstance(default, int | float):
        return type(default)(default) - 1 if default > 1 else default
    return default


@pytest.mark.parametrize("rule", RULES)
def test_policy_reads_in_sql_are_the_orm_reads_answer(world: World, rule: str) -> None:
    program = world.alice.program
    assert orm_program_policy(program.pk, rule) == program_policy(program.pk, rule)  # defaults only
    names = policy_reads._rules_read(rule)
    for n, name in enumerate(names):
        for i, f in enumerate(_fields(name)[:3]):
            _setting(world, program, name, f.name, _some_value(f))
            if i == n:
                _override(world, world.alice, name, f.name, f.default)
            if i == 2:
                _override(world, world.alice, name, f.name, _some_value(f), revoked=True)
    _setting(world, program, "naltrexone-readiness", "continuing_course_days", 1)  # another rule
    first = _fields(rule)[0]
    _setting(world, world.lakeside, rule, first.name, _some_value(first))  # another program's
    assert program_policy(world.lakeside.pk, rule) == orm_program_policy(world.lakeside.pk, rule)
    assert program_policy(program.pk, rule) == orm_program_policy(program.pk, rule)
    assert effective_policy(world.alice, rule) == orm_effective_policy(world.alice, rule)
    assert effective_policy(world.bob, rule) == orm_effective_policy(world.bob, rule)
