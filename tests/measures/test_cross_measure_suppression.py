"""Small-cell suppression across the measures of one report (issue #15, review round 2): a cohort shared by
retention at 30/90/180 days and NQF 3175 never has one hidden part that the other measures give away."""

from __future__ import annotations

from datetime import date

from keel.core.measures.coverage import Span
from keel.core.measures.program import Params, Person, continuity_nqf3175, retention
from keel.measures.queries import SUPPRESSED, suppressed

START, FEB_END = date(2026, 1, 1), date(2026, 2, 28)
ADULT, MINOR = date(1990, 1, 1), date(2010, 6, 1)


def _person(key: int, first: date, last: date, born: date = ADULT) -> Person:
    return Person(key=key, birth_date=born, oud_diagnosis=True, coverage=(Span(first, last),))


def _month(measure: dict, month: str) -> dict:
    return next(p for p in measure["series"] if p["month"] == month)


def test_a_months_hidden_pending_hides_its_counted_cell_too() -> None:
    as_of = date(2026, 4, 10)
    people = [_person(k, date(2026, 1, 5), as_of) for k in range(15)]
    people += [_person(100 + k, date(2026, 1, 25), as_of) for k in range(5)]
    r90 = suppressed(retention(people, start=START, end=FEB_END, as_of=as_of, days=90, max_gap=7))
    jan = _month(r90, "2026-01")
    assert (jan["pending"], jan["denominator"], jan["percent"]) == (SUPPRESSED,) * 3


def test_a_cohort_with_nothing_small_is_shown_whole() -> None:
    as_of = date(2026, 4, 10)
    people = [_person(k, date(2026, 1, 5), as_of) for k in range(15)]
    people += [_person(100 + k, date(2026, 1, 25), as_of) for k in range(15)]
    r90 = suppressed(retention(people, start=START, end=FEB_END, as_of=as_of, days=90, max_gap=7))
    assert (r90["denominator"], r90["pending"]) == (15, 15)


def test_minors_in_one_month_cannot_be_worked_out_when_the_total_is_large() -> None:
    """3 minors in January, 20 in February: 23 left out in all (not small), but January's 3 would follow
    from the 180-day retention cohort of January minus NQF 3175's January cells."""
    as_of = date(2026, 3, 1)
    people = [_person(k, date(2026, 1, 5), as_of) for k in range(20)]
    people += [_person(100 + k, date(2026, 1, 5), as_of, born=MINOR) for k in range(3)]
    people += [_person(200 + k, date(2026, 2, 5), as_of) for k in range(20)]
    people += [_person(300 + k, date(2026, 2, 5), as_of, born=MINOR) for k in range(20)]
    nqf = suppressed(continuity_nqf3175(people, start=START, end=FEB_END, as_of=as_of, params=Params()))
    jan = _month(nqf, "2026-01")
    assert jan["pending"] == SUPPRESSED
    assert nqf["pending"] == SUPPRESSED  # else the total minus February gives January
    assert nqf["excluded"]["under 18 at the start"] == SUPPRESSED


def test_a_hidden_counted_total_hides_the_pending_total_with_it() -> None:
    """January: 3 counted (hidden), none pending; February: 20 counted, 15 pending. The total counted is
    hidden; the total pending goes with it, else the cohort total from another measure gives it back."""
    as_of = date(2026, 3, 10)
    people = [_person(k, date(2026, 1, 5), date(2026, 1, 6)) for k in range(3)]
    people += [_person(100 + k, date(2026, 2, 1), date(2026, 2, 2)) for k in range(20)]
    people += [_person(200 + k, date(2026, 2, 20), as_of) for k in range(15)]
    r30 = suppressed(retention(people, start=START, end=FEB_END, as_of=as_of, days=30, max_gap=7))
    assert _month(r30, "2026-01")["pending"] == 0  # a zero gives nothing away: the cohort is hidden too
    assert (r30["denominator"], r30["pending"]) == (SUPPRESSED, SUPPRESSED)
