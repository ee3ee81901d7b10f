"""Lane fix36i item 3 (left by fix36a): methadone's first dose of a day on which the first day's limits apply
(an induction's first day) meets the first-dose cap (`first_dose_max_mg`, the label's 30 mg;
`core.rules.methadone.induction.first_day_over`). The window read "first" as "nothing given yet today", so a
dose recorded late for a time before the day's first recorded dose was taken for a supplementary one and
passed the cap. "Before" is by time given (`treatment.queries.doses.given_before`, fix36a's one
definition)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from keel.treatment.services.common import DoseBlocked
from tests.conftest import World
from tests.review34c._setup import a_day, at, dose, order

pytestmark = pytest.mark.django_db


def _induction_day(world: World) -> datetime:
    """Methadone 40 mg written at 06:00 of her first day; 5 mg given and recorded at 10:00. 10:00."""
    t = at(a_day(world, 2), 10)
    order(world, "methadone", "40", t - timedelta(hours=4))
    dose(world, "5", t)
    return t


def test_a_late_dose_given_before_the_days_first_meets_the_first_dose_cap(world: World) -> None:
    t = _induction_day(world)
    with pytest.raises(DoseBlocked) as exc:
        dose(world, "35", t + timedelta(minutes=30), given_at=t - timedelta(hours=2, minutes=30))
    assert "first-dose limit" in str(exc.value)


def test_a_later_supplementary_dose_is_not_a_first_dose(world: World) -> None:
    t = _induction_day(world)
    given = dose(world, "5", t + timedelta(hours=3)).dose
    assert given.amount_mg == 5


def test_the_first_dose_at_the_window_still_meets_the_cap(world: World) -> None:
    t = at(a_day(world, 2), 10)
    order(world, "methadone", "40", t - timedelta(hours=4))
    with pytest.raises(DoseBlocked) as exc:
        dose(world, "35", t)
    assert "first-dose limit" in str(exc.value)


def test_the_rule_reads_the_mg_given_before_by_time_given() -> None:
    from keel.core.rules.methadone import DOSE_CHECK

    raw = {"treatment_day": 1, "given_today_mg": 5, "given_before_mg": 0, "requested_mg": 35}
    said = " ".join(r.text for r in DOSE_CHECK.run(raw).reasons)
    assert "first-dose limit" in said


def test_the_rule_without_it_reads_the_days_total() -> None:
    from keel.core.rules.methadone import DOSE_CHECK

    raw = {"treatment_day": 1, "given_today_mg": 5, "requested_mg": 35}
    said = " ".join(r.text for r in DOSE_CHECK.run(raw).reasons)
    assert "first-dose limit" not in said
