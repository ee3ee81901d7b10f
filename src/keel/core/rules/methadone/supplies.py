"""Methadone take-home supplies beyond the eligibility ladder (issue #13): one dose for a day the program is
closed, and a supply schedule below the maximum (weekends only, say).

Sources: 42 CFR 8.12(i) (2024 rule: a closure day's take-home to a person not otherwise eligible).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from keel.core.decision import Decision, Reason
from keel.core.rules.base import NoPolicy
from keel.core.rules.inputs import FieldError, InvalidInput
from keel.core.rules.methadone.take_home import check_first_bottle_day
from keel.core.rules.methadone.take_home_inputs import FIRST_BOTTLE_WITHIN_DAYS, TakeHomeDetails
from keel.core.words import gettext_noop
from keel.core.words import gettext_noop as N_

# --- Take-home supplies beyond the eligibility ladder (issue #13) --------------------------------------------

# The decision of a closure day's one dose (a plan's `decision["decision"]`): its bottle is re-checked when it
# leaves the clinic (review 39a hole 2: `doses.bottles.hand_out.closure_called_off`).
CLOSURE_DAY = "closure_day"


def closure_day_supply(
    closure_day: date,
    closure_days: Sequence[date],
    today: date,
    *,
    within_days: int = FIRST_BOTTLE_WITHIN_DAYS,
    state_max_days: int | None = None,
    program_max_days: int | None = None,
) -> Decision[NoPolicy, TakeHomeDetails]:
    """One take-home dose for a day the program is closed (42 CFR 8.12(i)): allowed to a person who is not
    otherwise eligible, only for a closure day the program configured, never for a day already past. Review
    39a: the closure day is the plan's first bottle, held to the same ceiling (`check_first_bottle_day`,
    the program's `first_bottle_within_days`: hole 1); and a state or program limit of 0 days (a policy
    tightens a federal permission, never loosens it) allows none (hole 3). InvalidInput naming `closure_day`."""
    name = "take-home-eligibility"
    if closure_day < today:
        raise InvalidInput(
            [FieldError("closure_day", N_("is already past: give today or a later closure day"))]
        )
    if closure_day not in set(closure_days):
        raise InvalidInput(
            [FieldError("closure_day", N_("is not one of the program's closure days (program settings)"))]
        )
    try:
        check_first_bottle_day(closure_day, today, within_days)
    except InvalidInput as exc:
        raise InvalidInput([replace(e, field="closure_day") for e in exc.errors]) from None
    _refuse_where_none_allowed(state_max_days, program_max_days)
    reason = Reason.said(
        gettext_noop("The program is closed on %(day)s: one take-home dose for that day."),
        ("42cfr8.12-2024",),
        day=closure_day.isoformat(),
    )
    return Decision(
        name, "1", CLOSURE_DAY, (reason,), {}, {"max_supply_days": 1, "bottles": [closure_day.isoformat()]}
    )


def _refuse_where_none_allowed(state_max_days: int | None, program_max_days: int | None) -> None:
    """Review 39a hole 3: a state or program that allows no take-home doses (its limit 0) gives no
    closure-day dose either; the refusal names the setting and says the clinic arranges the dose."""
    if state_max_days == 0:
        raise InvalidInput(
            [
                FieldError(
                    "closure_day",
                    N_(
                        "the state limit given (state_max_days) is 0 days: no take-home doses, so no "
                        "closure-day dose either. The clinic arranges this day's dose another way"
                    ),
                )
            ]
        )
    if program_max_days == 0:
        raise InvalidInput(
            [
                FieldError(
                    "closure_day",
                    N_(
                        'the program\'s setting "Most take-home days the program allows" (program_max_days) '
                        "is 0 days: no take-home doses, so no closure-day dose either. The clinic arranges this "
                        "day's dose another way"
                    ),
                )
            ]
        )


def bottle_schedule_problems(days: Sequence[date], limit: int, today: date) -> list[FieldError]:
    """A supply schedule below the maximum (weekends only, say): at most `limit` bottles, each on its own day,
    none before today, all within `limit` days of the first one."""
    if not days:
        return [FieldError("bottle_days", N_("give at least one day, or leave it empty for every day"))]
    problems = []
    if len(set(days)) != len(days):
        problems.append(FieldError("bottle_days", N_("each day once")))
    if len(days) > limit:
        problems.append(
            FieldError.said("bottle_days", N_("at most %(limit)s days: the supply allowed now"), limit=limit)
        )
    if min(days) < today:
        problems.append(FieldError("bottle_days", N_("a day already past cannot be covered")))
    elif (max(days) - min(days)).days >= max(limit, 1):
        problems.append(
            FieldError.said("bottle_days", N_("all within %(limit)s days of the first one"), limit=limit)
        )
    return problems
