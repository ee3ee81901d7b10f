"""Episode rules of two NCQA HEDIS measures (reference 14.2, 14.3), for programs that report them.

- **IET** (Initiation and Engagement of SUD Treatment) [V]: *initiation* is treatment within 14 days of the
  SUD episode date (the episode date or the 13 days after); *engagement* is two or more further SUD services
  or medication events within 34 days of the initiation. The engagement window is a parameter because older
  specifications used 30 days (conflict 11). Which day ends the window and whether a service on the initiation
  day counts are UNVERIFIED: Keel counts services on the days after the initiation, up to and including
  initiation + window.
- **POD** (Pharmacotherapy for OUD) [V]: members 16 years and older; younger people are excluded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from keel.core.decision import Reason
from keel.core.measures.program import age_on

IET_SOURCES = ("hedis-iet",)
POD_SOURCES = ("hedis-pod",)
IET_INITIATION_DAYS = 14  # [V]
IET_ENGAGEMENT_DAYS = 34  # [V] current NCQA text; 30 in older versions
IET_ENGAGEMENT_EVENTS = 2  # [V]
POD_MIN_AGE = 16  # [V]


@dataclass(frozen=True)
class IetOutcome:
    initiated: bool
    initiation_on: date | None
    engaged: bool
    reasons: tuple[Reason, ...]


def iet(
    episode_on: date,
    treatment_days: Iterable[date],
    *,
    engagement_days: int = IET_ENGAGEMENT_DAYS,
    engagement_events: int = IET_ENGAGEMENT_EVENTS,
) -> IetOutcome:
    """Initiation and engagement for one SUD episode, from the days with a SUD service or medication event."""
    days = sorted(d for d in treatment_days if d >= episode_on)
    last_initiation_day = episode_on + timedelta(days=IET_INITIATION_DAYS - 1)
    initiation = next((d for d in days if d <= last_initiation_day), None)
    if initiation is None:
        return IetOutcome(
            False,
            None,
            False,
            (
                Reason(
                    f"No treatment from {episode_on.isoformat()} to {last_initiation_day.isoformat()} "
                    f"({IET_INITIATION_DAYS} days from the episode date).",
                    IET_SOURCES,
                ),
            ),
        )
    window_end = initiation + timedelta(days=engagement_days)
    further = [d for d in days if initiation < d <= window_end]
    engaged = len(further) >= engagement_events
    return IetOutcome(
        True,
        initiation,
        engaged,
        (
            Reason(
                f"Treatment began on {initiation.isoformat()}, within {IET_INITIATION_DAYS} days.",
                IET_SOURCES,
            ),
            Reason(
                f"{len(further)} further service(s) by {window_end.isoformat()} "
                f"({engagement_days} days after initiation); {engagement_events} are needed for engagement.",
                IET_SOURCES,
            ),
        ),
    )


def pod_eligible(birth_date: date, event_on: date) -> bool:
    """HEDIS POD counts a new OUD pharmacotherapy event only for people 16 and older on that day."""
    return age_on(birth_date, event_on) >= POD_MIN_AGE
