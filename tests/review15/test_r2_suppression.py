"""Review 15, round 2: small-cell suppression across the measures of one report (issue #15)."""

from __future__ import annotations

from datetime import date, timedelta

from keel.core.measures.coverage import Span
from keel.core.measures.program import Params, Person, continuity_nqf3175, retention
from keel.measures.queries import suppressed

START, END = date(2026, 1, 1), date(2026, 1, 31)


def _person(key: int, first: date, last: date, born: date = date(1990, 1, 1)) -> Person:
    return Person(key=key, birth_date=born, oud_diagnosis=True, coverage=(Span(first, last),))


def test_hidden_retention_pending_cannot_be_worked_out_from_the_other_retention_measure() -> None:
    """Harm: retention at 30 and 90 days read the same cohort, so cohort (30: denominator + pending) minus
    the 90-day denominator gives the 90-day pending count shown as "<11" (5 people re-identifiable)."""
    as_of = date(2026, 4, 10)
    people = [_person(k, date(2026, 1, 5), as_of) for k in range(15)]
    people += [_person(100 + k, date(2026, 1, 25), as_of) for k in range(5)]
    r30 = suppressed(retention(people, start=START, end=END, as_of=as_of, days=30, max_gap=7))
    r90 = suppressed(retention(people, start=START, end=END, as_of=as_of, days=90, max_gap=7))
    assert r90["pending"] == "<11"  # the cell is meant to be hidden
    shown = [r30["denominator"], r30["pending"], r90["denominator"]]
    derivable = all(isinstance(v, int) for v in shown)
    assert not derivable, f"pending at 90 days = {shown[0]} + {shown[1]} - {shown[2]}"


def test_hidden_under_18_exclusion_cannot_be_worked_out_from_retention_cohort() -> None:
    """Harm: with nobody continuing from before the window, the 180-day retention cohort minus the NQF 3175
    cohort is the number of minors left out, shown as "<11" -- three adolescents re-identifiable."""
    as_of = date(2026, 3, 1)
    people = [_person(k, date(2026, 1, 5), as_of) for k in range(20)]
    people += [_person(100 + k, date(2026, 1, 5), as_of, born=date(2010, 6, 1)) for k in range(3)]
    r180 = suppressed(retention(people, start=START, end=END, as_of=as_of, days=180, max_gap=7))
    nqf = suppressed(continuity_nqf3175(people, start=START, end=END, as_of=as_of, params=Params()))
    assert nqf["excluded"]["under 18 at the start"] == "<11"
    shown = [r180["denominator"], r180["pending"], nqf["denominator"], nqf["pending"]]
    derivable = all(isinstance(v, int) for v in shown)
    assert not derivable, f"minors = {shown[0]} + {shown[1]} - {shown[2]} - {shown[3]}"


def test_small_not_met_in_a_month_hides_the_numerator_and_the_total() -> None:
    """Held: 12 started, 10 met at 30 days -> 2 not met; the month's numerator and the totals hide."""
    as_of = date(2026, 6, 1)
    people = [_person(k, date(2026, 1, 5), date(2026, 3, 1)) for k in range(10)]
    people += [_person(100 + k, date(2026, 1, 5), date(2026, 1, 10)) for k in range(2)]
    r30 = suppressed(retention(people, start=START, end=END, as_of=as_of, days=30, max_gap=7))
    assert (r30["series"][0]["numerator"], r30["numerator"], r30["value"]) == ("<11", "<11", "<11")


def test_suppression_survives_a_wider_window_that_holds_an_earlier_month() -> None:
    """Held: Jan-Feb minus Feb-only would give January's cell; the two-month total is hidden with it."""
    as_of = date(2026, 8, 1)
    jan = [_person(k, date(2026, 1, 5), date(2026, 1, 6)) for k in range(3)]
    feb = [_person(100 + k, date(2026, 2, 5), date(2026, 2, 6)) for k in range(20)]
    wide = suppressed(
        retention(jan + feb, start=START, end=date(2026, 2, 28), as_of=as_of, days=30, max_gap=7)
    )
    assert wide["denominator"] == "<11"
    _ = timedelta
