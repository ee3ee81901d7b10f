"""Lane fix35c (review 35c): the core's reading of a recorded death (`Person.died_on`) in every measure, and
of the care period an admission opened (a same-day readmission, twice the same day)."""

from __future__ import annotations

from datetime import date, timedelta

from keel.core.measures.coverage import Span
from keel.core.measures.program import (
    NEVER_STARTED,
    Params,
    Person,
    continuity_nqf3175,
    intake_to_first_dose,
    naloxone_coverage,
    retention,
)

D1 = date(2025, 1, 1)
AS_OF = D1 + timedelta(days=400)


def day(n: int) -> date:
    """Day n of a treatment that starts on day 1."""
    return D1 + timedelta(days=n - 1)


def person(**kw: object) -> Person:
    return Person(key=1, birth_date=date(1980, 1, 1), oud_diagnosis=True, **kw)  # type: ignore[arg-type]


def _retained(p: Person, days: int = 30, as_of: date = AS_OF) -> tuple[int, int, int]:
    m = retention([p], start=D1, end=D1, as_of=as_of, days=days, max_gap=7)
    return m.numerator, m.denominator, m.pending


def test_no_covered_day_after_the_day_she_died() -> None:
    p = person(coverage=(Span(day(1), day(90)),), died_on=day(10))
    assert p.covered(AS_OF) == [Span(day(1), day(10))]


def test_the_report_date_cuts_when_it_comes_first() -> None:
    p = person(coverage=(Span(day(1), day(90)),), died_on=day(50))
    assert p.covered(day(20)) == [Span(day(1), day(20))]


def test_supply_that_starts_after_the_death_is_none() -> None:
    p = person(coverage=(Span(day(1), day(5)), Span(day(12), day(40))), died_on=day(10))
    assert p.covered(AS_OF) == [Span(day(1), day(5))]


def test_a_death_ends_retention_not_met_and_counted() -> None:
    assert _retained(person(coverage=(Span(day(1), day(30)),), died_on=day(10))) == (0, 1, 0)


def test_a_death_on_the_30th_day_is_retained_at_30() -> None:
    assert _retained(person(coverage=(Span(day(1), day(60)),), died_on=day(30))) == (1, 1, 0)


def test_a_death_inside_the_gap_on_the_report_date_is_not_pending() -> None:
    assert _retained(person(coverage=(Span(day(1), day(8)),), died_on=day(8)), as_of=day(10)) == (0, 1, 0)


def test_alive_inside_the_gap_is_pending() -> None:
    assert _retained(person(coverage=(Span(day(1), day(8)),)), as_of=day(10)) == (0, 0, 1)


def test_nqf_3175_reads_no_day_after_the_death() -> None:
    p = person(coverage=(Span(day(1), day(200)),), died_on=day(100))
    m = continuity_nqf3175([p], start=D1, end=D1, as_of=AS_OF, params=Params())
    assert (m.numerator, m.denominator) == (0, 1)


def test_a_death_before_the_window_is_not_in_nqf_3175() -> None:
    p = person(coverage=(Span(day(1), day(200)),), died_on=day(30))
    m = continuity_nqf3175([p], start=day(40), end=day(60), as_of=AS_OF, params=Params())
    assert m.denominator == 0


def test_no_one_is_in_care_after_the_day_she_died() -> None:
    p = person(in_care=(Span(day(1), date.max),), naloxone_on=(day(1),), died_on=day(10))
    assert p.care() == (Span(day(1), day(10)),)


def test_naloxone_coverage_counts_her_only_while_alive() -> None:
    p = person(in_care=(Span(D1, date.max),), naloxone_on=(D1,), died_on=date(2025, 2, 10))
    m = naloxone_coverage([p], start=D1, end=date(2025, 2, 28), as_of=AS_OF)
    assert [pt.denominator for pt in m.series] == [1, 0]


def test_a_care_period_that_began_after_the_death_is_none() -> None:
    p = person(in_care=(Span(day(1), day(5)), Span(day(20), date.max)), died_on=day(10))
    assert p.care() == (Span(day(1), day(5)),)


def _intake(p: Person) -> tuple[int, int, dict[str, int]]:
    m = intake_to_first_dose([p], start=D1, end=day(60), as_of=day(100))
    return m.numerator, m.pending, m.excluded


def test_a_first_dose_after_the_death_is_none() -> None:
    p = person(admissions=(day(1),), coverage=(Span(day(15), day(20)),), died_on=day(10))
    assert _intake(p) == (0, 0, {NEVER_STARTED: 1})


def test_a_same_day_readmission_reads_its_own_period() -> None:
    p = person(
        admissions=(day(1), day(20)),
        in_care=(Span(day(1), day(20)), Span(day(20), date.max)),
        coverage=(Span(day(3), day(19)), Span(day(22), day(40))),
    )
    assert _intake(p) == (2, 0, {})


def test_two_admissions_the_same_day_read_one_period_each() -> None:
    p = person(
        admissions=(day(5), day(5)),
        in_care=(Span(day(5), date.max), Span(day(5), day(5))),
        coverage=(Span(day(8), day(40)),),
    )
    assert _intake(p) == (1, 0, {NEVER_STARTED: 1})
