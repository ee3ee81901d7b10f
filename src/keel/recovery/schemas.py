"""What the recovery API sends (dates and times as ISO text, as always). A check-in is one shape,
`CheckInOut`, which the reads build (`queries.checkin_out`) for the pages, the API, the own-data copy and a
check-in's stored idempotent reply. So is a thought record, `ThoughtRecordOut` (`queries.thought_out`), and
the plan, `PlanContentOut` (`queries.PlanView.plan`); the `Out` schemas forbid extra keys, so a key added
where they are built and not here fails loudly instead of leaving the API silently."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from keel.api_body import CoreIn
from keel.core.recovery import checkin as core_checkin
from keel.core.recovery import tools
from keel.core.rules.inputs import FieldError, InvalidInput
from keel.core.words import gettext_noop as N_
from keel.recovery.models import SkillTry
from keel.schemas import Out

if TYPE_CHECKING:  # the reads build `CheckInOut`; the schemas only name the reads' views
    from keel.recovery.queries import PlanView, ProgressView, SkillStats


# A check-in as the pages, the API and the own-data copy show it, its private words decrypted (no docstring:
# it would change the OpenAPI document).
class CheckInOut(Out):
    id: int
    date: str  # the local date, ISO
    craving: int
    mood: int
    used: bool
    used_what: list[str]
    used_how: list[str]
    medication: str
    meeting: bool
    counseling: bool
    triggers: list[str]
    trigger_other: str
    sleep: str
    note: str
    version: int
    updated_at: str  # ISO datetime


class CheckInSavedOut(Out):
    """Today's check-in as saved (or as first saved, for a replay of its idempotency key)."""

    checkin: CheckInOut
    created: bool
    offers: list[str]  # what the app offers next: safety, thought_record
    nudges: list[str]  # the early-warning flags this check-in raised

    @classmethod
    def of(cls, body: Mapping[str, object]) -> CheckInSavedOut:
        return cls.model_validate(body)


class WeekOut(BaseModel):
    start: str  # ISO date
    checkins: int
    medication_taken: int
    medication_missed: int
    adherence: float | None
    meetings: int
    counseling: int


class SeriesPointOut(BaseModel):
    date: str  # ISO date
    craving: int
    mood: int
    used: bool


class ProgressOut(BaseModel):
    today: str  # ISO date
    start: str | None
    last_use: str | None
    days_since_last_use: int
    days_in_recovery: int
    use_days: int
    milestones_reached: list[int]
    next_milestone: int | None
    week: WeekOut
    series: list[SeriesPointOut]

    @classmethod
    def of(cls, view: ProgressView) -> ProgressOut:
        p, w = view.progress, view.progress.week
        return cls(
            today=p.today.isoformat(),
            start=p.start.isoformat() if p.start else None,
            last_use=p.last_use.isoformat() if p.last_use else None,
            days_since_last_use=p.days_since_last_use,
            days_in_recovery=p.days_in_recovery,
            use_days=p.use_days,
            milestones_reached=list(p.milestones_reached),
            next_milestone=p.next_milestone,
            week=WeekOut(
                start=w.start.isoformat(),
                checkins=w.checkins,
                medication_taken=w.medication_taken,
                medication_missed=w.medication_missed,
                adherence=w.adherence,
                meetings=w.meetings,
                counseling=w.counseling,
            ),
            series=[
                SeriesPointOut(date=c.local_date.isoformat(), craving=c.craving, mood=c.mood, used=c.used)
                for c in view.series
            ],
        )


class ThoughtRecordOut(Out):
    id: int
    created_at: str  # ISO datetime
    local_date: str  # ISO date
    checkin_id: int | None
    situation: str
    automatic_thought: str
    feeling: str
    evidence_for: str
    evidence_against: str
    balanced_thought: str
    intensity_before: int
    intensity_after: int | None


class PersonOut(BaseModel):
    name: str
    phone: str


class PlanContentOut(BaseModel):
    """The relapse-prevention plan (`keel.core.recovery.tools.parse_plan`): lists of short texts, people."""

    warning_signs: list[str]
    triggers: list[str]
    instead: list[str]
    meetings: list[str]
    reasons: list[str]
    people: list[PersonOut]


class PlanOut(BaseModel):
    version: int  # 0: not written yet
    updated_at: str | None  # ISO datetime
    plan: PlanContentOut

    @classmethod
    def of(cls, view: PlanView) -> PlanOut:
        return cls(
            version=view.version,
            updated_at=view.updated_at.isoformat() if view.updated_at else None,
            plan=view.plan,
        )


class SkillOut(BaseModel):
    skill: str
    tries: int
    helped: int
    help_rate: float | None

    @classmethod
    def of(cls, s: SkillStats) -> SkillOut:
        return cls(skill=s.code, tries=s.tries, helped=s.helped, help_rate=s.help_rate)


class SkillTryOut(BaseModel):
    id: int
    skill: str
    helped: str
    tried_at: str  # ISO datetime

    @classmethod
    def of(cls, row: SkillTry) -> SkillTryOut:
        return cls(id=row.pk, skill=row.skill, helped=row.helped, tried_at=row.tried_at.isoformat())


class ThoughtRecordIn(CoreIn):
    """A CBT thought record, as the API and the page post it: the fields, limits and help of
    `keel.core.recovery.tools.THOUGHT_RECORD`, checked by `tools.parse_thought_record`."""

    FIELDS = tools.THOUGHT_RECORD

    situation: str
    automatic_thought: str
    feeling: str
    intensity_before: int
    evidence_for: str
    evidence_against: str
    balanced_thought: str
    intensity_after: int | None

    @classmethod
    def core_parse(cls, raw: Mapping[str, object], now: datetime | None = None) -> Mapping[str, object]:
        return tools.parse_thought_record(raw)


class SkillTryIn(CoreIn):
    """A coping skill tried and whether it helped (`keel.core.recovery.tools.SKILL_TRY`)."""

    FIELDS = tools.SKILL_TRY

    skill: str
    helped: str


class CheckInIn(CoreIn):
    """Today's check-in, as the API and the page post it: the fields, limits and help of
    `keel.core.recovery.checkin.FIELDS`, checked by `checkin.parse_checkin` (use without what or how)."""

    FIELDS = core_checkin.FIELDS

    craving: int
    mood: int
    used: bool
    used_what: list[str]
    used_how: list[str]
    medication: str
    meeting: bool
    counseling: bool
    triggers: list[str]
    trigger_other: str
    sleep: str
    note: str

    @classmethod
    def core_parse(cls, raw: Mapping[str, object], now: datetime | None = None) -> Mapping[str, object]:
        return core_checkin.parse_checkin(raw)


class PersonIn(CoreIn):
    """Someone on the plan to call (`keel.core.recovery.tools.PERSON`)."""

    FIELDS = tools.PERSON

    name: str
    phone: str


class PlanContentIn(CoreIn):
    """The relapse-prevention plan, checked by `keel.core.recovery.tools.parse_plan`: lists of short texts
    and the people to call."""

    NESTED = {**dict.fromkeys(tools.PLAN_LISTS, list[str]), "people": list[PersonIn]}

    warning_signs: list[str]
    triggers: list[str]
    instead: list[str]
    meetings: list[str]
    reasons: list[str]
    people: list[PersonIn]

    @classmethod
    def core_parse(cls, raw: Mapping[str, object], now: datetime | None = None) -> Mapping[str, object]:
        return tools.parse_plan(raw)


class PlanIn(CoreIn):
    """A plan as the API and the page put it: the version the writer read (0 for a new plan) and the plan.
    A bad version is named alone, then a plan that is not an object, then the plan's own fields (with any key
    beside `version` and `plan`)."""

    NESTED = {"version": int, "plan": PlanContentIn}

    version: int
    plan: PlanContentIn

    @classmethod
    def core_parse(cls, raw: Mapping[str, object], now: datetime | None = None) -> Mapping[str, object]:
        version = raw.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            raise InvalidInput(
                [FieldError("version", N_("must be the plan version you read (0 for a new plan)"))]
            )
        plan = raw.get("plan")
        if not isinstance(plan, dict):
            raise InvalidInput([FieldError("plan", N_("must be an object"))])
        # A key beside the two (`people` sent next to `plan`, not in it) is named with the plan's own fields:
        # ignoring it saved a plan without what the client meant to send (review 13b).
        errors = [FieldError(k, N_("not an input of this rule")) for k in raw if k not in {"version", "plan"}]
        try:
            checked = tools.parse_plan(plan)
        except InvalidInput as exc:
            raise InvalidInput(errors + exc.errors) from None
        if errors:
            raise InvalidInput(errors)
        return {"version": version, "plan": checked}

    @classmethod
    def body_schema(cls) -> dict[str, Any]:
        # Each level refuses a key it does not know, as its parse does (review 15a: the document said so of
        # every other body).
        return {
            "type": "object",
            "required": ["version", "plan"],
            "additionalProperties": False,
            "properties": {
                "version": {"type": "integer", "description": "the version you read (0 for a new plan)"},
                "plan": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        **{name: {"type": "array", "items": {"type": "string"}} for name in tools.PLAN_LISTS},
                        "people": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {"name": {"type": "string"}, "phone": {"type": "string"}},
                            },
                        },
                    },
                },
            },
        }
