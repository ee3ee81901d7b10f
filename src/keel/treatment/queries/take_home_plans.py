"""Which take-home plans belong to a person's current episode (`episode_take_home_plans`, `episode_plans`)
and the days their bottles cover (`plan_days`), for model instances and for plain values alike; the bottles
that count against the person's supply (`held_bottles`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple, Protocol, TypeVar

from keel.core.take_home_bottles import bottles_held
from keel.patients.models import Patient, zone_of
from keel.treatment.models import DoseRecord, DoseStatus, Medication, TakeHomePlan
from keel.treatment.queries.doses import taken_doses


def episode_take_home_plans(
    ids: list[int], episodes_of: Mapping[int, tuple[int, date]], *, among: Any = None
) -> list[TakeHomePlan]:
    """The take-home plans of each person's current episode (`episodes_of`: patient id -> the active
    enrollment's id and start): a plan of an earlier episode never covers a day of this one (issue #13). A
    plan stored before plans named their episode belongs to the episode in which it was decided. `among`:
    a subquery of patient ids to read instead of `ids` (plans of people not in `episodes_of` are skipped)."""
    people = among if among is not None else ids
    return episode_plans(
        TakeHomePlan.objects.filter(patient_id__in=people).order_by("decided_at", "id"), episodes_of
    )


class PlanCover(Protocol):
    """What `plan_days` reads of a plan (a TakeHomePlan, or its values: `_PlanValues`)."""

    @property
    def bottles(self) -> list[str]: ...  # ISO dates

    @property
    def ended_on(self) -> date | None: ...


class EpisodePlan(PlanCover, Protocol):
    """What `episode_plans` reads of a plan, besides its days."""

    @property
    def patient_id(self) -> int: ...

    @property
    def enrollment_id(self) -> int | None: ...

    @property
    def decided_at(self) -> datetime: ...


class _PlanValues(NamedTuple):
    """A take-home plan as the values `episode_plans` and `plan_days` read (no model instance)."""

    patient_id: int
    enrollment_id: int | None
    decided_at: datetime
    bottles: list[str]
    ended_on: date | None


_P = TypeVar("_P", bound=EpisodePlan)


def episode_plans(plans: Iterable[_P], episodes_of: Mapping[int, tuple[int, date]]) -> list[_P]:
    """Of these plans (oldest first), those of each person's current episode (`episode_take_home_plans`)."""
    kept = []
    for plan in plans:
        episode = episodes_of.get(plan.patient_id)
        if episode is None:
            continue
        enrollment_id, started_on = episode
        if plan.enrollment_id == enrollment_id or (
            plan.enrollment_id is None and plan.decided_at.date() >= started_on
        ):
            kept.append(plan)
    return kept


def plan_days(plan: PlanCover) -> set[date]:
    """The days a plan's bottles cover: none after the plan ended (discharge). The one definition of a
    take-home day (with a bottle of an ended plan still held, `held_bottles`) that the window, the medication
    page, the API and FHIR read; review 23b: a run whose bottles never left ends its plan before it
    (`doses.bottles`), so a day whose bottle never left is a clinic day here too."""
    days = {date.fromisoformat(iso) for iso in plan.bottles or []}
    return {d for d in days if plan.ended_on is None or d <= plan.ended_on}


def held_bottles(patient: Patient, episode: tuple[int, date] | None, today: date) -> dict[int, set[date]]:
    """Review 19a: the bottle days from `today` on that count against the person's take-home supply, by plan
    (`keel.core.take_home_bottles.bottles_held`, the one definition): every bottle a plan of the current
    episode (`episode`: the active enrollment's id and start) still covers, and every bottle handed out and
    not brought back of a plan that ended, whatever ended it and whichever episode it belonged to (the bottle
    is in the person's hands all the same). One read of the plans, one of the observed methadone doses taken
    while an ended plan stood; the supply check reads this under the person's lock."""
    zone = zone_of(patient)
    plans = [
        p
        for p in TakeHomePlan.objects.filter(patient=patient).order_by("decided_at", "id")
        if any(iso >= today.isoformat() for iso in p.bottles or [])
    ]
    current = {p.pk for p in episode_plans(plans, {patient.pk: episode})} if episode else set()
    plans = [p for p in plans if p.pk in current or p.ended_on is not None]
    ended = [p for p in plans if p.ended_on is not None]
    visits: list[tuple[date, datetime]] = []
    if ended:
        since = min(p.decided_at for p in ended).astimezone(zone).date()
        visits = [  # when each dose was recorded: the instant its bottles were decided
            (day, recorded)
            # review 23b hole 3: a dose voided or corrected to 0 mg handed nothing out (`taken_doses`)
            for day, recorded in taken_doses(
                DoseRecord.objects.filter(
                    patient=patient,
                    medication=Medication.METHADONE,
                    status=DoseStatus.GIVEN,
                    local_date__gte=since,
                    local_date__lte=today,
                )
            ).values_list("local_date", "recorded_at")
        ]
    held = {}
    for plan in plans:
        ended_at = plan.ended_at
        days = bottles_held(
            bottles=[date.fromisoformat(iso) for iso in plan.bottles or []],
            decided_on=plan.decided_at.astimezone(zone).date(),
            ended_on=plan.ended_on,
            ended_day=None
            if plan.ended_on is None
            else ended_at.astimezone(zone).date()
            if ended_at is not None
            else plan.ended_on,  # discharge ends a plan on its day, without a time
            returned=[date.fromisoformat(iso) for iso in plan.returned_days or []],
            # review 22n hole 5: a dose recorded after the plan's end handed nothing out; a run kept back at
            # a dose ends its plan just before that dose's instant (`doses.bottles.hand_out_at_dose`)
            visits=[day for day, at in visits if ended_at is None or at <= ended_at],
            today=today,
        )
        if days:
            held[plan.pk] = days
    return held


def bottles_at_home_above(
    patient: Patient,
    medication: str,
    from_day: date,
    dose_mg: Decimal,
    *,
    plans: Iterable[TakeHomePlan] | None = None,
) -> list[tuple[date, Decimal]]:
    """Review 22n hole 6: the methadone take-home bottles handed out (their mg recorded on a plan,
    `TakeHomePlan.bottle_mg`) for `from_day` or later, not brought back, that hold more than a new order of
    `medication` at `dose_mg` gives (a new order of another medication: every such bottle, a second agonist
    at home), in day order: what the prescriber of that order must be told, to call the person back or swap
    the bottle. `plans`: every take-home plan of the person (those of earlier episodes and ended ones too),
    as the caller read them in its transaction, under the person's lock, with nothing written to them since
    (the dose at the window: its context's `every_plan`, issue #21); None: they are read here (a plan with
    no bottle handed out adds nothing either way)."""
    if plans is None:
        plans = TakeHomePlan.objects.filter(patient=patient).exclude(bottle_mg={})
    found: dict[date, Decimal] = {}
    for plan in plans:
        if plan.patient_id != patient.pk:
            continue
        back = set(plan.returned_days or [])
        for iso, mg in (plan.bottle_mg or {}).items():
            day, held = date.fromisoformat(iso), Decimal(mg)
            if day >= from_day and iso not in back and (medication != Medication.METHADONE or held > dose_mg):
                found[day] = max(held, found.get(day, Decimal(0)))
    return sorted(found.items())
