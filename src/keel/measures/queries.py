"""A program's quality measures for its director (journey 7): the facts read in a few set-based queries,
the numbers computed by `keel.core.measures`, one audit row per read. Nothing about a single person leaves
here: the output is counts and monthly series."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal, NoReturn, TypedDict
from zoneinfo import ZoneInfo

from django.db import connections
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from keel.access import policy
from keel.access.errors import NotAllowed as AccessNotAllowed
from keel.accounts.models import Program
from keel.assessments.models import Assessment
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core import diagnosis
from keel.core.decision import Param
from keel.core.digits import ascii_digits
from keel.core.measures.coverage import Span, cover_days, day_spans, join
from keel.core.measures.program import (
    NEVER_STARTED,
    Measure,
    MeasureDict,
    Params,
    Person,
    Point,
    program_measures,
)
from keel.core.rules.inputs import FieldError, FieldsInvalid
from keel.core.rules.naltrexone import INTERVAL_DAYS
from keel.core.words import gettext_noop as N_
from keel.patients.models import Enrollment, EpisodeKind, Patient, death_day_of_row
from keel.treatment.models import (
    DoseAmendment,
    DoseRecord,
    DoseStatus,
    MedicationFill,
    NaloxoneKit,
    TakeHomePlan,
    in_written_order,
)
from keel.treatment.queries import effective_mg, plan_days
from keel.treatment.queries.missed import COUNTED_PLAN, CountedPlan, read_as_handed_out, visits_of

if TYPE_CHECKING:
    from keel.accounts.models import User

MAX_MONTHS = 36
OUD_BANDS = diagnosis.BANDS  # an OUD diagnosis: mild, moderate or severe, active or in remission


class MeasuresInvalid(FieldsInvalid):
    """A report window or parameter that does not make sense, each field named."""


class MeasuresNotAllowed(AccessNotAllowed):
    """Only a program admin of the program sees its measures."""


@dataclass(frozen=True)
class Report:
    program: Program
    as_of: date
    start: date
    end: date
    params: Params
    measures: list[Measure]
    people: int  # how many people the program has on record (the population the measures read)

    def measure(self, code: str) -> Measure:
        return next(m for m in self.measures if m.code == code)

    def as_dict(self, *, raw_counts: bool = False) -> ReportDict:
        """For the API: counts from 1 to 10, and cells they could be worked out from, as "<11" unless the
        raw counts were asked for (`report(raw_counts=True)`, audited)."""
        return {
            "program": self.program.slug,
            "as_of": self.as_of.isoformat(),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "people": SUPPRESSED if _small(self.people) and not raw_counts else self.people,
            "small_counts": "raw" if raw_counts else SUPPRESSION_RULE,
            "measures": [suppressed(m, raw_counts=raw_counts) for m in self.measures],
        }


def program_today(program: Program, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(ZoneInfo(program.time_zone)).date()


def default_window(today: date) -> tuple[date, date]:
    """The last twelve months, from the first day of the month eleven months ago to today."""
    y, m = today.year, today.month - 11
    if m < 1:
        y, m = y - 1, m + 12
    return date(y, m, 1), today


def parse_window(raw: Mapping[str, object], today: date) -> tuple[date, date, int]:
    """`start`, `end` (ISO dates) and `max_gap` (days) as sent, checked; defaults for what is missing."""
    errors: list[FieldError] = []
    start, end = default_window(today)
    values: dict[str, date] = {}
    for name, default in (("start", start), ("end", end)):
        text = str(raw.get(name) or "").strip()
        try:
            values[name] = date.fromisoformat(text) if text else default
        except ValueError:
            errors.append(FieldError(name, N_("must be a date like 2026-01-31")))
    gap_text = str(raw.get("max_gap") or "").strip()
    max_gap = Params().max_gap
    if gap_text:
        if not ascii_digits(gap_text) or not 0 <= int(gap_text) <= 60:
            errors.append(FieldError("max_gap", N_("must be a whole number of days from 0 to 60")))
        else:
            max_gap = int(gap_text)
    if str(raw.get("counts") or "raw") != "raw":
        errors.append(FieldError("counts", N_('must be "raw" (small counts shown) or left out')))
    if not errors:
        start, end = values["start"], values["end"]
        if end > today:
            errors.append(
                FieldError.said("end", N_("cannot be after today (%(value)s)"), value=today.isoformat())
            )
        elif start > end:
            errors.append(FieldError("start", N_("must be on or before the end")))
        elif (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
            errors.append(
                FieldError.said(
                    "start", N_("the window can span at most %(max_months)s months"), max_months=MAX_MONTHS
                )
            )
    if errors:
        raise MeasuresInvalid(errors)
    return start, end, max_gap


def program_of(user: User, slug: str | None) -> Program:
    """The program named (one of the user's), or the user's only one."""
    mine = list(Program.objects.filter(memberships__user=user).order_by("slug")) if user else []
    if slug:
        found = next((p for p in mine if p.slug == slug), None)
        if found is None:
            raise MeasuresInvalid([FieldError("program", N_("not one of your programs"))])
        return found
    if len(mine) != 1:
        raise MeasuresInvalid([FieldError("program", N_("you work in several programs: name one"))])
    return mine[0]


def diagnosed(program: Program, as_of: date | None = None) -> set[int]:
    """The program's patients whose record has an OUD diagnosis on `as_of` (the whole day, in the program's
    time zone; None: every result on record), in one query: for each patient, the latest DSM-5 result a
    clinician gave up to then (`keel.assessments.queries.diagnosis`: whatever its band, so a later "does not
    meet" replaces an older diagnosis; never a person's own self-check), counted when it is mild, moderate or
    severe, active or in remission (issue #15)."""
    from keel.assessments.queries import (
        band_in_force,
        clinicians_only,
        diagnosis_cutoff,
        newest_first,
        standing,
    )

    rows = standing(clinicians_only(Assessment.objects.filter(patient=OuterRef("pk"), instrument="dsm5-oud")))
    if as_of is not None:
        rows = rows.filter(filled_at__lte=diagnosis_cutoff(as_of, program.time_zone))
    # review 33c hole 4: one entered in error is no result; a corrected one, its corrected band
    latest_band = Subquery(newest_first(rows).values(in_force=band_in_force())[:1])
    return set(
        Patient.objects.filter(program=program)
        .annotate(latest_band=latest_band)
        .filter(latest_band__in=OUD_BANDS)
        .values_list("pk", flat=True)
    )


EPOCH = date(1, 1, 1)  # day numbers count from the first day a date holds, so they are never negative
BLOCK = 63  # days per bit mask: bit k is the block's k-th day (63 bits fit a signed 64-bit integer)


def day_runs(doses: QuerySet[DoseRecord]) -> list[tuple[int, date, date]]:
    """Each patient's days with a dose in `doses` as runs of consecutive days, (patient, first, last), a
    patient's runs together and in order (two never touch: each is as long as it goes). The
    database folds the days into one bit mask per patient and 63-day block (a hash aggregate: no sort of
    the dose rows, duplicates folded by the OR), so a year of daily doses comes back as 6 small rows, not
    365; Python reads the runs of set bits. The ORM compiles the filter; only the day number and the OR are
    the database's own (`tests/measures/test_day_runs.py` holds it to the rows one by one and to the gaps
    and islands read it replaced, on SQLite and PostgreSQL)."""
    days = doses.order_by().values("patient_id", "local_date")
    compiler = days.query.get_compiler(using=days.db)
    sql, params = compiler.as_sql()
    conn = connections[days.db]
    if conn.vendor == "postgresql":
        day_number = f"(d.local_date - DATE '{EPOCH.isoformat()}')"
        fold = f"BIT_OR(CAST(1 AS BIGINT) << ({day_number} %% {BLOCK}))"  # %%: the driver's escape of %
    else:  # SQLite: no BIT_OR, but distinct powers of two add up to their OR
        day_number = f"CAST(julianday(d.local_date) - julianday('{EPOCH.isoformat()}') AS INTEGER)"
        fold = f"SUM(DISTINCT 1 << ({day_number} %% {BLOCK}))"
    statement = (
        f"SELECT d.patient_id, {day_number} / {BLOCK}, {fold} FROM ({sql}) AS d "  # noqa: S608  # nosec B608
        "GROUP BY 1, 2"
    )
    masks: dict[int, dict[int, int]] = defaultdict(dict)
    with conn.cursor() as cursor:
        cursor.execute(statement, params)
        for pk, block, mask in cursor.fetchall():
            masks[pk][block] = mask
    runs: list[tuple[int, date, date]] = []
    for pk, blocks in masks.items():
        low = min(blocks)
        bits = 0
        for block, mask in blocks.items():
            bits |= mask << (BLOCK * (block - low))
        first_day = EPOCH.toordinal() + BLOCK * low  # bit 0 of `bits`
        for run in _ONES.finditer(bin(bits)[:1:-1]):  # the binary digits, lowest bit first
            runs.append(
                (pk, date.fromordinal(first_day + run.start()), date.fromordinal(first_day + run.end() - 1))
            )
    return runs


_ONES = re.compile("1+")


def _amended_and_taken(doses: QuerySet[DoseRecord]) -> list[DoseRecord]:
    """The doses among `doses` with an amendment whose latest amendment leaves them taken (few: two reads)."""
    amended = doses.filter(Exists(DoseAmendment.objects.filter(dose=OuterRef("pk")))).only(
        "patient_id", "local_date", "medication", "status", "amount_mg"
    )
    history = Prefetch("amendments", queryset=in_written_order(DoseAmendment.objects.all()))
    return [d for d in amended.prefetch_related(history) if effective_mg(d, list(d.amendments.all())) > 0]


def _people(program: Program, as_of: date | None = None) -> list[Person]:
    """Every patient of the program as dates only: seven set-based queries, whatever the program's size (eight
    when a take-home plan has a bottle day due and not in its record: the observed days it is read with); the
    diagnosis as it stood on the report date `as_of` (`diagnosed`); the day a death was recorded as happening
    (`patients.models.death_day`), the last day of her care (review 35c hole 1)."""
    patients = _birth_and_death_days(program)
    admissions, in_care, counseling = _enrollments(program)
    days, runs, injections = _doses_taken(program)
    _add_fills(program, injections)
    _add_plan_days(program, days)
    with_oud = diagnosed(program, as_of)  # the record's one diagnosis, on the report date (issue #15)
    kits = _naloxone_kits(program)
    return [
        Person(
            key=pk,
            birth_date=born,
            oud_diagnosis=pk in with_oud,
            admissions=tuple(sorted(admissions[pk])),
            in_care=tuple(in_care[pk]),
            counseling=tuple(counseling[pk]),
            # the days as runs, exactly as `day_spans` of every dose day and bottle day would give them (the
            # dose runs alone already are: `day_runs` gives each patient's in order, apart)
            coverage=(
                *(join([*runs[pk], *day_spans(days[pk])], max_gap=0) if pk in days else runs.get(pk, ())),
                *injections.get(pk, ()),
            ),
            naloxone_on=tuple(sorted(kits[pk])),
            died_on=died,
        )
        for pk, (born, died) in patients.items()
    ]


def _birth_and_death_days(program: Program) -> dict[int, tuple[date, date | None]]:
    """Each patient of the program by birth date and the day a death was recorded as happening, or None
    (`patients.models.death_day_of_row`: the one reading of a recorded death; one statement)."""
    # (every patient of a program has a birth date; only a self-guided record, never in a program, has none)
    rows = Patient.objects.filter(program=program).annotate(died_on=death_day_of_row())
    return {
        pk: (born, died)
        for pk, born, died in rows.values_list("pk", "date_of_birth", "died_on")
        if born is not None
    }


def _enrollments(
    program: Program,
) -> tuple[dict[int, list[date]], dict[int, list[Span]], dict[int, list[Span]]]:
    """Each patient's admissions to medication care, spans in care, an open enrollment's to `date.max`, and
    which of them are counseling episodes (one statement). Every episode is a span in care (naloxone
    coverage reads people in care, counseling too); an admission to counseling (`EpisodeKind.COUNSELING`:
    no medication planned) is no intake to medication (review 35c hole 2), an episode from before issue #18
    (no kind) is; nor is its span the care period an admission to medication opened (review 35h hole 3:
    `Person.medication_care`)."""
    admissions: dict[int, list[date]] = defaultdict(list)
    in_care: dict[int, list[Span]] = defaultdict(list)
    counseling: dict[int, list[Span]] = defaultdict(list)
    for pk, started, ended, kind in Enrollment.objects.filter(program=program).values_list(
        "patient_id", "started_on", "ended_on", "kind"
    ):
        span = Span(started, max(ended, started) if ended else date.max)
        if kind != EpisodeKind.COUNSELING:
            admissions[pk].append(started)
        else:
            counseling[pk].append(span)
        in_care[pk].append(span)
    return admissions, in_care, counseling


def _doses_taken(
    program: Program,
) -> tuple[dict[int, set[date]], dict[int, list[Span]], dict[int, list[Span]]]:
    """Each patient's doses taken: single days (amended doses), runs of observed days, and injections' spans
    (four statements: the injections, the runs, the amended doses and their amendments)."""
    days: dict[int, set[date]] = defaultdict(set)  # single covered days: take-home bottles
    runs: dict[int, list[Span]] = defaultdict(list)  # observed doses, as runs of consecutive days
    injections: dict[int, list[Span]] = defaultdict(list)  # spans longer than a day: injections, fills
    doses = DoseRecord.objects.filter(patient__program=program)
    # Doses never amended are given as recorded (set-based, in the database); an amended dose counts as its
    # latest amendment says (`effective_mg`, the one rule the dosing window and the caseload use: voided
    # or corrected to 0 mg is not taken; a held dose a prescriber corrected into a given one is).
    given = doses.filter(status=DoseStatus.GIVEN, amount_mg__gt=0).exclude(
        Exists(DoseAmendment.objects.filter(dose=OuterRef("pk")))
    )
    xr = [*given.filter(medication="naltrexone_xr").values_list("patient_id", "local_date")]
    for pk, first, last in day_runs(given.exclude(medication="naltrexone_xr")):
        runs[pk].append(Span(first, last))
    for dose in _amended_and_taken(doses):
        if dose.medication == "naltrexone_xr":
            xr.append((dose.patient_id, dose.local_date))
        else:
            days[dose.patient_id].add(dose.local_date)
    for pk, day in xr:
        injections[pk].append(cover_days(day, INTERVAL_DAYS))
    return days, runs, injections


def _add_fills(program: Program, injections: dict[int, list[Span]]) -> None:
    """Adds each pharmacy fill not voided to `injections` as the days its supply covers (one statement)."""
    fills = MedicationFill.objects.filter(
        patient__program=program, voids__isnull=True, voided_by__isnull=True
    )
    for pk, filled_on, supply in fills.values_list("patient_id", "filled_on", "days_supply"):
        injections[pk].append(cover_days(filled_on, supply))  # a pharmacy fill covers its days' supply


def _add_plan_days(program: Program, days: dict[int, set[date]]) -> None:
    """Adds each take-home plan's bottle days, read as handed out, to `days` (one statement, two when a bottle
    day is due and not in its plan's record)."""
    # Lane fhir25: each plan as the dose context reads it (`read_as_handed_out`, the caseload's count's
    # helper: a run whose bottle never left the clinic, no observed dose on the day it was to go home, ends
    # the plan the day before it, so its days are missed, not covered); its values in one statement, the
    # observed methadone days in one more only when a plan has a bottle day due and not in its record
    plans = [
        CountedPlan(*values)
        for values in TakeHomePlan.objects.filter(patient__program=program).values_list(*COUNTED_PLAN)
    ]
    today = program_today(program)
    visits = visits_of(plans, {plan.patient_id: today for plan in plans})
    for plan in plans:  # none after the plan ended (a hold, discharge, a run that never left)
        days[plan.patient_id] |= plan_days(read_as_handed_out(plan, today, visits))


def _naloxone_kits(program: Program) -> dict[int, list[date]]:
    """Each patient's naloxone kit days (one statement)."""
    kits: dict[int, list[date]] = defaultdict(list)
    for pk, day in NaloxoneKit.objects.filter(patient__program=program).values_list(
        "patient_id", "dispensed_on"
    ):
        kits[pk].append(day)
    return kits


def _deny(user: User, program_id: int | None) -> NoReturn:
    audit.record(
        actor=user,
        action=Action.READ,
        program_id=program_id,
        target_type="program_measures",
        outcome=Outcome.DENIED,
        reason="only a program admin of this program sees its measures",
    )
    raise MeasuresNotAllowed


def report(
    user: User,
    *,
    program_slug: str | None,
    raw: Mapping[str, object],
    export: str | None = None,
    now: datetime | None = None,
    raw_counts: bool = False,
) -> Report:
    """The program's measures over the window asked for (`export`: the code of a measure whose series leaves
    as a file, audited as an export). Raises MeasuresInvalid (bad window, program or measure) or
    MeasuresNotAllowed (not a program admin of it: audited as a denial)."""
    if not policy.may_view_measures(user):
        _deny(user, None)
    program = program_of(user, program_slug)
    if not policy.can_view_measures(user, program.pk):
        _deny(user, program.pk)
    today = program_today(program, now)
    start, end, max_gap = parse_window(raw, today)
    params = Params(max_gap=max_gap)
    people = _people(program, today)
    measures = program_measures(people, start=start, end=end, as_of=today, params=params)
    if export is not None and export not in {m.code for m in measures}:
        raise MeasuresInvalid([FieldError("measure", N_("no such measure"))])
    detail: dict[str, object] = {"start": start.isoformat(), "end": end.isoformat(), "max_gap": max_gap}
    if export:
        detail["measure"] = export
    if raw_counts:
        detail["raw_counts"] = True  # small counts not suppressed: asked for, and recorded
    audit.record(
        actor=user,
        action=Action.EXPORT if export else Action.READ,
        program_id=program.pk,
        target_type="program_measures",
        detail=detail,
    )
    return Report(program, today, start, end, params, measures, len(people))


SMALL_CELL_MAX = 10  # CMS cell-size suppression: no cell from 1 to 10 is reported (reference correction 14)
SUPPRESSED = "<11"


def _small(n: object) -> bool:
    return isinstance(n, int) and 1 <= n <= SMALL_CELL_MAX


Cell = int | float | str | None


class ShownMonth(TypedDict):
    """A month of `Measure.as_dict`'s series as shown: a count may be "<11" (`suppressed`)."""

    month: str
    numerator: Cell
    denominator: Cell
    pending: Cell
    percent: Cell
    median_days: Cell


class ShownMeasure(TypedDict):
    """`Measure.as_dict` as shown: counts, value and left-out counts may be "<11" (`suppressed`)."""

    code: str
    title: str
    version: str
    unit: str
    value: Cell
    numerator: Cell
    denominator: Cell
    pending: Cell
    excluded: dict[str, Cell]
    params: dict[str, Param]
    sources: list[str]
    definition: str
    series: list[ShownMonth]


class ReportDict(TypedDict):
    """`Report.as_dict`: the program, the window, the people (maybe "<11") and each measure as shown."""

    program: str
    as_of: str
    start: str
    end: str
    people: Cell
    small_counts: str
    measures: list[ShownMeasure]


def _shown(out: MeasureDict) -> ShownMeasure:
    """`Measure.as_dict` as a dict whose cells may become "<11": the same keys and values."""
    return ShownMeasure(
        **{**out, "excluded": dict(out["excluded"]), "series": [ShownMonth(**m) for m in out["series"]]}
    )


def _never(measure: Measure, p: Point) -> int:
    """The month's admissions that never started (intake measure): the rest of its denominator."""
    return p.denominator - p.numerator - p.pending if measure.unit == "days" else 0


SUPPRESSION_RULE = (
    f"counts from 1 to {SMALL_CELL_MAX} and cells they could be worked out from are shown as {SUPPRESSED} "
    "(CMS cell-size suppression), within a measure and across the measures of the report that share people "
    "(retention at 30, 90 and 180 days and NQF 3175): when a part of a month's cohort (counted, pending or "
    "left out) is hidden, its other parts are hidden too, so no part follows from another measure"
)
Column = Literal["numerator", "denominator", "pending"]  # a count cell of a month or of the totals
COLUMNS: tuple[Column, ...] = ("numerator", "denominator", "pending")
# a cohort's parts: counted (met or not) and pending
LINKED: tuple[Column, ...] = ("denominator", "pending")


def suppressed(measure: Measure, *, raw_counts: bool = False) -> ShownMeasure:
    """The measure as `Measure.as_dict`, with CMS cell-size suppression (reference correction 14) unless the
    program admin asked for raw counts: a count from 1 to 10 is "<11", and so is every cell it could be
    worked out from, within the measure and across the measures of one report.

    Within the measure, in each month: the numerator when those not met (denominator minus numerator) are
    1-10; for the days measure, whose denominator is started + waiting + never started, one more cell
    (the numerator, or the denominator when none started) when the never-started count would otherwise
    follow from the others (12 / 15 / 0 gives away 3); the percent or median of a hidden count.

    Across the measures (the rule that keeps one report safe whatever else it shows): the measures of a
    report share cohorts -- retention at 30, 90 and 180 days read the same people each month, and NQF 3175
    reads them too, less the people it leaves out -- so each cohort's size (counted + pending + left out)
    is taken as known. When one part of a month's cohort is hidden (or a left-out reason that month is
    1-10), the month's other nonzero parts are hidden too, so that the sum always has two unknowns: the
    30-day counted + pending minus the 90-day counted never gives the 90-day pending, and the 180-day cohort
    minus NQF 3175's never gives the people under 18 it left out. The same holds for the totals.

    The totals: hidden when small or when any month's cell in their column is hidden (else the total minus
    the shown months gives it away); the value with them; a left-out count when small or when it was 1-10
    in a month, and never started when any month's never-started count is hidden. "<11" marks every hidden
    cell, whatever the count behind it."""
    out = _shown(measure.as_dict())
    if raw_counts:
        return out
    hidden_in: dict[str, bool] = {"numerator": False, "denominator": False, "pending": False, "never": False}
    small_reasons: set[str] = set()
    for cell, p in zip(out["series"], measure.series, strict=True):
        hide, small_here = _month_hidden(measure, cell, p)
        small_reasons |= small_here
        if hide & {"numerator", "denominator"}:
            cell["percent"] = SUPPRESSED if cell["percent"] is not None else None
        if "numerator" in hide:
            cell["median_days"] = SUPPRESSED if cell["median_days"] is not None else None
        for k in hide:
            cell[k] = SUPPRESSED
            hidden_in[k] = True
        hidden_in["never"] |= bool(hide) and measure.unit == "days"
    _hide_totals(measure, out, hidden_in, small_reasons)
    return out


def _month_hidden(measure: Measure, cell: ShownMonth, p: Point) -> tuple[set[Column], set[str]]:
    """Which of a month's cells `suppressed` hides (within the measure, then its shared cohort's other parts),
    and the left-out reasons that were 1-10 that month."""
    hide = {k for k in COLUMNS if _small(cell[k])}
    if measure.unit == "percent" and _small(p.denominator - p.numerator):
        hide.add("numerator")
    never = _never(measure, p)
    if measure.unit == "days" and _small(never) and not hide:
        hide.add("numerator" if p.numerator else "denominator")
    small_here: set[str] = set()
    if measure.unit == "percent":
        small_here = {why for why, n in p.left_out if _small(n)}
        if small_here or hide & set(LINKED):  # the shared cohort: never one unknown
            hide |= {k for k in LINKED if getattr(p, k)}
    return hide, small_here


def _hide_totals(
    measure: Measure, out: ShownMeasure, hidden_in: dict[str, bool], small_reasons: set[str]
) -> None:
    """Hides in `out` the totals, the value and the left-out counts `suppressed` hides, given the months'
    hidden columns (`hidden_in`) and the reasons 1-10 in some month."""
    hidden_total = {k: _small(out[k]) or (hidden_in[k] and bool(out[k])) for k in COLUMNS}
    if measure.unit == "percent" and any(hidden_total[k] for k in LINKED):
        hidden_total.update({k: True for k in LINKED if out[k]})
    for k in COLUMNS:
        if hidden_total[k]:
            out[k] = SUPPRESSED
            if k != "pending" and out["value"] is not None:
                out["value"] = SUPPRESSED
    out["excluded"] = {
        why: SUPPRESSED
        if _small(n) or (why in small_reasons and n) or (why == NEVER_STARTED and hidden_in["never"] and n)
        else n
        for why, n in measure.excluded.items()
    }


def _text(value: Cell, fmt: str) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else format(value, fmt)


def csv_rows(measure: Measure, *, as_of: date | None = None, raw_counts: bool = False) -> list[list[str]]:
    """One measure for a spreadsheet: a header and a row a month, then the definition, the parameters and
    the report date. Unless the program admin asks for raw counts (audited by `report`), small counts and
    every cell they could be worked out from are shown as "<11" (`suppressed`)."""
    header = ["month", "numerator", "denominator", "pending", "percent", "median_days"]
    rows = [header]
    shown = suppressed(measure, raw_counts=raw_counts)
    for p in shown["series"]:
        rows.append(
            [
                p["month"],
                _text(p["numerator"], "d"),
                _text(p["denominator"], "d"),
                _text(p["pending"], "d"),
                _text(p["percent"], ".1f"),
                _text(p["median_days"], "g"),
            ]
        )
    left_out = "; ".join(f"{why}: {n}" for why, n in shown["excluded"].items())
    rows += [
        [],
        ["measure", measure.code],
        ["title", measure.title],
        ["version", measure.version],
        ["definition", measure.definition],
        ["as_of", as_of.isoformat() if as_of else ""],
        ["parameters", "; ".join(f"{k}={v}" for k, v in measure.params.items())],
        ["sources", "; ".join(measure.sources)],
        ["left_out", left_out],
        [
            "small_counts",
            "raw counts, asked for by the program admin (audited)" if raw_counts else SUPPRESSION_RULE,
        ],
    ]
    return rows
