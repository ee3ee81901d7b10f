"""A program's quality measures for its director (journey 7), from plain facts about each person.

Every measure returns its value, the counts behind it, a month-by-month series for the plot, what it left
out and why, its parameters and its source ids. No names or record numbers go in or out: a `Person` carries
an opaque key and dates only.

- **Retention at N days** (reference 14.4): of the people whose treatment episode started in the window, the
  share whose episode lasted at least N days with no gap longer than G days. There is no standard definition:
  N and G are parameters. A person whose episode is still open (a dose on the report date would still join it,
  before day N or past it inside the allowed gap) is *pending*, not a failure.
- **Continuity of pharmacotherapy, NQF 3175 / MIPS 468** (reference 14.1 and correction 7): adults >= 18
  [V] with an OUD diagnosis, at least 180 days [V] of continuous pharmacotherapy; the allowed gap (default 7
  days) is UNVERIFIED and a parameter, shown with the measure version. And
  the episode is the person's first with medication in the window (the specification's denominator: "adults
  with pharmacotherapy for OUD seen during the denominator identification period"), counted from its first
  covered day in the window (the index date): a person who continues medication from before the window is
  counted, from the window's first day, never dropped. Age counts at the index date.
- **The report date** (`as_of`): every measure reads the days covered up to it (`coverage.up_to`): supply
  dated after it never counts, and a supply that runs past it has covered only the days that have come, so a
  person who is not yet at day N is pending, never met on days still to come.
- **Days from intake to first dose**: for each admission in the window, the days from the admission date to
  the first covered day on or after it; the median, and how many are still waiting.
- **Naloxone coverage**: of the people in care on a day, the share with a naloxone kit on record dispensed on
  or before that day (reference 12: offer naloxone to everyone with OUD).
- **A recorded death** (`Person.died_on`, review 35c hole 1): care ends on the day she died. No day after it
  is a covered day (a fill's, an injection's, a take-home bottle's or a dose's) or a day in care, in every
  measure (`Person.covered`, `Person.care`), and her treatment cannot go on (never pending after it). She
  stays in the denominators: an episode cut short by her death is not met (the decision of review 35c; the
  HEDIS-style exclusion of the deceased is asked of the owner).
"""

from __future__ import annotations

import statistics
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypedDict

from keel.core.decision import Param, SaidDict
from keel.core.measures.coverage import Span, join, still_open, up_to
from keel.core.words import gettext_noop as N_

RETENTION_SOURCES = ("ref-14-4", "anderson-2021")
NQF_SOURCES = ("nqf-3175",)
NALOXONE_SOURCES = ("samhsa-overdose-toolkit",)
INTAKE_SOURCES = ("keel-measures",)

NEVER_STARTED = N_("never started: care ended before a first dose")
NO_DIAGNOSIS = N_("no OUD diagnosis on record")
CONTINUING = "from the first day in the window (index date); earlier days not counted"
NQF_VERSION = N_("NQF 3175 / CMS MIPS Quality ID 468 (2019 CQM specification)")


@dataclass(frozen=True)
class Person:
    key: int  # opaque; never leaves the core in an output
    birth_date: date
    oud_diagnosis: bool
    admissions: tuple[date, ...] = ()  # admissions to medication care (each opens a care period that day)
    in_care: tuple[Span, ...] = ()  # enrollment periods; an open one ends on date.max
    # Those of `in_care` that are counseling episodes (no medication planned): in care, never the period an
    # admission to medication opened (review 35h hole 3)
    counseling: tuple[Span, ...] = ()
    coverage: tuple[Span, ...] = ()  # covered days, not yet joined
    naloxone_on: tuple[date, ...] = ()
    died_on: date | None = None  # the day a death was recorded as happening: the last day of her care

    def last_day(self, as_of: date) -> date:
        """The last day that can count on the report date: `as_of`, or the day she died when earlier."""
        return as_of if self.died_on is None else min(as_of, self.died_on)

    def died_by(self, as_of: date) -> bool:
        """Whether her death was on or before the report date: her treatment cannot go on."""
        return self.died_on is not None and self.died_on <= as_of

    def covered(self, as_of: date) -> list[Span]:
        """Her covered days known on the report date (`up_to`), none after the day she died."""
        return up_to(self.coverage, self.last_day(as_of))

    def care(self) -> tuple[Span, ...]:
        """Her care periods, none past the day she died (a period that began after it is none)."""
        return self._until_death(self.in_care)

    def medication_care(self) -> tuple[Span, ...]:
        """Her care periods but her counseling episodes (`counseling`, each left out once), as `care`: the
        periods her admissions to medication opened (lane fix36a, review 35h hole 3: a counseling episode
        admitted by mistake and ended the day she was admitted to medication is not the period that
        admission opened)."""
        left = list(self.counseling)
        kept = []
        for span in self.in_care:
            if span in left:
                left.remove(span)
            else:
                kept.append(span)
        return self._until_death(tuple(kept))

    def _until_death(self, spans: tuple[Span, ...]) -> tuple[Span, ...]:
        if self.died_on is None:
            return spans
        died = self.died_on
        return tuple(Span(c.start, min(c.end, died)) for c in spans if c.start <= died)


@dataclass(frozen=True)
class Params:
    max_gap: int = 7  # UNVERIFIED default (reference 14.1, correction 7); a parameter
    retention_days: tuple[int, ...] = (30, 90, 180)
    nqf_min_days: int = 180  # [V]
    nqf_min_age: int = 18  # [V] MIPS 2019 (ACP says 18-64: conflict 10; the MIPS text is used)

    def __post_init__(self) -> None:
        if not 0 <= self.max_gap <= 60:
            raise ValueError("max_gap: from 0 to 60 days")
        if not self.retention_days or any(not 1 <= n <= 730 for n in self.retention_days):
            raise ValueError("retention_days: one or more, each from 1 to 730")


@dataclass(frozen=True)
class Point:
    """One month of a series: the cohort (or the day) that month and its outcome."""

    month: str  # YYYY-MM
    numerator: int
    denominator: int
    pending: int = 0
    median_days: float | None = None  # the days measure only
    # people of this month's cohort the measure left out, by reason (for suppression; not in the output)
    left_out: tuple[tuple[str, int], ...] = ()

    @property
    def percent(self) -> float | None:
        return round(100 * self.numerator / self.denominator, 1) if self.denominator else None


class MonthDict(TypedDict):
    """One month of a measure's series as `Measure.as_dict` gives it."""

    month: str
    numerator: int
    denominator: int
    pending: int
    percent: float | None
    median_days: float | None


class MeasureDict(TypedDict):
    """A measure as `Measure.as_dict` gives it (the output: no person, no left-out detail by month)."""

    code: str
    title: str
    version: str
    unit: str
    value: float | None
    numerator: int
    denominator: int
    pending: int
    excluded: dict[str, int]
    params: dict[str, Param]
    sources: list[str]
    definition: str
    series: list[MonthDict]


@dataclass(frozen=True)
class Measure:
    code: str
    title: str
    version: str
    unit: str  # "percent" | "days"
    numerator: int
    denominator: int
    pending: int
    value: float | None  # percent, or median days
    series: tuple[Point, ...]
    excluded: dict[str, int]
    params: dict[str, Param]
    sources: tuple[str, ...]
    definition: str
    # English text (title, definition, a left-out reason) -> its catalogue template and parameters, so a page
    # shows it in the reader's language (`keel.patients.flagwords.said_text`); not part of the output
    said: dict[str, SaidDict] = field(default_factory=dict, compare=False)

    def as_dict(self) -> MeasureDict:
        return {
            "code": self.code,
            "title": self.title,
            "version": self.version,
            "unit": self.unit,
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "pending": self.pending,
            "excluded": dict(self.excluded),
            "params": dict(self.params),
            "sources": list(self.sources),
            "definition": self.definition,
            "series": [
                {
                    "month": p.month,
                    "numerator": p.numerator,
                    "denominator": p.denominator,
                    "pending": p.pending,
                    "percent": p.percent,
                    "median_days": p.median_days,
                }
                for p in self.series
            ],
        }


@dataclass
class _Tally:
    numerator: int = 0
    denominator: int = 0
    pending: int = 0
    days: list[int] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=dict)


def _say(said: dict[str, SaidDict], template: str, **params: Param) -> str:
    """`template` filled with `params` (English), remembered in `said` for the pages to translate."""
    text = template % params if params else template
    said[text] = {"template": template, "params": params}
    return text


def age_on(birth_date: date, day: date) -> int:
    """Whole years of age on `day`."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def months(start: date, end: date) -> list[str]:
    """Every month from `start`'s to `end`'s, as YYYY-MM."""
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _check_window(start: date, end: date, as_of: date) -> None:
    if end < start:
        raise ValueError("the window ends before it starts")
    if end > as_of:
        raise ValueError("the window cannot end after the report date")


def episodes(person: Person, as_of: date, max_gap: int) -> list[Span]:
    """The person's treatment episodes (under the gap rule), from the days covered up to the report date
    (`Person.covered`): supply dated after `as_of`, or after the day she died, never counts."""
    return join(person.covered(as_of), max_gap=max_gap)


def first_episode_in(episodes: Sequence[Span], start: date, end: date) -> Span | None:
    """The first of a person's treatment episodes (`episodes`) that starts inside [start, end]."""
    return next((e for e in episodes if start <= e.start <= end), None)


def _outcome(person: Person, episode: Span, days: int, as_of: date, max_gap: int) -> str:
    """Met at `days` days; pending while the episode may still go on (a dose on the report date would
    still join it under the gap rule: before day N, or past it inside the allowed gap, and she has not
    died); else not met."""
    if episode.days >= days:
        return "met"
    if not person.died_by(as_of) and still_open(episode, as_of, max_gap=max_gap):
        return "pending"
    return "not_met"


def first_episode_during(episodes: Sequence[Span], start: date, end: date) -> Span | None:
    """NQF 3175's index episode: the first of a person's episodes (`episodes`) with a covered day inside
    [start, end], from its first covered day in the window (the index date). A person who continues
    medication from before the window is counted from the window's first day, never dropped; days before
    the window do not count toward the 180."""
    for episode in episodes:
        if episode.end >= start and episode.start <= end:
            return Span(max(episode.start, start), episode.end)
    return None


def _continuity(
    people: Sequence[Person],
    start: date,
    end: date,
    as_of: date,
    days: int,
    max_gap: int,
    admit: Callable[[Person, Span], str | None],
    find: Callable[[Sequence[Span], date, date], Span | None] = first_episode_in,
    joined: Sequence[Sequence[Span]] | None = None,
) -> tuple[dict[str, _Tally], dict[str, int]]:
    """`joined`: each person's `episodes` (as_of, max_gap), in the order of `people`, when the caller has
    them already (several measures of one report read the same)."""
    tallies = {m: _Tally() for m in months(start, end)}
    excluded: dict[str, int] = {}
    if joined is None:
        joined = [episodes(person, as_of, max_gap) for person in people]
    for person, person_episodes in zip(people, joined, strict=True):
        episode = find(person_episodes, start, end)
        if episode is None:
            continue
        why_not = admit(person, episode)
        tally = tallies[_month(episode.start)]
        if why_not:
            excluded[why_not] = excluded.get(why_not, 0) + 1
            tally.left_out[why_not] = tally.left_out.get(why_not, 0) + 1
            continue
        outcome = _outcome(person, episode, days, as_of, max_gap)
        if outcome == "pending":
            tally.pending += 1
        else:
            tally.denominator += 1
            tally.numerator += outcome == "met"
    return tallies, excluded


def _rate(
    code: str,
    title: str,
    version: str,
    tallies: dict[str, _Tally],
    excluded: dict[str, int],
    params: dict[str, Param],
    sources: tuple[str, ...],
    definition: str,
    said: dict[str, SaidDict],
) -> Measure:
    series = tuple(
        Point(m, t.numerator, t.denominator, t.pending, left_out=tuple(sorted(t.left_out.items())))
        for m, t in tallies.items()
    )
    numerator = sum(p.numerator for p in series)
    denominator = sum(p.denominator for p in series)
    return Measure(
        code=code,
        title=title,
        version=version,
        unit="percent",
        numerator=numerator,
        denominator=denominator,
        pending=sum(p.pending for p in series),
        value=round(100 * numerator / denominator, 1) if denominator else None,
        series=series,
        excluded=excluded,
        params=params,
        sources=sources,
        definition=definition,
        said=said,
    )


def retention(
    people: Sequence[Person],
    *,
    start: date,
    end: date,
    as_of: date,
    days: int,
    max_gap: int,
    joined: Sequence[Sequence[Span]] | None = None,
) -> Measure:
    """Retention at `days` days for the episodes that started in [start, end] (`joined`: each person's
    `episodes` on `as_of` under `max_gap`, when the caller has them)."""
    _check_window(start, end, as_of)
    tallies, excluded = _continuity(
        people, start, end, as_of, days, max_gap, lambda p, e: None, joined=joined
    )
    said: dict[str, SaidDict] = {}
    return _rate(
        f"retention_{days}",
        _say(said, N_("Retention at %(days)s days"), days=days),
        _say(
            said,
            N_("Keel retention (reference 14.4): continuous medication from the start, gaps as a parameter"),
        ),
        tallies,
        excluded,
        {"days": days, "max_gap": max_gap, "start": start.isoformat(), "end": end.isoformat()},
        RETENTION_SOURCES,
        _say(
            said,
            N_(
                "People who started medication in the window and stayed on it at least %(days)s days, "
                "with no gap longer than %(max_gap)s days. People whose day %(days)s has not come are "
                "pending. A person who died is still counted: no day after the day she died is a day on "
                "medication, so she is not retained past it."
            ),
            days=days,
            max_gap=max_gap,
        ),
        said,
    )


def continuity_nqf3175(
    people: Sequence[Person],
    *,
    start: date,
    end: date,
    as_of: date,
    params: Params,
    joined: Sequence[Sequence[Span]] | None = None,
) -> Measure:
    """NQF 3175: adults with an OUD diagnosis whose pharmacotherapy lasted 180+ days without a long gap
    (`joined`: each person's `episodes` on `as_of` under the gap rule, when the caller has them)."""
    _check_window(start, end, as_of)
    said: dict[str, SaidDict] = {}
    under_age = _say(said, N_("under %(age)s at the start"), age=params.nqf_min_age)
    no_diagnosis = _say(said, NO_DIAGNOSIS)

    def admit(person: Person, episode: Span) -> str | None:
        if age_on(person.birth_date, episode.start) < params.nqf_min_age:
            return under_age
        if not person.oud_diagnosis:
            return no_diagnosis
        return None

    tallies, excluded = _continuity(
        people, start, end, as_of, params.nqf_min_days, params.max_gap, admit, first_episode_during, joined
    )
    return _rate(
        "nqf_3175",
        _say(said, N_("Continuity of pharmacotherapy (NQF 3175)")),
        _say(said, NQF_VERSION),
        tallies,
        excluded,
        {
            "min_days": params.nqf_min_days,
            "max_gap": params.max_gap,
            "min_age": params.nqf_min_age,
            "continuing": CONTINUING,
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
        NQF_SOURCES,
        _say(
            said,
            N_(
                "Adults (%(min_age)s+) with an opioid use disorder diagnosis who had medication in the "
                "window (the denominator identification period): the share with at least %(min_days)s days "
                "of continuous medication, no gap longer than %(max_gap)s days (the gap rule is a "
                "parameter: unverified). An opioid use disorder diagnosis here is a DSM-5 result recorded "
                "in Keel of mild, moderate or severe opioid use disorder, active or in early or sustained "
                "remission (ICD-10-CM F11.10, F11.11, F11.20, F11.21). The episode counted is the person's "
                "first with medication in the window, from its first day in the window (the index date): "
                "people who continue medication from before the window are counted from the window's first "
                "day, and days before it do not count. The days after the report date never count; a person "
                "whose treatment may still go on (inside the allowed gap on the report date) is pending. A "
                "person who died is still counted: no day after the day she died is a day on medication."
            ),
            min_age=params.nqf_min_age,
            min_days=params.nqf_min_days,
            max_gap=params.max_gap,
        ),
        said,
    )


def _first_dose_day(covered: Sequence[Span], admitted: date) -> date | None:
    """The first covered day on or after an admission (`covered`: her days, `Person.covered`): the
    admission day itself when a span covers it."""
    if any(s.start <= admitted <= s.end for s in covered):
        return admitted
    return min((s.start for s in covered if s.start >= admitted), default=None)


def _care_left_on(care: Sequence[Span], admitted: date, nth: int, as_of: date) -> date | None:
    """The last day of the care period this admission opened (`care`: her periods of medication care,
    `Person.medication_care`: never a counseling episode's, review 35h hole 3), when
    it ended by the report date (care that ended on the report date has ended); None while she is still in
    that care. The period it opened is the one that began that day (review 35c hole 3: a readmission on the
    day the last episode ended is read against its own period, not the one that ended), the `nth` of them
    by end when she was admitted twice that day."""
    opened = sorted((c for c in care if c.start == admitted), key=lambda c: c.end)
    if not opened:
        return None
    ended = opened[min(nth, len(opened) - 1)].end
    return ended if ended <= as_of else None


def _tally_admissions(
    people: Sequence[Person], start: date, end: date, as_of: date
) -> tuple[dict[str, _Tally], int]:
    """Each admission in [start, end] counted in its month: started (its days to the first dose) or waiting;
    and, apart, how many left care without a first dose (not waiting: never started)."""
    tallies = {m: _Tally() for m in months(start, end)}
    never_started = 0
    for person in people:
        covered, care = person.covered(as_of), person.medication_care()  # never a counseling episode's
        for nth, admitted in enumerate(person.admissions):
            if not start <= admitted <= end:
                continue
            tally = tallies[_month(admitted)]
            tally.denominator += 1
            first = _first_dose_day(covered, admitted)
            # The care period this admission opened: a first dose after it ended is not this admission's.
            left = _care_left_on(care, admitted, nth - person.admissions.index(admitted), as_of)
            if first is not None and (left is None or first <= left):
                tally.numerator += 1
                tally.days.append((first - admitted).days)
            elif left is not None or person.died_by(as_of):
                never_started += 1  # left care (or died) without a first dose: not waiting, never started
            else:
                tally.pending += 1
    return tallies, never_started


def intake_to_first_dose(people: Sequence[Person], *, start: date, end: date, as_of: date) -> Measure:
    """Days from each admission in [start, end] to the first covered day on or after it."""
    _check_window(start, end, as_of)
    tallies, never_started = _tally_admissions(people, start, end, as_of)
    series = tuple(
        Point(
            m,
            t.numerator,
            t.denominator,
            t.pending,
            median_days=float(statistics.median(t.days)) if t.days else None,
        )
        for m, t in tallies.items()
    )
    all_days = [d for t in tallies.values() for d in t.days]
    said: dict[str, SaidDict] = {}
    _say(said, NEVER_STARTED)
    return Measure(
        code="intake_to_first_dose",
        title=_say(said, N_("Days from intake to first dose")),
        version=_say(said, N_("Keel (median days, admission date to first medication day)")),
        unit="days",
        numerator=sum(p.numerator for p in series),
        denominator=sum(p.denominator for p in series),
        pending=sum(p.pending for p in series),
        value=float(statistics.median(all_days)) if all_days else None,
        series=series,
        excluded={NEVER_STARTED: never_started} if never_started else {},
        params={"start": start.isoformat(), "end": end.isoformat()},
        sources=INTAKE_SOURCES,
        definition=_say(
            said,
            N_(
                "For each admission to medication care in the window (an admission to counseling only is "
                "not counted): the days from the admission date to the first day with medication. The "
                "median is over the admissions with a first dose (the numerator); people still in care with "
                "no dose yet are waiting (pending); people whose care ended (or who died) before a first "
                "dose never started and are counted apart."
            ),
        ),
        said=said,
    )


def naloxone_coverage(people: Sequence[Person], *, start: date, end: date, as_of: date) -> Measure:
    """At each month's last day in the window (the last point: `end`), the share of people in care with a
    naloxone kit on record."""
    _check_window(start, end, as_of)
    days: list[date] = []  # the day each month is read on
    for m in months(start, end):
        y, mo = int(m[:4]), int(m[5:])
        days.append((date(y + (mo == 12), mo % 12 + 1, 1) - timedelta(days=1)) if m != _month(end) else end)
    tallies = [_Tally() for _ in days]
    for person in people:
        first_kit = min(person.naloxone_on, default=date.max)  # a kit on or before a day: the first is
        in_care: set[int] = set()  # the months whose day falls in one of the person's care periods
        for s in person.care():  # none after the day she died
            in_care.update(range(bisect_left(days, s.start), bisect_right(days, s.end)))
        for i in in_care:
            tallies[i].denominator += 1
            tallies[i].numerator += first_kit <= days[i]
    by_month = dict(zip(months(start, end), tallies, strict=True))
    last = by_month[_month(end)]
    series = tuple(Point(m, t.numerator, t.denominator) for m, t in by_month.items())
    said: dict[str, SaidDict] = {}
    return Measure(
        code="naloxone_coverage",
        title=_say(said, N_("Naloxone coverage")),
        version=_say(said, N_("Keel (people in care with a naloxone kit on record)")),
        unit="percent",
        numerator=last.numerator,
        denominator=last.denominator,
        pending=0,
        value=round(100 * last.numerator / last.denominator, 1) if last.denominator else None,
        series=series,
        excluded={},
        params={"start": start.isoformat(), "end": end.isoformat()},
        sources=NALOXONE_SOURCES,
        definition=_say(
            said,
            N_(
                "People in care on the last day of each month (the last point: the window's end) who "
                "have a naloxone kit on record, given on or before that day."
            ),
        ),
        said=said,
    )


def program_measures(
    people: Sequence[Person], *, start: date, end: date, as_of: date, params: Params
) -> list[Measure]:
    """The director's measures, in the order the page shows them (each person's episodes joined once, for
    every continuity measure)."""
    joined = [episodes(person, as_of, params.max_gap) for person in people]
    return [
        *(
            retention(
                people, start=start, end=end, as_of=as_of, days=n, max_gap=params.max_gap, joined=joined
            )
            for n in params.retention_days
        ),
        continuity_nqf3175(people, start=start, end=end, as_of=as_of, params=params, joined=joined),
        intake_to_first_dose(people, start=start, end=end, as_of=as_of),
        naloxone_coverage(people, start=start, end=end, as_of=as_of),
    ]
