"""Program policy, read: the defaults from the rules, the values program admins set, and the effective policy
a rule runs with for one person (the program's values and the person's overrides). The writes are in
`keel.treatment.services.policy`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, overload

from keel.accounts.models import Program, ProgramMembership, User
from keel.accounts.names import staff_name
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core import rules
from keel.core.decision import Decision
from keel.core.rules import policy as core_policy
from keel.core.rules.base import AnyRule, DetailsT, InputT, PolicyT, Rule
from keel.core.rules.inputs import FieldError
from keel.core.rules.policy import Setting
from keel.core.words import gettext_noop as N_
from keel.db import rows
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import PolicySetting

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.expressions import Col

    from keel.patients.models import Patient
    from keel.treatment.schemas import PolicyValue as Scalar  # a number, a choice's text, or null

# The rules whose policy a program sets (early-warning thresholds are product rules, not program policy).
PROGRAM_RULES = (
    "buprenorphine-readiness",
    "buprenorphine-dose-limit",
    "buprenorphine-home-start",
    "methadone-dose-check",
    "take-home-eligibility",
    "naltrexone-readiness",
)


@dataclass(frozen=True)
class PolicyValue:
    rule: str
    field: str
    value: Scalar  # the value the rule runs with
    default: Scalar
    help: str
    tighter: str | None
    set_by: str | None
    set_at: datetime | None
    reason: str
    floor: float | None = None
    ceiling: float | None = None
    bounds: str = ""  # where the floor and the ceiling come from
    stored: Scalar = None  # the value set, when it is not the one in force (set before its bound existed)
    choices: tuple[str, ...] = ()
    label: str = ""  # what a clinician reads for `field` (English, marked: the page translates)
    rule_label: str = ""  # what a clinician reads for `rule`
    set_by_name: str = ""  # who set it, as a page names them (`staff_name`); `set_by` stays the username


def owning_rule(rule_name: str, field: str) -> str:
    """The rule under which a policy value is stored (a value shared with another rule is stored once)."""
    owner = core_policy.SHARED.get(rule_name)
    if owner is not None and field in {f.name for f in rules.get(owner).policy}:
        return owner
    return rule_name


def _usable(rule_name: str, stored: dict[tuple[str, str], object]) -> dict[str, Setting]:
    """Stored values (keyed by (owning rule, field)) that the rule may run with today, inside the bounds."""
    rule = rules.get(rule_name)
    mine = {
        f.name: stored[(owning_rule(rule_name, f.name), f.name)]
        for f in rule.policy
        if (owning_rule(rule_name, f.name), f.name) in stored
    }
    return core_policy.within_limits(rule, mine)


def _rules_read(rule_name: str) -> tuple[str, ...]:
    owner = core_policy.SHARED.get(rule_name)
    return (rule_name,) if owner is None else (rule_name, owner)


def program_policy(program_id: int, rule_name: str) -> dict[str, Setting]:
    """The values rule `rule_name` runs with in this program: its defaults, then the program's settings that
    are inside today's bounds (keel.core.rules.policy.within_limits)."""
    rule = rules.get(rule_name)
    # Hand-written (keel.db.rows): every dose and check runs it; the ORM's statement cost more to build than
    # to run (tests/treatment/test_policy_reads_sql.py holds it to the ORM's answer).
    names = _rules_read(rule_name)
    stored = {
        (s.rule, s.field): s.value
        for (s,) in rows.fetch(
            'FROM "treatment_policysetting" s WHERE s."program_id" = %s AND s."rule" IN (%s, %s)',
            [program_id, names[0], names[-1]],
            (PolicySetting, "s"),
        )
    }
    return {**core_policy.defaults(rule), **_usable(rule_name, stored)}


def programs_of(user: User) -> list[Program]:
    return list(Program.objects.filter(memberships__user=user).order_by("slug")) if user else []


def program_for(user: User, slug: str | None) -> Program:
    """The staff member's program: the one named, or their only one. Raises InvalidInput otherwise."""
    mine = programs_of(user)
    if slug:
        found = next((p for p in mine if p.slug == slug), None)
        if found is None:
            raise TreatmentInvalid([FieldError("program", N_("not one of your programs"))])
        return found
    if len(mine) != 1:
        raise TreatmentInvalid([FieldError("program", N_("you work in several programs: name one"))])
    return mine[0]


def show(user: User, slug: str | None = None) -> tuple[Program, list[PolicyValue]]:
    """Every policy value of the program with its provenance; staff of the program may read it."""
    program = program_for(user, slug)
    stored = {
        (s.rule, s.field): s for s in PolicySetting.objects.filter(program=program).select_related("set_by")
    }
    out = []
    for name in PROGRAM_RULES:
        in_force = program_policy(program.pk, name)
        default = core_policy.defaults(rules.get(name))
        for f in rules.get(name).policy:
            if owning_rule(name, f.name) != name:
                continue  # shown once, under the rule that owns it
            s = stored.get((name, f.name))
            limit = core_policy.limit_for(name, f.name)
            out.append(
                PolicyValue(
                    name,
                    f.name,
                    in_force[f.name],
                    default[f.name],
                    f.help,
                    core_policy.TIGHTER.get((name, f.name)),
                    s.set_by.username if s else None,
                    s.set_at if s else None,
                    s.reason if s else "",
                    floor=limit.floor if limit else None,
                    ceiling=limit.ceiling if limit else None,
                    bounds=limit.why if limit else "",
                    stored=s.value if s and s.value != in_force[f.name] else None,
                    choices=f.choices,
                    label=core_policy.LABELS.get((name, f.name), f.name),
                    rule_label=core_policy.RULE_LABELS.get(name, name),
                    set_by_name=staff_name(s.set_by) if s else "",
                )
            )
    audit.record(actor=user, action=Action.READ, program_id=program.pk, target_type="program_policy")
    return program, out


def run_for_staff(
    user: User,
    name: str,
    raw_input: Mapping[str, object],
    requested: Mapping[str, object],
    program_slug: str | None,
) -> Decision:
    """Run a rule for a staff member with their program's stored policy; the caller may only tighten it."""
    rule = rules.get(name)
    if name not in PROGRAM_RULES:
        return rule.run(raw_input, requested)
    base = program_policy(program_for(user, program_slug).pk, name)
    return rule.run(raw_input, core_policy.tighten_only(rule, base, requested))


def memberships_exist(user: User) -> bool:
    return ProgramMembership.objects.filter(user=user).exists()


# effective_policy's two reads in one statement: the person's active overrides (tagged 1, the model's order,
# newest first) then the program's settings (0). Table and column names are fixed; values are parameters.
_POLICY_AND_OVERRIDES = (
    'SELECT 1 AS "kind", o."rule", o."field", o."value", o."created_at" AS "at", o."id" AS "n" '
    'FROM "treatment_patientpolicyoverride" o WHERE o."patient_id" = %s AND o."revoked_at" IS NULL '
    'AND o."rule" IN (%s, %s) '
    'UNION ALL SELECT 0, s."rule", s."field", s."value", NULL, s."id" '
    'FROM "treatment_policysetting" s WHERE s."program_id" = %s AND s."rule" IN (%s, %s) '
    'ORDER BY "kind" DESC, "at" DESC, "n" DESC'
)

# effective_policies' read: `_POLICY_AND_OVERRIDES` for several people and their programs, each row naming
# whose it is (the person's id for an override, the program's for a setting). Only the placeholders' count
# varies.
_POLICIES_AND_OVERRIDES = (
    'SELECT 1 AS "kind", o."patient_id" AS "whose", o."rule", o."field", o."value" '
    'FROM "treatment_patientpolicyoverride" o WHERE o."patient_id" IN ({people}) AND o."revoked_at" IS NULL '
    'AND o."rule" IN (%s, %s) '
    'UNION ALL SELECT 0, s."program_id", s."rule", s."field", s."value" '
    'FROM "treatment_policysetting" s WHERE s."program_id" IN ({programs}) AND s."rule" IN (%s, %s)'
)


def _value_converters(connection: BaseDatabaseWrapper) -> tuple[list[rows.Converter], Col]:
    """The converters the ORM applies to a `value` column (a JSONField: the same on both tables)."""
    col = PolicySetting._meta.get_field("value").get_col(PolicySetting._meta.db_table)
    return [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)], col


@overload
def effective_policy(patient: Patient, rule: Rule[InputT, PolicyT, DetailsT]) -> PolicyT: ...
# Given a rule's name: each value a `Setting`, typed `Any` while its one caller (`services.doses.rule`) reads
# a value by name; once it calls `services.common.guard_rail_policy` (a Policy TypedDict) this is `Setting`.
@overload
def effective_policy(patient: Patient, rule: str) -> dict[str, Any]: ...
def effective_policy(patient: Patient, rule: AnyRule | str) -> Mapping[str, object]:
    """Program policy with the patient's active overrides (a prescriber's, each with a reason): given the rule
    (`methadone.TAKE_HOME`), typed as its policy; given its name, a dict.

    Hand-written in one statement (issue #21): `program_policy`'s read and the overrides' (the model's
    order, newest first), each value converted as the ORM converts a JSONField's
    (tests/treatment/test_policy_reads_sql.py holds it to the ORM's answer on both databases)."""
    rule_name = rule if isinstance(rule, str) else rule.name
    names = _rules_read(rule_name)
    with _connection().cursor() as cursor:
        cursor.execute(
            _POLICY_AND_OVERRIDES,
            [patient.pk, names[0], names[-1], patient.program_id, names[0], names[-1]],
        )
        found = cursor.fetchall()
    return policy_of_rows(rule_name, [(kind, owner, field, value) for kind, owner, field, value, *_ in found])


def _connection() -> BaseDatabaseWrapper:
    from django.db import DEFAULT_DB_ALIAS, connections

    return connections[DEFAULT_DB_ALIAS]


def policy_of_rows(rule_name: str, found: Iterable[tuple[int, str, str, object]]) -> dict[str, Setting]:
    """The effective policy of rule `rule_name` from the stored values read as the database returns a `value`
    column (not converted): each `(kind, owning rule, field, value)`, kind 1 a person's active override, 0 the
    program's setting (at most one of each per field: a constraint). `effective_policy`, `effective_policies`
    and a read that brings the values in its own statement (`take_homes.admission_day_of`) all answer this."""
    connection = _connection()
    funcs, col = _value_converters(connection)
    stored: dict[tuple[str, str], object] = {}
    overrides: dict[tuple[str, str], object] = {}
    for kind, owner, field, value in found:
        for func in funcs:
            value = func(value, col, connection)
        (overrides if kind == 1 else stored)[(owner, field)] = value
    program = {**core_policy.defaults(rules.get(rule_name)), **_usable(rule_name, stored)}
    return {**program, **_usable(rule_name, overrides)}


def effective_policies(patients: Iterable[Patient], rule_name: str) -> dict[int, dict[str, Setting]]:
    """`effective_policy` of each of these people (keyed by id), read together in one statement (none for no
    one): the settings of their programs and their active overrides. A list shows a policy value on every row
    with a fixed number of statements (the dosing window's day in treatment)."""
    people = {p.pk: p.program_id for p in patients}
    if not people:
        return {}
    names = _rules_read(rule_name)
    programs = sorted(set(people.values()))
    sql = _POLICIES_AND_OVERRIDES.format(
        people=", ".join(["%s"] * len(people)), programs=", ".join(["%s"] * len(programs))
    )
    with _connection().cursor() as cursor:
        cursor.execute(sql, [*people, names[0], names[-1], *programs, names[0], names[-1]])
        found = cursor.fetchall()
    overrides: dict[int, list[tuple[int, str, str, object]]] = {}
    settings: dict[int, list[tuple[int, str, str, object]]] = {}
    for kind, whose, owner, field, value in found:
        (overrides if kind == 1 else settings).setdefault(whose, []).append((kind, owner, field, value))
    return {
        pk: policy_of_rows(rule_name, [*settings.get(program, []), *overrides.get(pk, [])])
        for pk, program in people.items()
    }
