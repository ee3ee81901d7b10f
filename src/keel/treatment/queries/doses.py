"""The parts of a dose context: the dataclass the dose check reads (`DoseContext`), what counts as a dose
taken (`taken_doses`, `is_taken`, `effective_mg`; the version of its corrections, `correction_version`), the
hours since the last dose (the re-dose interval), each person's current episode (`episode_firsts`: its first
dose and active enrollment) and whether a slot of the day is recorded (`slot_recorded`, read again under the
person's lock)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce

from keel.core import episodes
from keel.core.dose_history import DoseStep
from keel.core.rules.methadone import reinduction_day
from keel.patients.models import Enrollment, EnrollmentStatus, Patient
from keel.treatment.models import (
    DoseAmendment,
    DoseRecord,
    DoseStatus,
    Medication,
    TakeHomePlan,
    in_written_order,
    latest_amendment,
)

MISS_LOOKBACK = episodes.MISS_LOOKBACK  # days the missed-dose count looks back (the one definition)


def effective_mg(dose: DoseRecord, amendments: list[DoseAmendment] | None = None) -> Decimal:
    """The amount after its latest amendment (a voided dose counts 0). `amendments`: the dose's, oldest first,
    when the caller read them already (else they are read from the dose)."""
    amendments = list(dose.amendments.all()) if amendments is None else amendments
    if not amendments:
        return dose.amount_mg if dose.status == DoseStatus.GIVEN else Decimal(0)
    last = amendments[-1]
    return Decimal(0) if last.voided else Decimal(last.corrected_mg or 0)


def taken_on(patient: Patient, medication: str, day: date) -> list[tuple[datetime, Decimal]]:
    """Each dose of this medication given on `day` and taken (`effective_mg` above 0): when it was given,
    else recorded, and its mg after corrections. Lane fix38l: the next program day's doses a correction of an
    evening dose counts within the program's same_day_hours after it (`rule.within_hours_mg`)."""
    doses = DoseRecord.objects.filter(
        patient=patient, medication=medication, local_date=day, status=DoseStatus.GIVEN
    ).prefetch_related("amendments")
    taken = ((d.given_at or d.recorded_at, effective_mg(d)) for d in doses)
    return [(when, mg) for when, mg in taken if mg > 0]


def correction_version(dose: DoseRecord, amendments: list[DoseAmendment] | None = None) -> int:
    """The version of a dose's corrections (`correction_version`, lane fix34a, review 34a hole 1): the id of
    the correction in force (its latest, as `effective_mg` reads it), 0 for none. A correction or void
    carries the version its writer read; one written since refuses it."""
    amendments = list(dose.amendments.all()) if amendments is None else amendments
    return amendments[-1].pk if amendments else 0


@dataclass
class DoseContext:
    """What the dose check needs, read from the records (all for one patient and medication)."""

    today: date
    treatment_day: int
    given_today_mg: Decimal
    previous_day_mg: Decimal | None
    missed_days_in_a_row: int
    next_sequence: int
    last_dose: DoseRecord | None
    doses_today: list[DoseRecord] = field(default_factory=list)
    mg_today: dict[int, Decimal] = field(default_factory=dict)  # each of doses_today's mg after corrections
    hold_open: bool = False  # a dose held on or before today whose hold no prescriber has released
    observed: dict[date, Decimal] = field(default_factory=dict)  # this episode's observed totals before today
    days_since_last_increase: int | None = None
    first_dose_on: date | None = None  # the episode's first dose day (keel.core.episodes)
    in_episode: bool = True  # the person has an active enrollment (an ended episode cannot be dosed)
    take_home: TakeHomePlan | None = None  # this episode's latest take-home plan
    take_home_days: set[date] = field(default_factory=set)  # the days this episode's take-home plans cover
    # When each dose of this medication taken today or yesterday (or dated later) was given, else recorded:
    # hours_since_last_dose's answer from the rows already read (the re-dose interval).
    taken_times: list[datetime] = field(default_factory=list)
    # Lane fix38e: each dose of this medication taken on the previous program day, when it was given (else
    # recorded) and its mg after corrections: those within the program's same-day hours before a dose count
    # with its day (`keel.core.rules.window.given_within_hours`), read with the rows already read.
    earlier_taken: list[tuple[datetime, Decimal]] = field(default_factory=list)
    other_hold_open: bool = False  # another medication's hold, by the same test (with_other_holds)
    # The doses of another medication given today and taken (not voided or corrected to 0 mg), by medication
    # and slot (with_other_holds): a second opioid agonist the same day, a first dose already given today.
    others_taken_today: list[DoseRecord] = field(default_factory=list)
    # The same over the last `keel.core.rules.agonists.SWITCH_LOOKBACK_DAYS` days and today (taken): a second
    # agonist within the program's `switch_hours`, whatever the calendar day (review 22m: 23:30 and 00:30),
    # read far enough back for the policy's ceiling (lane policy22).
    others_taken_recently: list[DoseRecord] = field(default_factory=list)
    # Review 20a: the person's take-home plans with a bottle for today that no running plan of this episode
    # covers and that did not come back (an ended plan's, an earlier episode's): whether the person still
    # holds it is `contexts.held_bottle_plan`'s read, made only when this is not empty.
    bottles_maybe_held: list[TakeHomePlan] = field(default_factory=list)

    @property
    def last_observed_mg(self) -> Decimal | None:
        return self.observed[max(self.observed)] if self.observed else None

    def reinduction_on(self, reinduction_days: int) -> date | None:
        """The first day of the person's latest new induction after `reinduction_days` or more missed days in
        a row, today included, as the window counts them (`keel.core.rules.methadone.reinduction_day`: an
        observed day or a take-home day covers a day), within this context's lookback; None: none. The one
        count: the QTc gate's start (review 22m, `services.qtc.restart_day`) and titration's (lane meth35,
        `services.doses.rule.dose_decision`)."""
        return reinduction_day(
            self.observed,
            lambda day: day in self.observed or day in self.take_home_days,
            self.first_dose_on,
            self.today,
            reinduction_days,
            self.today - timedelta(days=MISS_LOOKBACK),
        )


def taken_doses(doses: QuerySet[DoseRecord]) -> QuerySet[DoseRecord]:
    """Only the doses taken: a dose whose latest amendment voids it or corrects it to 0 mg was not given, so
    it never starts an episode nor counts as the last dose (issue #13)."""
    return with_latest_amendment(doses).filter(
        Q(latest_voided__isnull=True) | Q(latest_voided=False, latest_corrected__gt=0)
    )


def given_order(dose: DoseRecord) -> tuple[datetime, datetime, int]:
    """A dose's place among the doses of its day: its time given (else recorded), ties by the order it was
    recorded in (`given_before`)."""
    return (dose.given_at or dose.recorded_at, dose.recorded_at, dose.pk)


def given_before(doses: Iterable[DoseRecord], this: DoseRecord | datetime) -> list[DoseRecord]:
    """The one definition of "the doses of the day before this one" (lane fix36a, review 35h hole 1): by time
    given, else recorded (`given_order`), never by slot: a dose recorded late for a time before the day's
    first recorded dose is the day's first dose. `this`: a recorded dose (its own row left out), or the time
    given of a dose being recorded now (every dose recorded by then given at or before it is before it: its
    recording is the latest). The start gate's every read (the window, the API, a correction up, the
    first-dose COWS flag: `services.start`) and a correction's day-1 limit (`doses.limits`) use it; the
    caller passes the day's doses of one medication, taken or not (a voided one weighs 0 mg)."""
    if isinstance(this, datetime):
        return [d for d in doses if given_order(d)[0] <= this]
    mine = given_order(this)
    return [d for d in doses if d.pk != this.pk and given_order(d) < mine]


def mg_given_before(ctx: DoseContext, at: datetime) -> Decimal:
    """The mg of the day's doses (`ctx.doses_today`) before a dose given at `at`, by time given
    (`given_before`): the day's total unless the dose is recorded late for an earlier time. The buprenorphine
    start gate's read at the window (`start._taken_before_mg`) and methadone's first dose of the day
    (`doses.rule.dose_decision`, lane fix36i)."""
    before = given_before(ctx.doses_today, at)
    if len(before) == len(ctx.doses_today):
        return ctx.given_today_mg
    return sum((ctx.mg_today[d.pk] if d.pk in ctx.mg_today else effective_mg(d) for d in before), Decimal(0))


def with_latest_amendment(doses: QuerySet[DoseRecord]) -> QuerySet[DoseRecord]:
    """The doses with their latest amendment's `latest_voided` and `latest_corrected` (None: none)."""
    latest = latest_amendment()  # the correction in force (`AMENDMENT_ORDER`)
    return doses.annotate(
        latest_voided=Subquery(latest.values("voided")[:1]),
        latest_corrected=Subquery(latest.values("corrected_mg")[:1]),
    )


def is_taken(dose: DoseRecord, amendments: list[DoseAmendment]) -> bool:
    """taken_doses's test for one dose whose amendments (oldest first) are read: none, or the latest neither
    voids it nor corrects it to 0 mg (nor leaves the amount blank)."""
    if not amendments:
        return True
    last = amendments[-1]
    return not last.voided and last.corrected_mg is not None and last.corrected_mg > 0


def hours_since(times: list[datetime], at: datetime) -> float | None:
    """Hours between `at` and the nearest of `times`; None: none."""
    if not times:
        return None
    return float(min(abs((at - t).total_seconds()) for t in times)) / 3600


def hours_since_last_dose(patient: Patient, medication: str, at: datetime, today: date) -> float | None:
    """Hours between `at` and the nearest dose of this medication given today or yesterday (its time given,
    else recorded), whatever the local day: 23:59 and 00:01 are two minutes apart. None: none."""
    times = [
        given or recorded
        for given, recorded in taken_doses(
            DoseRecord.objects.filter(
                patient=patient,
                medication=medication,
                status=DoseStatus.GIVEN,
                local_date__gte=today - timedelta(days=1),
            )
        ).values_list("given_at", "recorded_at")
    ]
    if not times:
        return None
    return float(min(abs((at - t).total_seconds()) for t in times)) / 3600


def last_dose_day_before(patient: Patient, medication: str, today: date, since: date | None) -> date | None:
    """The last day before `today`, on or after `since` (the episode's first dose), with a dose of this
    medication taken (a voided or held dose is none); None: no such day, whatever the look-back."""
    if since is None:
        return None
    day: date | None = (
        taken_doses(
            DoseRecord.objects.filter(
                patient=patient,
                medication=medication,
                status=DoseStatus.GIVEN,
                local_date__gte=since,
                local_date__lt=today,
            )
        )
        .order_by("-local_date")
        .values_list("local_date", flat=True)
        .first()
    )
    return day


def episode_firsts(
    people: Iterable[int], medication: str
) -> tuple[dict[int, date | None], dict[int, tuple[int, date]]]:
    """Each person's current episode: its first dose (None: none yet) and its active enrollment (id, start),
    keyed by patient id; no active enrollment: not in either. The first dose is the first observed dose on
    or after the current enrollment's start (one query for everyone; a readmission starts a new episode). A
    dose belongs to the episode open when it was recorded: a readmission dated on the last discharge day
    never takes the old episode's dose of that day as its first (issue #18) — on or before that day, only
    doses recorded after the readmission (its consent to treatment) count. `people`: ids or a subquery
    (`values_list("pk", flat=True)`)."""
    first_dose = episode_first_dose(
        medication,
        patient=OuterRef("patient_id"),
        started_on=OuterRef("started_on"),
        consented_at=OuterRef("consented_at"),
        last_end=OuterRef("last_end"),
    )
    firsts: dict[int, date | None] = {}
    episodes_of: dict[int, tuple[int, date]] = {}
    for pk, first_on, enrollment_id, started_on in (
        Enrollment.objects.filter(patient_id__in=people, status=EnrollmentStatus.ACTIVE)
        .order_by("patient_id", "started_on")
        .annotate(last_end=last_discharge(OuterRef("patient_id")))
        .annotate(first=first_dose)
        .values_list("patient_id", "first", "pk", "started_on")
    ):
        firsts[pk] = first_on  # the latest active enrollment wins
        episodes_of[pk] = (enrollment_id, started_on)
    return firsts, episodes_of


def last_discharge(patient: Combinable) -> Coalesce:
    """The day a person's latest ended episode ended (0001-01-01: none), `patient` an expression of their id
    (an OuterRef): what `episode_first_dose` reads a readmission by."""
    ended = (
        Enrollment.objects.filter(patient_id=patient, status=EnrollmentStatus.ENDED)
        .order_by("-ended_on")
        .values("ended_on")[:1]
    )
    return Coalesce(Subquery(ended), Value(date(1, 1, 1)))


def episode_first_dose(
    medication: str,
    *,
    patient: Combinable,
    started_on: Combinable,
    consented_at: Combinable,
    last_end: Combinable,
) -> Subquery:
    """The day of an episode's first observed dose (`episode_firsts`' rule) as a subquery; the episode's
    person, start, consent and the person's last discharge (`last_discharge`) as expressions (OuterRefs) of
    the statement it goes in (the enrollments, or the caseload's people, issue #21)."""
    return Subquery(
        taken_doses(
            DoseRecord.objects.filter(
                Q(local_date__gt=last_end) | Q(recorded_at__gte=consented_at),
                patient_id=patient,
                medication=medication,
                status=DoseStatus.GIVEN,
                local_date__gte=started_on,
            )
        )
        .order_by("local_date")
        .values("local_date")[:1]
    )


@dataclass(frozen=True)
class _Episode:
    """The episode a dose was given in: its first day, its consent, the day the episode before it ended
    (0001-01-01: none), and whether it is the person's current one (their latest enrollment, active)."""

    started_on: date
    consented_at: datetime | None
    before: date
    current: bool


def _episode_of(dose: DoseRecord) -> _Episode | None:
    """The episode `dose` was given in (`episode_first_day_before`'s): the person's latest enrollment started
    on or before its day; on a readmission's day, the new one only for a dose recorded at or after its
    consent (`episode_firsts`' rule). None: none."""
    spans = list(
        Enrollment.objects.filter(patient_id=dose.patient_id)
        .order_by("started_on", "id")
        .values_list("started_on", "consented_at", "ended_on", "status")
    )
    episode: _Episode | None = None
    last_end = date(1, 1, 1)
    for i, (started_on, consented_at, ended_on, status) in enumerate(spans):
        readmitted_that_day = started_on == dose.local_date == last_end
        if started_on > dose.local_date or (
            readmitted_that_day and (consented_at is None or dose.recorded_at < consented_at)
        ):
            break
        current = i == len(spans) - 1 and status == EnrollmentStatus.ACTIVE
        episode = _Episode(started_on, consented_at, last_end, current)
        last_end = ended_on or last_end
    return episode


def in_current_episode(dose: DoseRecord) -> bool:
    """Whether `dose` was given in the person's current episode (`_episode_of`), whatever a correction made
    of it since: a dose of an earlier episode (before a readmission) is not read on this one's context."""
    episode = _episode_of(dose)
    return episode is not None and episode.current


def episode_first_day_before(dose: DoseRecord) -> date | None:
    """The first day before `dose`'s own with a dose of its medication taken in the episode it was given in
    (lane fix35a, review 34e): None when there is none, so its day is that episode's first dosing day, what
    a correction of it does since (down to 0 mg and up again, a void) or a later day holds. Its episode:
    `_episode_of`, whose earlier days count the same way (a dose taken never means one corrected to 0 mg,
    voided or held: `taken_doses`)."""
    episode = _episode_of(dose)
    if episode is None:
        return None
    started_on, consented_at, before = episode.started_on, episode.consented_at, episode.before
    same_episode = Q(local_date__gt=before)
    if consented_at is not None:
        same_episode |= Q(recorded_at__gte=consented_at)
    day: date | None = (
        taken_doses(
            DoseRecord.objects.filter(
                same_episode,
                patient_id=dose.patient_id,
                medication=dose.medication,
                status=DoseStatus.GIVEN,
                local_date__gte=started_on,
                local_date__lt=dose.local_date,
            )
        )
        .order_by("local_date")
        .values_list("local_date", flat=True)
        .first()
    )
    return day


def newest_dosed_day(
    medication: str, *, patient: Combinable, since: Combinable, before: Combinable
) -> Subquery:
    """The newest day in [since, before) with a dose of this medication of an amount above 0 after its latest
    amendment (`effective_mg`: a voided or zeroed dose is none, a held dose corrected to an amount is one),
    as a subquery: a backward read of the dose slots' index per person. The arguments are expressions of
    the statement it goes in (OuterRefs, Values)."""
    latest = latest_amendment()  # the correction in force (`AMENDMENT_ORDER`)
    return Subquery(
        DoseRecord.objects.filter(
            patient_id=patient, medication=medication, local_date__gte=since, local_date__lt=before
        )
        .annotate(
            latest_voided=Subquery(latest.values("voided")[:1]),
            latest_corrected=Subquery(latest.values("corrected_mg")[:1]),
        )
        .filter(
            Q(latest_voided__isnull=True, status=DoseStatus.GIVEN, amount_mg__gt=0)
            | Q(latest_voided=False, latest_corrected__gt=0)
        )
        .order_by("-local_date")
        .values("local_date")[:1]
    )


def _as_date(value: object) -> date | None:
    """A date the driver returned from an expression (SQLite: its ISO text)."""
    return value if value is None or isinstance(value, date) else date.fromisoformat(str(value)[:10])


def slot_recorded(patient: Patient, medication: str, today: date, slot: int) -> bool:
    """Whether this dose slot of today is recorded now (read again, after the day's context was read)."""
    return DoseRecord.objects.filter(
        patient=patient, medication=medication, local_date=today, sequence=slot
    ).exists()


def day_steps(patient_id: int, day: date) -> list[DoseStep]:
    """Lane fix32a (review 32a hole 1): the history of the observed methadone given on `day` (the person's
    day), as `keel.core.dose_history` reads it: each dose recorded given (its amount, at its recording) and
    each amendment of one (its corrected amount, None for a void, at its instant), in the order made. Lane
    fix36d: a dose's amendments in the order written (`AMENDMENT_ORDER`), each one's instant never before the
    step it follows on that dose (a clock stepped back), so the history ends at the correction in force."""
    doses = DoseRecord.objects.filter(
        patient_id=patient_id, medication=Medication.METHADONE, status=DoseStatus.GIVEN, local_date=day
    ).order_by("recorded_at", "id")
    steps = [DoseStep(d.recorded_at, d.pk, d.amount_mg) for d in doses]
    last = {d.pk: d.recorded_at for d in doses}
    for a in in_written_order(DoseAmendment.objects.filter(dose__in=doses)):
        last[a.dose_id] = max(a.amended_at, last[a.dose_id])
        steps.append(DoseStep(last[a.dose_id], a.dose_id, None if a.voided else a.corrected_mg))
    return steps
