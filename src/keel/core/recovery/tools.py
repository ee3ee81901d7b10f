"""CBT and relapse-prevention tools: the thought record, the coping-skills library and the plan's fields.

Sources (Keel's clinical reference is silent on these; looked up for issue #7 and named here):
- `beck-thought-record`: the cognitive-therapy thought record (situation, automatic thought, feeling and
  its intensity, evidence for and against, balanced thought, re-rated feeling) — J. S. Beck, *Cognitive
  Behavior Therapy: Basics and Beyond*, and Greenberger & Padesky, *Mind Over Mood*.
- `nida-cbt-manual-1`: K. M. Carroll, *A Cognitive-Behavioral Approach: Treating Cocaine Addiction*, NIDA
  Therapy Manuals for Drug Addiction 1 (1998): coping with craving — distraction, talking it through,
  urge surfing, recalling consequences, self-talk; avoiding and leaving high-risk situations.
- `mbrp-urge-surfing`: Bowen, Chawla & Marlatt, *Mindfulness-Based Relapse Prevention* (2010): urge surfing,
  the breathing space.
- `na-basic-text`: Narcotics Anonymous fellowship practice — meetings, calling a sponsor or member, HALT
  (hungry, angry, lonely, tired) as a self-check used widely in twelve-step recovery.
These are skills, not clinical numbers; the only number here is the intensity scale 0-100 of the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict, cast

from keel.core.digits import ascii_digits
from keel.core.rules.inputs import Field, FieldError, InvalidInput, parse
from keel.core.words import gettext_noop as N_

TEXT_MAX = 2000


@dataclass(frozen=True)
class Skill:
    code: str
    sources: tuple[str, ...]


SKILLS = (
    Skill("urge_surfing", ("mbrp-urge-surfing", "nida-cbt-manual-1")),
    Skill("delay_distract", ("nida-cbt-manual-1",)),
    Skill("halt", ("na-basic-text",)),
    Skill("call_someone", ("nida-cbt-manual-1", "na-basic-text")),
    Skill("leave", ("nida-cbt-manual-1",)),
    Skill("meeting", ("na-basic-text",)),
    Skill("breathing", ("mbrp-urge-surfing",)),
)
SKILL_CODES = tuple(s.code for s in SKILLS)
HELPED = ("yes", "a_little", "no")

THOUGHT_RECORD = (
    Field("situation", "text", maximum=TEXT_MAX, help=N_("where you were, what happened")),
    Field("automatic_thought", "text", maximum=TEXT_MAX, help=N_("what went through your mind")),
    Field("feeling", "text", maximum=200, help=N_("the feeling, in a word or two")),
    Field("intensity_before", "integer", minimum=0, maximum=100, help=N_("how strong, 0-100")),
    Field("evidence_for", "text", required=False, default="", maximum=TEXT_MAX),
    Field("evidence_against", "text", required=False, default="", maximum=TEXT_MAX),
    Field("balanced_thought", "text", required=False, default="", maximum=TEXT_MAX),
    Field(
        "intensity_after", "integer", required=False, minimum=0, maximum=100, help=N_("how strong now, 0-100")
    ),
)
THOUGHT_TEXT = tuple(f.name for f in THOUGHT_RECORD if f.kind == "text")
SKILL_TRY = (Field("skill", "choice", choices=SKILL_CODES), Field("helped", "choice", choices=HELPED))

PLAN_LISTS = ("warning_signs", "triggers", "instead", "meetings", "reasons")
PERSON = (  # someone on the plan to call
    Field("name", "text", maximum=100),
    Field("phone", "text", required=False, default="", maximum=40),
)
PLAN_LIST_MAX = 20
PLAN_ITEM_MAX = 300
PEOPLE_MAX = 10


class ThoughtRecord(TypedDict):
    """A thought record as checked (`THOUGHT_RECORD`): its texts and intensities 0-100 (after: maybe none)."""

    situation: str
    automatic_thought: str
    feeling: str
    intensity_before: int
    evidence_for: str
    evidence_against: str
    balanced_thought: str
    intensity_after: int | None


class SkillTry(TypedDict):
    """A coping skill tried (one of `SKILL_CODES`) and whether it helped (one of `HELPED`)."""

    skill: str
    helped: str


class PlanPerson(TypedDict):
    """Someone on the plan to call: a name and, maybe, a phone."""

    name: str
    phone: str


class Plan(TypedDict):
    """The relapse-prevention plan as checked (`parse_plan`): each of `PLAN_LISTS` and the people."""

    warning_signs: list[str]
    triggers: list[str]
    instead: list[str]
    meetings: list[str]
    reasons: list[str]
    people: list[PlanPerson]


def parse_thought_record(raw: Mapping[str, object]) -> ThoughtRecord:
    values = parse(THOUGHT_RECORD, raw)
    errors = [
        FieldError(name, N_("missing: required"))
        for name in ("situation", "automatic_thought", "feeling")
        if not values[name]
    ]
    if errors:
        raise InvalidInput(errors)
    return cast("ThoughtRecord", values)  # each of THOUGHT_RECORD, checked by `parse`


def parse_skill_try(raw: Mapping[str, object]) -> SkillTry:
    return cast("SkillTry", parse(SKILL_TRY, raw))  # each of SKILL_TRY, checked by `parse`


def _text_list(raw: object, name: str, errors: list[FieldError]) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.append(FieldError(name, N_("must be a list")))
        return []
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, str):
            errors.append(FieldError(f"{name}[{i}]", N_("must be text")))
        elif len(item.strip()) > PLAN_ITEM_MAX:
            errors.append(
                FieldError.said(
                    f"{name}[{i}]",
                    N_("must be at most %(plan_item_max)s characters"),
                    plan_item_max=PLAN_ITEM_MAX,
                )
            )
        elif item.strip():
            out.append(item.strip())
    if len(out) > PLAN_LIST_MAX:
        errors.append(
            FieldError.said(name, N_("at most %(plan_list_max)s items"), plan_list_max=PLAN_LIST_MAX)
        )
    return out


def parse_plan(raw: Mapping[str, object]) -> Plan:
    """The relapse-prevention plan: lists of short texts and up to 10 people (name and phone)."""
    if not isinstance(raw, Mapping):
        raise InvalidInput([FieldError("plan", N_("must be an object"))])
    errors = [FieldError(k, N_("not a part of the plan")) for k in raw if k not in {*PLAN_LISTS, "people"}]
    lists = {name: _text_list(raw.get(name), name, errors) for name in PLAN_LISTS}
    people: list[PlanPerson] = []
    raw_people = raw.get("people") or []
    if not isinstance(raw_people, list):
        errors.append(FieldError("people", N_("must be a list")))
        raw_people = []
    for i, person in enumerate(raw_people):
        if not isinstance(person, Mapping):
            errors.append(FieldError(f"people[{i}]", N_("must be an object with name and phone")))
            continue
        try:
            p = parse(PERSON, person, prefix=f"people[{i}].")
        except InvalidInput as exc:
            errors += exc.errors
            continue
        if not p["name"]:
            if p["phone"]:
                errors.append(FieldError(f"people[{i}].name", N_("missing: who is this number for?")))
            continue
        if p["phone"] and not all(ascii_digits(c) or c in " +-().ext" for c in p["phone"]):
            errors.append(FieldError(f"people[{i}].phone", N_("use digits, spaces, + - ( ) only")))
            continue
        people.append(PlanPerson(name=p["name"], phone=p["phone"]))
    if len(people) > PEOPLE_MAX:
        errors.append(FieldError.said("people", N_("at most %(people_max)s people"), people_max=PEOPLE_MAX))
    if errors:
        raise InvalidInput(errors)
    return Plan(
        warning_signs=lists["warning_signs"],
        triggers=lists["triggers"],
        instead=lists["instead"],
        meetings=lists["meetings"],
        reasons=lists["reasons"],
        people=people,
    )
