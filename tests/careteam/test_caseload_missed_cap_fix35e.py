"""Lane fix35e (review 35e H5): the missed-dose count stops at the look-back (`core.episodes.MISS_LOOKBACK`,
the one definition `treatment.queries.doses` reads): a count at the cap is said "or more", below it as
counted, in English and Spanish."""

from __future__ import annotations

from django.utils import translation

from keel.careteam.queries.listing import _said
from keel.core.episodes import MISS_LOOKBACK
from keel.core.rules.caseload import Signals, rank
from keel.treatment.queries import doses


def test_the_treatment_count_reads_the_same_cap() -> None:
    assert doses.MISS_LOOKBACK == MISS_LOOKBACK


def test_a_count_at_the_cap_is_said_or_more() -> None:
    reason = rank(Signals(missed_dose_days=MISS_LOOKBACK)).reasons[0]
    assert reason.text == f"No observed dose for {MISS_LOOKBACK} days or more in a row"


def test_a_count_below_the_cap_is_said_as_counted() -> None:
    reason = rank(Signals(missed_dose_days=MISS_LOOKBACK - 1)).reasons[0]
    assert reason.text == f"No observed dose for {MISS_LOOKBACK - 1} days in a row"


def test_the_cap_keeps_the_same_place() -> None:
    assert rank(Signals(missed_dose_days=MISS_LOOKBACK)).tier_code == "soon"


def test_a_count_at_the_cap_is_said_in_spanish() -> None:
    reason = rank(Signals(missed_dose_days=MISS_LOOKBACK)).reasons[0]
    with translation.override("es"):
        said = _said(reason)
    assert said == f"Sin dosis observada desde hace {MISS_LOOKBACK} días seguidos o más"
