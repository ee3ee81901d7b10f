"""Which take-home plans belong to a person's current episode (`episode_take_home_plans`, `episode_plans`)
and the days their bottles cover (`plan_days`), for model instances and for plain values alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol, TypeVar

from keel.treatment.models import TakeHomePlan


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
    """The days a plan's bottles cover: none after the plan ended (discharge)."""
    days = {date.fromisoformat(iso) for iso in plan.bottles or []}
    return {d for d in days if plan.ended_on is None or d <= plan.ended_on}
