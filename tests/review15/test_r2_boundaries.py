"""Review 15, round 2: boundary days of the retention and NQF 3175 measures (issue #15)."""

from __future__ import annotations

from datetime import date, timedelta

from keel.core.measures.coverage import Span
from keel.core.measures.program import Params, Person, continuity_nqf3175, retention

START, END = date(2026, 1, 1), date(2026, 1, 31)
D0 = date(2026, 1, 5)


def _p(*spans: Span, born: date = date(1990, 1, 1), key: int = 1) -> Person:
    return Person(key=key, birth_date=born, oud_diagnosis=True, coverage=spans)


def _days(n: int) -> Span:
    return Span(D0, D0 + timedelta(days=n - 1))


def _r30(person: Person, as_of: date) -> tuple[int, int, int]:
    m = retention([person], start=START, end=END, as_of=as_of, days=30, max_gap=7)
    return m.numerator, m.denominator, m.pending


def test_day_30_is_met() -> None:
    """Held: 30 covered days meet retention at 30."""
    assert _r30(_p(_days(30)), date(2026, 6, 1)) == (1, 1, 0)


def test_day_29_is_not_met_once_the_gap_has_passed() -> None:
    """Held: 29 days then nothing for months: not met."""
    assert _r30(_p(_days(29)), date(2026, 6, 1)) == (0, 1, 0)


def test_day_29_inside_the_gap_is_pending() -> None:
    """Held: last dose on day 29, report 7 days later: a dose today would still join it -> pending."""
    last = D0 + timedelta(days=28)
    assert _r30(_p(_days(29)), last + timedelta(days=8)) == (0, 0, 1)


def test_day_29_after_an_8_day_gap_is_not_met() -> None:
    """Held: 8 uncovered days after day 29 ends it."""
    last = D0 + timedelta(days=28)
    assert _r30(_p(_days(29)), last + timedelta(days=9)) == (0, 1, 0)


def test_gap_of_7_days_joins() -> None:
    """Held: days 1-20, 7 days off, days 28-40: one episode, met at 30."""
    a = Span(D0, D0 + timedelta(days=19))
    b = Span(D0 + timedelta(days=27), D0 + timedelta(days=39))
    assert _r30(_p(a, b), date(2026, 6, 1)) == (1, 1, 0)


def test_gap_of_8_days_breaks() -> None:
    """Held: days 1-20, 8 days off, days 29-40: the first episode ends at 20 -> not met."""
    a = Span(D0, D0 + timedelta(days=19))
    b = Span(D0 + timedelta(days=28), D0 + timedelta(days=39))
    assert _r30(_p(a, b), date(2026, 6, 1)) == (0, 1, 0)


def test_future_supply_never_counts() -> None:
    """Held: a 90-day fill dispensed today has covered 1 day: pending, not met."""
    m = retention([_p(_days(90))], start=START, end=D0, as_of=D0, days=30, max_gap=7)
    assert (m.numerator, m.denominator, m.pending) == (0, 0, 1)


def _nqf(people: list[Person], as_of: date, start: date = START, end: date = END) -> tuple[int, int, int]:
    m = continuity_nqf3175(people, start=start, end=end, as_of=as_of, params=Params())
    return m.numerator, m.denominator, m.pending


def test_nqf_180_from_index_met_179_not() -> None:
    """Held: 180 days from the index date meets; 179 does not."""
    as_of = date(2026, 12, 1)
    assert _nqf([_p(_days(180))], as_of)[:2] == (1, 1)
    assert _nqf([_p(_days(179))], as_of)[:2] == (0, 1)


def test_nqf_person_continuing_from_before_window_is_counted_from_window_start() -> None:
    """Held: covered since last October, through 2026-06-29 (180 days from Jan 1): counted and met."""
    person = _p(Span(date(2025, 10, 1), date(2026, 6, 29)))
    assert _nqf([person], date(2026, 12, 1))[:2] == (1, 1)


def test_nqf_continuing_person_with_179_days_in_window_is_not_met() -> None:
    """Held: days before the window never count toward the 180."""
    person = _p(Span(date(2025, 10, 1), date(2026, 6, 28)))
    assert _nqf([person], date(2026, 12, 1))[:2] == (0, 1)


def test_nqf_readmitted_inside_window_counts_first_episode_only() -> None:
    """Held: a 20-day episode, 30 days off, then a long one: the first episode (not met) is the index."""
    a = Span(D0, D0 + timedelta(days=19))
    b = Span(D0 + timedelta(days=50), D0 + timedelta(days=400))
    assert _nqf([_p(a, b)], date(2027, 3, 1))[:2] == (0, 1)


def test_nqf_17_at_index_is_left_out_even_if_18_later() -> None:
    """Held: age counts at the index date."""
    m = continuity_nqf3175(
        [_p(_days(200), born=date(2008, 2, 1))],
        start=START,
        end=END,
        as_of=date(2026, 12, 1),
        params=Params(),
    )
    assert (m.denominator, m.excluded) == (0, {"under 18 at the start": 1})
