"""Quality measures: the reference's test vectors 48-50 and every rule of the program measures."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keel.core.measures import hedis
from keel.core.measures.coverage import Span, cover_days, day_spans, episode_from, join, still_open
from keel.core.measures.program import (
    Params,
    Person,
    age_on,
    continuity_nqf3175,
    intake_to_first_dose,
    months,
    naloxone_coverage,
    program_measures,
    retention,
)

D1 = date(2025, 1, 1)


def jan(d: int) -> date:
    return date(2026, 1, d)


def day(n: int) -> date:
    """Day n of a treatment that starts on day 1 = 2025-01-01."""
    return D1 + timedelta(days=n - 1)


def person(
    key: int = 1, *, spans: tuple[Span, ...] = (), born: date = date(1990, 6, 1), **kw: object
) -> Person:
    return Person(key=key, birth_date=born, oud_diagnosis=kw.pop("oud", True), coverage=spans, **kw)  # type: ignore[arg-type]


# --- reference test vector 49 (NQF 3175 with the 7-day gap rule) -------------------------------------------


def test_vector_49_a_5_day_gap_joins_and_meets_180_days() -> None:
    spans = (Span(day(1), day(100)), Span(day(106), day(190)))
    episode = episode_from(spans, day(1), max_gap=7)
    assert episode == Span(day(1), day(190))
    assert episode.days == 190
    m = continuity_nqf3175([person(spans=spans)], start=D1, end=D1, as_of=day(400), params=Params())
    assert (m.numerator, m.denominator, m.value) == (1, 1, 100.0)


def test_vector_49_an_8_day_gap_breaks_and_fails() -> None:
    spans = (Span(day(1), day(100)), Span(day(109), day(190)))
    assert episode_from(spans, day(1), max_gap=7) == Span(day(1), day(100))
    m = continuity_nqf3175([person(spans=spans)], start=D1, end=D1, as_of=day(400), params=Params())
    assert (m.numerator, m.denominator, m.value) == (0, 1, 0.0)


def test_the_gap_is_a_parameter() -> None:
    spans = (Span(day(1), day(100)), Span(day(109), day(190)))
    m = continuity_nqf3175([person(spans=spans)], start=D1, end=D1, as_of=day(400), params=Params(max_gap=8))
    assert m.numerator == 1
    assert m.params["max_gap"] == 8


# --- reference test vector 48 (IET) ------------------------------------------------------------------------


def test_vector_48_initiation_within_14_days() -> None:
    assert hedis.iet(jan(1), [jan(14)]).initiated
    assert hedis.iet(jan(1), [jan(14)]).initiation_on == jan(14)
    late = hedis.iet(jan(1), [jan(15)])
    assert not late.initiated
    assert not late.engaged
    assert late.reasons[0].sources == ("hedis-iet",)


def test_vector_48_engagement_needs_two_further_services_within_34_days() -> None:
    assert hedis.iet(jan(1), [jan(10), jan(20), jan(30)]).engaged
    assert not hedis.iet(jan(1), [jan(10), jan(20)]).engaged


def test_iet_boundaries_and_older_window() -> None:
    start = date(2026, 1, 1)
    init = date(2026, 1, 5)
    # Days after initiation up to and including initiation + 34 count; the initiation day itself does not.
    assert hedis.iet(start, [init, init, init + timedelta(days=34), init + timedelta(days=1)]).engaged
    assert not hedis.iet(start, [init, init, init + timedelta(days=35), init + timedelta(days=1)]).engaged
    # The older specification's 30 days is a parameter.
    assert not hedis.iet(
        start, [init, init + timedelta(days=1), init + timedelta(days=31)], engagement_days=30
    ).engaged
    # Treatment before the episode date does not initiate it.
    assert not hedis.iet(start, [date(2025, 12, 31)]).initiated


# --- reference test vector 50 (HEDIS POD) ------------------------------------------------------------------


def test_vector_50_pod_age() -> None:
    event = date(2026, 3, 1)
    assert not hedis.pod_eligible(date(2010, 6, 1), event)  # 15
    assert hedis.pod_eligible(date(2010, 3, 1), event)  # 16 that day
    assert not hedis.pod_eligible(date(2010, 3, 2), event)  # 16 tomorrow


def test_age_on_birthdays() -> None:
    assert age_on(date(2000, 2, 29), date(2018, 2, 28)) == 17
    assert age_on(date(2000, 2, 29), date(2018, 3, 1)) == 18
    assert age_on(date(2008, 1, 1), date(2026, 1, 1)) == 18


# --- coverage ----------------------------------------------------------------------------------------------


def test_day_spans_joins_consecutive_days_and_repeats() -> None:
    days = [day(3), day(1), day(2), day(2), day(5)]
    assert day_spans(days) == [Span(day(1), day(3)), Span(day(5), day(5))]


def test_join_merges_overlaps_and_contained_spans() -> None:
    assert join([Span(day(1), day(30)), Span(day(5), day(10)), Span(day(20), day(40))], max_gap=0) == [
        Span(day(1), day(40))
    ]
    assert join([Span(day(1), day(1)), Span(day(3), day(3))], max_gap=0) == [
        Span(day(1), day(1)),
        Span(day(3), day(3)),
    ]
    assert join([Span(day(1), day(1)), Span(day(3), day(3))], max_gap=1) == [Span(day(1), day(3))]


def test_spans_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Span(day(2), day(1))
    with pytest.raises(ValueError, match="negative"):
        join([], max_gap=-1)
    with pytest.raises(ValueError, match="at least one day"):
        cover_days(day(1), 0)
    assert cover_days(day(1), 28) == Span(day(1), day(28))


def test_still_open_means_a_dose_today_would_still_join() -> None:
    episode = Span(day(1), day(10))
    assert still_open(episode, day(10), max_gap=7)
    assert still_open(episode, day(18), max_gap=7)  # days 11-17 uncovered: 7
    assert not still_open(episode, day(19), max_gap=7)  # 8


@given(
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 40)), max_size=30),
    st.integers(0, 10),
)
def test_join_properties(raw: list[tuple[int, int]], gap: int) -> None:
    spans = [Span(day(1 + a), day(1 + a + n)) for a, n in raw]
    joined = join(spans, max_gap=gap)
    covered = {s.start + timedelta(days=i) for s in spans for i in range(s.days)}
    assert all(any(e.start <= d <= e.end for e in joined) for d in covered)  # nothing lost
    assert all(e.start in covered and e.end in covered for e in joined)  # nothing invented at the ends
    assert all((b.start - a.end).days - 1 > gap for a, b in itertools.pairwise(joined))
    assert join(joined, max_gap=gap) == joined


# --- retention ---------------------------------------------------------------------------------------------


def test_retention_met_not_met_and_pending() -> None:
    as_of = date(2025, 3, 1)
    people = [
        person(1, spans=(Span(date(2025, 1, 1), date(2025, 2, 28)),)),  # 59 days: met at 30
        person(2, spans=(Span(date(2025, 1, 5), date(2025, 1, 20)),)),  # 16 days, ended long ago: not met
        person(
            3, spans=(Span(date(2025, 2, 20), date(2025, 2, 28)),)
        ),  # day 30 not come, still open: pending
        person(
            4, spans=(Span(date(2024, 12, 1), date(2025, 2, 28)),)
        ),  # started before the window: not in it
        person(5),  # never on medication: not in the cohort
    ]
    m = retention(people, start=date(2025, 1, 1), end=date(2025, 2, 28), as_of=as_of, days=30, max_gap=7)
    assert (m.numerator, m.denominator, m.pending, m.value) == (1, 2, 1, 50.0)
    assert [(p.month, p.numerator, p.denominator, p.pending) for p in m.series] == [
        ("2025-01", 1, 2, 0),
        ("2025-02", 0, 0, 1),
    ]
    assert m.series[1].percent is None
    assert m.sources
    assert m.unit == "percent"


def test_retention_pending_ends_when_the_gap_rule_is_broken() -> None:
    spans = (Span(date(2025, 2, 1), date(2025, 2, 10)),)
    kw = {"start": date(2025, 2, 1), "end": date(2025, 2, 10), "days": 90, "max_gap": 7}
    assert retention([person(spans=spans)], as_of=date(2025, 2, 18), **kw).pending == 1  # type: ignore[arg-type]
    late = retention([person(spans=spans)], as_of=date(2025, 2, 19), **kw)  # type: ignore[arg-type]
    assert (late.pending, late.denominator, late.numerator) == (0, 1, 0)


def test_a_later_episode_in_the_window_counts_when_the_first_was_before_it() -> None:
    spans = (Span(date(2024, 10, 1), date(2024, 10, 20)), Span(date(2025, 1, 10), date(2025, 3, 1)))
    m = retention(
        [person(spans=spans)],
        start=date(2025, 1, 1),
        end=date(2025, 1, 31),
        as_of=date(2025, 6, 1),
        days=30,
        max_gap=7,
    )
    assert (m.numerator, m.denominator) == (1, 1)


def test_windows_must_make_sense() -> None:
    with pytest.raises(ValueError, match="ends before"):
        retention(
            [], start=date(2025, 2, 1), end=date(2025, 1, 1), as_of=date(2025, 3, 1), days=30, max_gap=7
        )
    with pytest.raises(ValueError, match="after the report date"):
        naloxone_coverage([], start=date(2025, 1, 1), end=date(2025, 4, 1), as_of=date(2025, 3, 1))
    with pytest.raises(ValueError, match="max_gap"):
        Params(max_gap=-1)
    with pytest.raises(ValueError, match="retention_days"):
        Params(retention_days=(0,))


# --- NQF 3175 ----------------------------------------------------------------------------------------------


def test_nqf_excludes_minors_at_the_start_and_people_without_a_diagnosis() -> None:
    long = (Span(date(2025, 1, 10), date(2025, 9, 1)),)
    people = [
        person(1, spans=long),
        person(2, spans=long, born=date(2007, 2, 1)),  # 17 on 2025-01-10
        person(3, spans=long, born=date(2007, 1, 10)),  # 18 that day
        person(4, spans=long, oud=False),
    ]
    m = continuity_nqf3175(
        people, start=date(2025, 1, 1), end=date(2025, 1, 31), as_of=date(2025, 12, 31), params=Params()
    )
    assert (m.numerator, m.denominator) == (2, 2)
    assert m.excluded == {"under 18 at the start": 1, "no OUD diagnosis on record": 1}
    assert m.sources == ("nqf-3175",)
    assert "3175" in m.version
    assert m.params == {
        "min_days": 180,
        "max_gap": 7,
        "min_age": 18,
        "continuing": "from the first day in the window (index date); earlier days not counted",
        "start": "2025-01-01",
        "end": "2025-01-31",
    }


def test_nqf_180_days_exactly() -> None:
    exactly = (cover_days(date(2025, 1, 1), 180),)
    one_short = (cover_days(date(2025, 1, 1), 179),)
    kw = {"start": date(2025, 1, 1), "end": date(2025, 1, 1), "as_of": date(2025, 12, 31), "params": Params()}
    assert continuity_nqf3175([person(spans=exactly)], **kw).numerator == 1  # type: ignore[arg-type]
    assert continuity_nqf3175([person(spans=one_short)], **kw).numerator == 0  # type: ignore[arg-type]


# --- the report date: nothing after it counts (issue #15) -------------------------------------------------


def test_supply_that_runs_past_the_report_date_is_pending_not_met() -> None:
    # a 200-day supply dispensed 100 days before the report date has covered 100 days so far
    spans = (cover_days(date(2025, 1, 1), 200),)
    kw = {"start": date(2025, 1, 1), "end": date(2025, 1, 31), "as_of": date(2025, 4, 10), "params": Params()}
    m = continuity_nqf3175([person(spans=spans)], **kw)  # type: ignore[arg-type]
    assert (m.numerator, m.denominator, m.pending) == (0, 0, 1)


def test_supply_dated_after_the_report_date_never_counts() -> None:
    spans = (
        cover_days(date(2025, 1, 1), 30),
        cover_days(date(2025, 2, 5), 200),
    )  # the second is in the future
    kw = {"start": date(2025, 1, 1), "end": date(2025, 1, 31), "as_of": date(2025, 2, 1), "params": Params()}
    m = continuity_nqf3175([person(spans=spans)], **kw)  # type: ignore[arg-type]
    assert m.numerator == 0


def test_a_person_inside_the_allowed_gap_on_the_report_date_is_pending() -> None:
    spans = (cover_days(date(2025, 1, 1), 30),)  # last covered day Jan 30
    kw = {"start": date(2025, 1, 1), "end": date(2025, 1, 31), "params": Params()}
    inside = continuity_nqf3175([person(spans=spans)], as_of=date(2025, 2, 7), **kw)  # type: ignore[arg-type]
    assert (inside.pending, inside.denominator) == (1, 0)
    broken = continuity_nqf3175([person(spans=spans)], as_of=date(2025, 2, 8), **kw)  # type: ignore[arg-type]
    assert (broken.pending, broken.denominator, broken.numerator) == (0, 1, 0)


def test_retention_does_not_count_future_days_either() -> None:
    spans = (cover_days(date(2025, 1, 1), 90),)
    m = retention(
        [person(spans=spans)],
        start=date(2025, 1, 1),
        end=date(2025, 1, 31),
        as_of=date(2025, 1, 31),
        days=30,
        max_gap=7,
    )
    assert (m.numerator, m.pending) == (1, 0)  # day 30 has come (Jan 30)
    early = retention(
        [person(spans=spans)],
        start=date(2025, 1, 1),
        end=date(2025, 1, 20),
        as_of=date(2025, 1, 20),
        days=30,
        max_gap=7,
    )
    assert (early.numerator, early.pending) == (0, 1)


# --- intake to first dose, naloxone ------------------------------------------------------------------------


def test_intake_to_first_dose_median_and_waiting() -> None:
    people = [
        person(1, admissions=(date(2025, 1, 2),), spans=(Span(date(2025, 1, 2), date(2025, 2, 1)),)),  # 0
        person(2, admissions=(date(2025, 1, 3),), spans=(Span(date(2025, 1, 7), date(2025, 2, 1)),)),  # 4
        person(3, admissions=(date(2025, 1, 20),), spans=(Span(date(2025, 1, 30), date(2025, 2, 1)),)),  # 10
        person(4, admissions=(date(2025, 2, 25),)),  # waiting
        person(
            5, admissions=(date(2024, 12, 1),), spans=(Span(date(2024, 12, 2), date(2025, 2, 1)),)
        ),  # outside
        person(
            6, admissions=(date(2025, 2, 1),), spans=(Span(date(2025, 1, 15), date(2025, 2, 10)),)
        ),  # on it: 0
    ]
    m = intake_to_first_dose(people, start=date(2025, 1, 1), end=date(2025, 2, 28), as_of=date(2025, 2, 28))
    assert (m.numerator, m.denominator, m.pending, m.value) == (4, 5, 1, 2.0)
    assert [(p.month, p.median_days, p.pending) for p in m.series] == [
        ("2025-01", 4.0, 0),
        ("2025-02", 0.0, 1),
    ]
    assert m.unit == "days"


def test_intake_to_first_dose_counts_people_who_left_without_a_dose_as_never_started() -> None:
    people = [
        person(1, admissions=(date(2025, 1, 2),), spans=(Span(date(2025, 1, 4), date(2025, 2, 1)),)),  # 2
        person(2, admissions=(date(2025, 1, 3),), in_care=(Span(date(2025, 1, 3), date(2025, 1, 20)),)),
        person(3, admissions=(date(2025, 2, 20),), in_care=(Span(date(2025, 2, 20), date.max),)),  # waiting
        # left on Jan 20, a dose only after a later return: this admission never started
        person(
            4,
            admissions=(date(2025, 1, 5),),
            in_care=(Span(date(2025, 1, 5), date(2025, 1, 20)),),
            spans=(Span(date(2025, 2, 10), date(2025, 2, 20)),),
        ),
    ]
    m = intake_to_first_dose(people, start=date(2025, 1, 1), end=date(2025, 2, 28), as_of=date(2025, 2, 28))
    assert (m.numerator, m.denominator, m.pending) == (1, 4, 1)
    assert m.excluded == {"never started: care ended before a first dose": 2}
    assert m.value == 2.0
    assert "median is over the admissions with a first dose" in m.definition


def test_a_dose_after_the_report_date_is_still_waiting() -> None:
    p = person(admissions=(date(2025, 1, 2),), spans=(Span(date(2025, 3, 2), date(2025, 3, 5)),))
    m = intake_to_first_dose([p], start=date(2025, 1, 1), end=date(2025, 1, 31), as_of=date(2025, 2, 1))
    assert (m.numerator, m.pending, m.value) == (0, 1, None)


def test_naloxone_coverage_month_by_month() -> None:
    open_care = (Span(date(2024, 6, 1), date.max),)
    people = [
        person(1, in_care=open_care, naloxone_on=(date(2025, 2, 10),)),
        person(2, in_care=open_care),
        person(3, in_care=(Span(date(2024, 6, 1), date(2025, 1, 15)),), naloxone_on=(date(2024, 7, 1),)),
        person(4, in_care=(Span(date(2025, 3, 1), date.max),), naloxone_on=(date(2025, 3, 2),)),
    ]
    m = naloxone_coverage(people, start=date(2025, 1, 1), end=date(2025, 3, 15), as_of=date(2025, 3, 15))
    assert [(p.month, p.numerator, p.denominator) for p in m.series] == [
        ("2025-01", 0, 2),  # person 3 left on the 15th; 1 and 2 have no kit by Jan 31
        ("2025-02", 1, 2),
        ("2025-03", 2, 3),  # the last point is the window's end, Mar 15
    ]
    assert (m.numerator, m.denominator, m.value) == (2, 3, 66.7)


def test_program_measures_in_page_order_and_months() -> None:
    ms = program_measures(
        [], start=date(2025, 11, 1), end=date(2026, 2, 1), as_of=date(2026, 2, 1), params=Params()
    )
    assert [m.code for m in ms] == [
        "retention_30",
        "retention_90",
        "retention_180",
        "nqf_3175",
        "intake_to_first_dose",
        "naloxone_coverage",
    ]
    assert all(m.value is None and m.denominator == 0 for m in ms)
    assert months(date(2025, 11, 30), date(2026, 2, 1)) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert ms[0].as_dict()["series"][0] == {
        "month": "2025-11",
        "numerator": 0,
        "denominator": 0,
        "pending": 0,
        "percent": None,
        "median_days": None,
    }


def test_nqf_states_what_counts_as_a_diagnosis_and_which_episode() -> None:
    kw = {"start": date(2025, 1, 1), "end": date(2025, 1, 31), "as_of": date(2025, 2, 1), "params": Params()}
    d = continuity_nqf3175([], **kw).definition  # type: ignore[arg-type]
    assert "in early or sustained remission" in d
    assert "F11.21" in d
    assert "first with medication in the window" in d
    assert "days after the report date never count" in d


# --- review of issue #15: continuing patients, the gap past day N, care ending on the report date ---------


def test_nqf_counts_a_person_who_continues_medication_from_before_the_window() -> None:
    # on medication since October, still on it through the window: NQF 3175's denominator is people with
    # pharmacotherapy during the identification period, so this person is counted, from the window's first day
    spans = (Span(date(2024, 10, 1), date(2025, 9, 1)),)
    kw = {"start": date(2025, 1, 1), "end": date(2025, 1, 31), "as_of": date(2025, 12, 31)}
    m = continuity_nqf3175([person(spans=spans)], params=Params(), **kw)  # type: ignore[arg-type]
    assert (m.numerator, m.denominator) == (1, 1)
    assert m.series[0].month == "2025-01"


def test_nqf_counts_a_continuing_person_from_the_index_date_not_from_before_the_window() -> None:
    # 200 days in all, but only 100 from the window's first day: not met
    spans = (Span(date(2024, 9, 23), date(2025, 4, 10)),)
    kw = {"start": date(2025, 1, 1), "end": date(2025, 1, 31), "as_of": date(2025, 12, 31)}
    m = continuity_nqf3175([person(spans=spans)], params=Params(), **kw)  # type: ignore[arg-type]
    assert (m.numerator, m.denominator) == (0, 1)


def test_nqf_states_how_continuing_people_are_counted() -> None:
    kw = {"start": date(2025, 1, 1), "end": date(2025, 1, 31), "as_of": date(2025, 2, 1), "params": Params()}
    m = continuity_nqf3175([], **kw)  # type: ignore[arg-type]
    assert "continue medication from before the window are counted" in m.definition
    assert m.params["continuing"].startswith("from the first day in the window")


def test_retention_still_counts_only_new_starts() -> None:
    spans = (Span(date(2024, 10, 1), date(2025, 9, 1)),)
    m = retention(
        [person(spans=spans)],
        start=date(2025, 1, 1),
        end=date(2025, 1, 31),
        as_of=date(2025, 12, 31),
        days=30,
        max_gap=7,
    )
    assert m.denominator == 0


def test_nqf_inside_the_allowed_gap_past_day_180_is_pending() -> None:
    spans = (cover_days(date(2025, 1, 1), 178),)  # last covered day Jun 27 (day 178)
    kw = {"start": date(2025, 1, 1), "end": date(2025, 1, 31), "params": Params()}
    # day 180 is Jun 29; on Jul 2 the gap is 4 days: a dose today still joins
    inside = continuity_nqf3175([person(spans=spans)], as_of=date(2025, 7, 2), **kw)  # type: ignore[arg-type]
    assert (inside.pending, inside.denominator) == (1, 0)


def test_nqf_past_the_allowed_gap_after_day_180_is_not_met() -> None:
    spans = (cover_days(date(2025, 1, 1), 178),)
    kw = {"start": date(2025, 1, 1), "end": date(2025, 1, 31), "params": Params()}
    broken = continuity_nqf3175([person(spans=spans)], as_of=date(2025, 7, 6), **kw)  # type: ignore[arg-type]
    assert (broken.pending, broken.denominator, broken.numerator) == (0, 1, 0)


def test_retention_inside_the_allowed_gap_past_day_30_is_pending() -> None:
    spans = (cover_days(date(2025, 1, 1), 28),)  # Jan 1-28; day 30 is Jan 30
    kw = {"start": date(2025, 1, 1), "end": date(2025, 1, 31), "days": 30, "max_gap": 7}
    inside = retention([person(spans=spans)], as_of=date(2025, 2, 2), **kw)  # type: ignore[arg-type]
    assert (inside.pending, inside.denominator) == (1, 0)
    broken = retention([person(spans=spans)], as_of=date(2025, 2, 6), **kw)  # type: ignore[arg-type]
    assert (broken.pending, broken.denominator) == (0, 1)


def test_care_ending_on_the_report_date_without_a_dose_is_never_started() -> None:
    p = person(admissions=(date(2025, 1, 5),), in_care=(Span(date(2025, 1, 5), date(2025, 1, 31)),))
    m = intake_to_first_dose([p], start=date(2025, 1, 1), end=date(2025, 1, 31), as_of=date(2025, 1, 31))
    assert m.pending == 0
    assert m.excluded == {"never started: care ended before a first dose": 1}
