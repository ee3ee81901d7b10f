"""Readiness for a medication start, read from the record: the time of last use of every opioid, the latest
withdrawal score, and the program's policy. One definition each, used by every page, the API and the gates:

- `buprenorphine_readiness(patient, now)`: a standard buprenorphine start (the start page; the dosing
  window's gate on a first standard dose). `ReadinessRead.ready` is True only when the verdict is
  `keel.core.rules.buprenorphine.READY` ("ready"). What a dose's gate read, "just before this dose" (the
  window, a correction's gate, the first-dose COWS flag): `readiness_for_dose(patient, at, dose=...)`.
- `home_start(user, now)`: the person's own buprenorphine home start (SOWS).
- `naltrexone_readiness(patient, now)`: a first XR-naltrexone injection.

The time of last use of each opioid comes from every intake and every report of last use, whenever made (the
care team on the start page, the person on their home-start page: `services.last_use.record_last_use`), and
the program's own records (observed methadone and buprenorphine doses, methadone take-home bottles that
left the clinic with the person and were not brought back (`take_home_days`, lane fix36e),
buprenorphine filled at a pharmacy up to the end of its days' supply), the latest time of each winning; an
opioid the latest intake lists without a time stays unknown until a later report gives one. A prescriber's
correction (`LastUseCorrection`, issue #13) replaces a mistaken reported time with an earlier one, or
strikes it; the program's own records are never struck.
These reads add no audit row: callers have read the record through the access policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Exists, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from keel.access import policy
from keel.accounts.models import User
from keel.assessments import queries as assessments
from keel.assessments.models import Assessment
from keel.core import intake as core_intake
from keel.core.decision import Decision, NoDetails
from keel.core.opioids import OPIOIDS
from keel.core.rules import naltrexone
from keel.core.rules.agonists import DOCUMENTED
from keel.core.rules.base import NoPolicy
from keel.core.rules.buprenorphine import DOSE_LIMIT, HOME_START, READINESS, READY
from keel.core.rules.buprenorphine.home_start import HomeDetails, HomePolicy, stopped_by_clinic
from keel.core.rules.buprenorphine.readiness import ReadinessDetails, ReadinessPolicy
from keel.core.rules.buprenorphine.uses import OpioidUse
from keel.core.rules.buprenorphine.verdicts import HOME_READY, NOT_READY
from keel.patients.models import Enrollment, Patient, local_today, zone_of
from keel.treatment.models import (
    DoseRecord,
    DoseStatus,
    Intake,
    LastUseCorrection,
    LastUseReport,
    Medication,
    MedicationFill,
    MedicationOrder,
    OrderStatus,
    OverrideKind,
    TakeHomePlan,
    in_force_q,
    latest_amendment,
)
from keel.treatment.queries.blockade import blockade_of, joined
from keel.treatment.queries.contexts import clinic_day
from keel.treatment.queries.doses import taken_doses
from keel.treatment.queries.orders import day_overrides
from keel.treatment.queries.policy import effective_policy
from keel.treatment.queries.take_home_plans import bottles_at_home

SCREENS = ("dsm5-oud", "phq9", "gad7", "cssrs-screen", "ort")


@dataclass(frozen=True)
class LastUse:
    """The time of last use of one opioid, and where Keel knows it from."""

    opioid: str
    at: datetime | None  # None: listed on the intake without a time
    source: str  # intake | report | corrected | dose | take_home | fill
    # "corrected": the prescriber's correction that gave this time (the record reported a later one)
    correction: LastUseCorrection | None = field(default=None, compare=False)


@dataclass(frozen=True)
class FillInHand:
    """A pharmacy fill of a buprenorphine order (not voided), as the readiness reads it: taken through `until`
    (`fills_in_hand`). `first_filled_on`: the first fill of its order (the day a low-dose start's schedule
    began in her hands, `services.agonists`: lane fix37c)."""

    order_id: int
    first_filled_on: date
    until: datetime


@dataclass(frozen=True)
class LastUses:
    """Every opioid the record knows the person used, with the latest time of each."""

    uses: dict[str, LastUse]
    asked_at: datetime | None  # when the times were last asked (the latest intake or report)
    intake: Intake | None
    fills: tuple[FillInHand, ...] = ()  # buprenorphine fills and when each is in hand through (lane fix37c)
    # Lane fix37h (re-attack 37m item 1): the latest use of each opioid as the person told it (intakes,
    # reports, corrections: no program record), which a later dose, bottle or fill in `uses` may hide
    told: dict[str, LastUse] = field(default_factory=dict)

    @property
    def unknown(self) -> tuple[str, ...]:
        """Opioids listed without a time of last use (readiness cannot be decided until one is given)."""
        return tuple(o for o in OPIOIDS if o in self.uses and self.uses[o].at is None)

    def unknown_since(self, opioid: str) -> datetime | None:
        """When the use of `opioid` at a time not known became unknown (`_unknown_since`: the strike's
        recording, else the latest intake's): the use was before it. None: its time is known, or not used.
        Lane fix37h: read on the use as told (`told`), so a later program record does not hide it."""
        return _unknown_since(self.told.get(opioid, self.uses.get(opioid)), self.intake)

    def hours_since(self, now: datetime) -> list[OpioidUse]:
        """The rules' input: each opioid with a known time and the hours since it (exact, never negative)."""
        return [
            OpioidUse(opioid=u.opioid, hours_since_last_use=max(0.0, (now - u.at).total_seconds() / 3600))
            for u in (self.uses[o] for o in OPIOIDS if o in self.uses)
            if u.at is not None
        ]

    def asked_hours_ago(self, now: datetime) -> float | None:
        return None if self.asked_at is None else max(0.0, (now - self.asked_at).total_seconds() / 3600)


def _later(current: LastUse | None, candidate: LastUse, *, unknown_since: datetime | None = None) -> LastUse:
    """The later of two uses of one opioid. A use at a time not known (`current.at` None: the latest intake
    lists it without a time, or a prescriber struck its time) stays unknown unless `candidate` is known to
    be later: taken after `unknown_since` (review 36f hole 1: a clinic dose, a take-home day or a fill older
    than the intake, or than the strike, is not the newest answer; street methadone "time not known" may
    have been last night). `unknown_since` None: nothing is later than an unknown time."""
    if current is None:
        return candidate
    if current.at is None:
        later = candidate.at is not None and unknown_since is not None and candidate.at > unknown_since
        return candidate if later else current
    if candidate.at is not None and candidate.at > current.at:
        return candidate
    return current


def _unknown_since(current: LastUse | None, intake: Intake | None) -> datetime | None:
    """When a use at a time not known became unknown: the strike's recording (a prescriber's correction
    without a replacement), else the latest intake's (it listed the opioid without a time)."""
    if current is None or current.at is not None:
        return None
    if current.correction is not None:
        return current.correction.recorded_at
    return None if intake is None else intake.recorded_at


def _merge_program(uses: dict[str, LastUse], intake: Intake | None, candidate: LastUse) -> None:
    """A program record (a dose given here, a take-home day, a fill) merged into `uses` (`_later`)."""
    current = uses.get(candidate.opioid)
    uses[candidate.opioid] = _later(current, candidate, unknown_since=_unknown_since(current, intake))


@dataclass(frozen=True)
class Reported:
    """One time of last use as an intake or a report gave it, read through the corrections made since."""

    opioid: str
    at: datetime | None  # None: a prescriber struck this time and the right one is not known
    source: str  # intake | report
    recorded_at: datetime  # when the intake or the report was recorded
    correction: LastUseCorrection | None = None  # the last correction that moved this time


def _corrected(
    opioid: str, at: datetime, recorded_at: datetime, source: str, corrections: list[LastUseCorrection]
) -> Reported | None:
    """The reported time `at` read through the corrections (oldest first) of its opioid recorded at or after
    it: each one striking exactly this time moves it to its corrected time, or to an unknown one (at None:
    the use stands, its time is not known; review 13g). A correction recorded before the value does not
    touch it: the same time reported again is a new answer."""
    applied = None
    for fix in corrections:
        if fix.opioid == opioid and fix.recorded_at >= recorded_at and fix.struck_at == at:
            applied = fix
            if fix.corrected_at is None:
                return Reported(opioid, None, source, recorded_at, fix)
            at = fix.corrected_at
    return Reported(opioid, at, source, recorded_at, applied)


def reported_times(
    patient: Patient,
    now: datetime,
    *,
    intakes: list[Intake] | None = None,
    reports: list[LastUseReport] | None = None,
    entered_by: datetime | None = None,
) -> list[Reported]:
    """Every time of last use reported by `now` (each intake's, then each report's, latest first), read
    through the prescribers' corrections recorded by `now`; a struck time without a replacement is there
    with `at` None (used, at a time not known). The program's own records (doses, take-home days, fills)
    are not reported times. `entered_by`: what was typed in by then, in place of `now` (`read_last_uses`)."""
    entered = now if entered_by is None else entered_by
    if intakes is None:
        intakes = list(Intake.objects.filter(patient=patient, recorded_at__lte=entered))
    if reports is None:
        reports = list(LastUseReport.objects.filter(patient=patient, reported_at__lte=entered))
    corrections = list(
        LastUseCorrection.objects.filter(patient=patient, recorded_at__lte=entered)
        .select_related("corrected_by")
        .order_by("recorded_at", "id")
    )
    out: list[Reported | None] = []
    for row in intakes:
        for opioid, at in core_intake.last_use_times(row.values).items():
            if at is not None:
                out.append(_corrected(opioid, at, row.recorded_at, "intake", corrections))
    for report in reports:
        for item in report.opioids or []:
            if not isinstance(item, Mapping):
                continue
            code, when = item.get("opioid"), item.get("last_use_at")
            if code in OPIOIDS and when:
                out.append(
                    _corrected(code, datetime.fromisoformat(when), report.reported_at, "report", corrections)
                )
    return [r for r in out if r is not None]


def _struck_unknown(reported: list[Reported], intake: Intake | None) -> dict[str, Reported]:
    """opioid -> a time struck without a replacement that still stands: the use is known, its time is not,
    until a later answer gives one (a report or intake recorded after the correction with a time of that
    opioid) or a later intake no longer lists that opioid (asked again from the start: entered by mistake)."""
    out: dict[str, Reported] = {}
    for r in reported:
        if r.at is not None or r.correction is None:
            continue
        since = r.correction.recorded_at
        answered = any(x.opioid == r.opioid and x.at is not None and x.recorded_at > since for x in reported)
        asked_anew = (
            intake is not None
            and intake.recorded_at > since
            and r.opioid not in core_intake.last_use_times(intake.values)
        )
        if not answered and not asked_anew:
            out.setdefault(r.opioid, r)
    return out


def read_last_uses(
    patient: Patient, now: datetime, *, leave_out: int | None = None, entered_by: datetime | None = None
) -> LastUses:
    """Every opioid's latest reported use as of `now` (review 13c): every intake and every report counts,
    whenever it was made, the latest time of each opioid winning (a use reported at 08:00 is not dropped
    because an intake typed at 08:30 gives an older one); then the program's own doses. The latest intake
    (time, then entry order: the models' ordering) is the one whose other answers are read; an opioid it
    lists without a time stays unknown unless a report made at or after it gives one (an older record's
    time is not the newest answer). A reported time a prescriber corrected is read as corrected (issue #13:
    `reported_times`); one struck without a replacement leaves the opioid used at an unknown time (review
    13g: readiness waits for the time) until a later answer gives one or a later intake no longer lists it.
    `leave_out`: a recorded dose (its id) read again as of its own time, not its own last use
    (`readiness_for_dose`). `entered_by` (None: `now`): a dose's readiness "just before" it, given at `now`
    (lane fix36a, review 35h hole 2): every intake, report, correction and program record typed in by then
    (the dose's recording; at the window, the moment it is recorded) counts for a use before `now`, as the
    COWS does (`assessments.queries.latest(entered_by=...)`): "last use 2 h ago" typed at 09:50 for a dose
    given at 09:30 and recorded at 10:00 is read; a use after `now` is not a use before the dose."""
    entered = now if entered_by is None else entered_by
    intakes = list(Intake.objects.filter(patient=patient, recorded_at__lte=entered))  # latest first
    intake = intakes[0] if intakes else None
    reports = list(LastUseReport.objects.filter(patient=patient, reported_at__lte=entered))  # latest first
    uses: dict[str, LastUse] = {}
    asked = max([r.reported_at for r in reports[:1]] + [i.recorded_at for i in intakes[:1]], default=None)
    answered_after_intake: set[str] = set()
    reported = reported_times(patient, now, intakes=intakes, reports=reports, entered_by=entered)
    for r in reported:
        if r.at is None or r.at > now:
            continue
        source = "corrected" if r.correction is not None else r.source
        uses[r.opioid] = _later(uses.get(r.opioid), LastUse(r.opioid, r.at, source, r.correction))
        if r.source == "report" and (intake is None or r.recorded_at >= intake.recorded_at):
            answered_after_intake.add(r.opioid)
    if intake is not None:  # listed on the latest intake without a time, and not given since: unknown
        for opioid, at in core_intake.last_use_times(intake.values).items():
            if at is None and opioid not in answered_after_intake:
                uses[opioid] = LastUse(opioid, None, "intake")
    for opioid, r in _struck_unknown(reported, intake).items():  # struck, the right time not known
        uses[opioid] = LastUse(opioid, None, "corrected", r.correction)
    told = dict(uses)  # as told, before the program's own records (lane fix37h)
    for medication, at in _program_doses(patient, now, leave_out, entered).items():
        _merge_program(uses, intake, LastUse(medication, at, "dose"))
    take_home = _last_take_home_day(patient, now)
    if take_home is not None:
        _merge_program(uses, intake, LastUse("methadone", take_home, "take_home"))
    fills = fills_in_hand(patient, now, entered)
    filled = _last_filled_day(fills)
    if filled is not None:
        _merge_program(uses, intake, LastUse("buprenorphine", filled, "fill"))
    return LastUses(uses, asked, intake, tuple(fills), told)


def _program_doses(
    patient: Patient, now: datetime, leave_out: int | None = None, entered_by: datetime | None = None
) -> dict[str, datetime]:
    """medication -> the time of the latest observed dose given here by `now` (its time given, else
    recorded), of those recorded by `entered_by` (None: `now`; lane fix36a); a dose whose latest amendment
    (the correction in force, `AMENDMENT_ORDER`) voids it or corrects it to 0 mg was not taken, and the dose
    `leave_out` (its id) is not counted. One query."""
    latest = latest_amendment()  # the correction in force (`AMENDMENT_ORDER`)
    recent = (
        DoseRecord.objects.filter(
            patient=patient,
            medication__in=(Medication.METHADONE, Medication.BUPRENORPHINE),
            status=DoseStatus.GIVEN,
            recorded_at__lte=now if entered_by is None else entered_by,
        )
        .exclude(pk=leave_out or 0)
        .annotate(
            moment=Coalesce("given_at", "recorded_at"),
            amended=Exists(latest),
            voided=Subquery(latest.values("voided")[:1]),
            corrected=Subquery(latest.values("corrected_mg")[:1]),
        )
        .filter(moment__lte=now)
        .order_by("-moment", "-id")
        .values_list("medication", "moment", "amended", "voided", "corrected")[:20]
    )
    out: dict[str, datetime] = {}
    for medication, at, amended, voided, corrected in recent:
        if medication in out or (amended and (voided or not corrected)):
            continue
        out[medication] = at
    return out


def _bottle_time(day: date, zone: ZoneInfo, now: datetime) -> datetime:
    """A take-home bottle counts as taken at the end of its day (or now, for today's): the safe reading, since
    the time is not known."""
    return min(datetime.combine(day, time.max).replace(tzinfo=zone), now)


def take_home_days(
    patient: Patient, since: date, now: datetime, *, plans: list[TakeHomePlan] | None = None
) -> list[date]:
    """Lane fix36e: the methadone take-home bottle days from `since` up to her today as of `now` whose
    bottle left the clinic with her and was not brought back: `take_home_plans.bottles_at_home`, the one
    answer to "which bottles are at home" (handed out at a dose that stands or at the decision, whatever
    ended the plan since; never a bottle whose run never left, or that is recorded brought back unopened).
    Lane fix36j (re-attack 36j item 1): read on the safe side, as the call-back list reads it (`maybe`): a
    bottle recorded as handed out counts until it is recorded brought back, whatever happened to its dose
    since (voided, or corrected to 0 mg: moved to the taken-back list, it may still be in her cupboard).
    A day in a plan's list alone is not methadone she had.
    `plans`: the plans to read (None: all of hers with a bottle day in the span)."""
    today = now.astimezone(zone_of(patient)).date()
    if plans is None:
        plans = list(TakeHomePlan.objects.filter(patient=patient))
    plans = [
        p for p in plans if any(since.isoformat() <= iso <= today.isoformat() for iso in p.bottles or [])
    ]
    if not plans:
        return []
    days = {d for found in bottles_at_home(patient, since, plans=plans, maybe=True).values() for d in found}
    return sorted(d for d in days if d <= today)


def _last_take_home_day(patient: Patient, now: datetime) -> datetime | None:
    """The latest bottle day up to today that left with her (`take_home_days`), as taken at the end of its
    day (or now, for today's). Plans are read from the one with the latest bottle day back, each with its
    own doses, until none can hold a later day than one found."""
    zone = zone_of(patient)
    today = now.astimezone(zone).date().isoformat()
    plans = [
        p for p in TakeHomePlan.objects.filter(patient=patient) if any(d <= today for d in p.bottles or [])
    ]
    found: date | None = None
    for plan in sorted(plans, key=lambda p: max(d for d in p.bottles if d <= today), reverse=True):
        past = sorted(date.fromisoformat(d) for d in plan.bottles if d <= today)
        if found is not None and past[-1] <= found:
            break
        days = take_home_days(patient, past[0], now, plans=[plan])
        if days:
            found = days[-1] if found is None else max(found, days[-1])
    return None if found is None else _bottle_time(found, zone, now)


def methadone_times(
    patient: Patient, since: date, now: datetime, *, entered_by: datetime | None = None
) -> list[datetime]:
    """When Keel knows methadone (a full agonist) was taken, from the day `since` up to `now`: doses given
    here (their time given, else recorded; a voided dose or one corrected to 0 mg was not taken), take-home
    bottles that left the clinic with her and were not brought back (`take_home_days`, lane fix36e: the end
    of their day, or now for today's: the safe reading) and every reported last use (intakes and reports,
    read through the prescribers' corrections: `reported_times`). The buprenorphine induction's switch
    check (`keel.core.induction`); the readiness's last use reads the same bottles (`_last_take_home_day`).
    `entered_by` (None: `now`): what was typed in by then counts, as `read_last_uses` (lane fix36a: a
    methadone dose recorded after the time a buprenorphine dose was given, by its recording)."""
    entered = now if entered_by is None else entered_by
    zone = zone_of(patient)
    out = [
        given or recorded
        for given, recorded in taken_doses(
            DoseRecord.objects.filter(
                patient=patient,
                medication=Medication.METHADONE,
                status=DoseStatus.GIVEN,
                local_date__gte=since,
                recorded_at__lte=entered,
            )
        ).values_list("given_at", "recorded_at")
    ]
    out += [_bottle_time(day, zone, now) for day in take_home_days(patient, since, now)]
    reported = [
        r.at
        for r in reported_times(patient, now, entered_by=entered)
        if r.opioid == "methadone" and r.at is not None
    ]
    out += [t for t in reported if t.astimezone(zone).date() >= since and t <= now]
    return out


def fills_in_hand(patient: Patient, now: datetime, entered_by: datetime | None = None) -> list[FillInHand]:
    """Buprenorphine filled at a pharmacy (a fill of a buprenorphine order recorded by `now`, not voided) is
    taken through the last day of its supply: the end of that day, or now while the supply lasts (the safe
    reading: the person has it in hand and the times are not known). Lane fix36j (re-attack 36j item 2): or
    until its order was stopped (the discharge that stopped it, `_stop_day`), whichever is first: after the
    stop, her last buprenorphine is the end of the stop's day at the latest. Lane fix36n (re-attack 36l item
    1): the stop cuts only a fill filled on or before its day; one filled after it (a PDMP fill recorded
    against the old order) is in hand through its supply. The one definition read by the readiness
    (`_last_filled_day`: the latest) and the second-agonist gate (`services.agonists`, through
    `LastUses.fills`: which order each is of, lane fix37c). One statement (and one per stopped order)."""
    zone = zone_of(patient)
    today = now.astimezone(zone).date()
    rows = list(
        MedicationFill.objects.filter(
            patient=patient,
            order__medication=Medication.BUPRENORPHINE,
            voids__isnull=True,
            voided_by__isnull=True,
            filled_on__lte=today,
            recorded_at__lte=now if entered_by is None else entered_by,
        ).values_list("order_id", "filled_on", "days_supply", "order__status", "order__created_at")
    )
    first: dict[int, date] = {}
    for order_id, filled_on, *_rest in rows:
        first[order_id] = min(filled_on, first.get(order_id, filled_on))
    out = []
    for order_id, filled_on, supply, status, written in rows:
        end = filled_on + timedelta(days=supply - 1)
        if status == OrderStatus.STOPPED:
            stop = _stop_day(patient, written.astimezone(zone).date())
            end = end if stop is None or filled_on > stop else min(end, stop)
        until = min(datetime.combine(end, time.max).replace(tzinfo=zone), now)
        out.append(FillInHand(order_id, first[order_id], until))
    return out


def _last_filled_day(fills: list[FillInHand]) -> datetime | None:
    """The latest time buprenorphine filled at a pharmacy is in hand through (`fills_in_hand`); None: none."""
    return max((f.until for f in fills), default=None)


def _stop_day(patient: Patient, written: date) -> date | None:
    """The day a stopped order written on `written` was stopped: the first episode end on or after that day
    (a discharge stops the orders; `order_words.discharge_day`). None: none on record."""
    return (
        Enrollment.objects.filter(patient=patient, ended_on__gte=written)
        .order_by("ended_on")
        .values_list("ended_on", flat=True)
        .first()
    )


def _missing(uses: LastUses, now: datetime, report_hours: float) -> list[str]:
    """What a readiness verdict still needs from the record (codes; the pages say them in words)."""
    missing = []
    if not uses.uses:
        missing.append("last_use")
    elif uses.unknown:
        missing.append("last_use_time")
    asked = uses.asked_hours_ago(now)
    if uses.uses and (asked is None or asked > report_hours):
        missing.append("last_use_report")
    return missing


# --- Buprenorphine: a standard start --------------------------------------------------------------------


@dataclass(frozen=True)
class ReadinessRead:
    """The buprenorphine readiness verdict as of `now`, with what it was made from. The one definition used by
    the start page and by the dosing window's gate on a first standard dose.

    `readiness.decision`: "ready" (`keel.core.rules.buprenorphine.READY`, the only verdict that allows a
    standard first dose), "wait", "not_standard" (illicit fentanyl under the default profile) or "low_dose"
    (a low-dose start is the program's route after fentanyl). `readiness` is None while something in
    `missing` is needed ("last_use", "last_use_time", "last_use_report", "cows"): not ready either."""

    intake: Intake | None
    cows: Assessment | None  # the COWS the verdict used (the latest)
    readiness: Decision[ReadinessPolicy, ReadinessDetails] | None
    missing: tuple[str, ...]  # what the verdict still needs
    latest: dict[str, Assessment]  # "cows" -> the latest COWS (the start view adds the screens)
    uses: LastUses | None = None
    cows_age_hours: float | None = None
    policy: ReadinessPolicy | NoPolicy = field(default_factory=NoPolicy)  # the program's, with overrides

    @property
    def ready(self) -> bool:
        """True only when the verdict is "ready": a standard first dose may be given."""
        return self.readiness is not None and self.readiness.decision == READY


def buprenorphine_readiness(
    patient: Patient,
    now: datetime,
    *,
    cows: Assessment | None = None,
    leave_out: int | None = None,
    entered_by: datetime | None = None,
    told_by: datetime | None = None,
) -> ReadinessRead:
    """Readiness for a standard buprenorphine start: every opioid's last use, the latest COWS (scored after
    the last use and fresh), the program's policy. No audit row: callers read the record through policy.
    `cows`: the COWS to read in place of the latest (clin34: a correction looking back at the score a first
    dose was given on, as it stood then). `leave_out`, `entered_by`: a recorded dose read again; `told_by`:
    the window's dose being recorded now, given at `now` (`readiness_for_dose`, the one place that passes
    them: the times of last use typed in by then)."""
    told = entered_by if entered_by is not None else told_by
    uses = read_last_uses(patient, now, leave_out=leave_out, entered_by=told)
    if cows is None:
        cows = assessments.latest(patient, "cows", as_of=now, entered_by=entered_by)
    latest = {"cows": cows} if cows is not None else {}
    settings = effective_policy(patient, READINESS)
    missing = _missing(uses, now, settings["last_use_report_hours"])
    if cows is None:
        missing.append("cows")
    age = None if cows is None else max(0.0, (now - cows.filled_at).total_seconds() / 3600)
    readiness = None
    if not missing and cows is not None and age is not None:
        raw: dict[str, object] = {
            "opioids": uses.hours_since(now),
            "cows_total": cows.total,
            "cows_age_hours": age,
            "pregnant": bool(uses.intake and uses.intake.values.get("pregnant") == "yes"),
        }
        readiness = READINESS.run(raw, settings)
    return ReadinessRead(
        intake=uses.intake,
        cows=cows,
        readiness=readiness,
        missing=tuple(missing),
        latest=latest,
        uses=uses,
        cows_age_hours=age,
        policy=settings,
    )


def readiness_for_dose(
    patient: Patient,
    at: datetime,
    *,
    dose: DoseRecord | None = None,
    cows: Assessment | None = None,
    now: datetime | None = None,
) -> ReadinessRead:
    """The readiness verdict the start gate reads for a buprenorphine dose given at `at`, "just before this
    dose" (lane fix35a, review 34e): the one read of the window's gate (`services.start.start_gate_and_read`,
    `dose` None: nothing of it is recorded yet), a correction's gate (`doses.limits.start_gate_over`) and the
    first-dose COWS flag (`treatment.first_dose_cows`), both with the recorded `dose`. Read again, the dose is
    not its own last use (0 h before itself, after every COWS: a correction up of a first dose given on
    "ready" was always refused), and a COWS counts only if it was typed in by the time the dose was recorded
    (a paper COWS typed in later, its `filled_at` before the dose, was not what the gate read). The times of
    last use read the same way (lane fix36a, review 35h hole 2: `read_last_uses(entered_by=...)`): every
    intake, report and program record typed in by the dose's recording, its use before `at`; at the window
    (`dose` None), by `now`, the moment the dose is being recorded (None: `at`), so a dose recorded late for
    an earlier time reads what was typed in since. `cows`: as `buprenorphine_readiness`."""
    if dose is None:
        return buprenorphine_readiness(patient, at, cows=cows, told_by=now)
    return buprenorphine_readiness(patient, at, cows=cows, leave_out=dose.pk, entered_by=dose.recorded_at)


# --- Buprenorphine at home --------------------------------------------------------------------------------


HomeDecision = Decision[HomePolicy, HomeDetails] | Decision[HomePolicy, NoDetails] | Decision[NoPolicy]
# the home start's verdicts that would have her take buprenorphine (now, later or on a plan): inside a
# blockade each becomes its refusal; the clinic's stops of the day (a hold, a dose there) stand, its reasons
# added
HOME_GIVES = (HOME_READY, *NOT_READY)


@dataclass(frozen=True)
class HomeStart:
    order: MedicationOrder | None
    sows: Assessment | None  # the latest SOWS
    # "start" (take the first dose now), "wait", "not_standard", "low_dose", "held_earlier", "dosed_today";
    # the last two also before the inputs are complete (`stopped_by_clinic`: then without details); None: the
    # inputs still missing (`missing`) on a day the clinic did not stop the start, or no home-start order
    # "needs_override" (lane fix36i): inside an XR-naltrexone injection's blockade, no prescriber's switch
    # override for today (`_blockade_of_home`), whether the inputs are complete or not
    decision: HomeDecision | None
    redose_hours: float
    day1_max_mg: float
    day2_max_mg: float
    missing: tuple[str, ...] = ()  # "last_use", "last_use_time", "last_use_report", "sows"
    uses: LastUses | None = None
    sows_age_hours: float | None = None
    patient: Patient | None = None


def home_start(user: User, now: datetime | None = None) -> HomeStart:
    """The person's home start: their latest SOWS (rated after their last use, and fresh), the time since
    their last use of every opioid (fentanyl included), and the plan's limits. One audit row."""
    patient = policy.own_patient_or_404(user, target_type="home_start")
    now = now or timezone.now()
    # the buprenorphine order in force on the person's today (`in_force_q`: never one to start next week), if
    # it is a home start
    order = MedicationOrder.objects.filter(
        in_force_q(local_today(patient, now)),
        patient=patient,
        medication=Medication.BUPRENORPHINE,
        home_start=True,
    ).first()
    sows = assessments.latest(patient, "sows", as_of=now)
    home = effective_policy(patient, HOME_START)
    readiness = effective_policy(patient, READINESS)
    limits = effective_policy(patient, DOSE_LIMIT)
    uses = read_last_uses(patient, now)
    missing = _missing(uses, now, readiness["last_use_report_hours"])
    if sows is None or sows.total is None:
        missing.append("sows")
    age = None if sows is None else max(0.0, (now - sows.filled_at).total_seconds() / 3600)
    # The day at the clinic, read once (the window's definitions): a dose held today stops the home start
    # (review 18a), and so does methadone or buprenorphine given there today (review 19a: today's first dose
    # was given at the clinic). Read with any home-start order, the inputs complete or not: the page says so
    # before it asks for a withdrawal rating (session 20: it asked, and showed the first-dose steps).
    # The page and the API read this one decision (session 21: the API answered none before the inputs).
    today = local_today(patient, now)
    day = clinic_day(patient, today) if order is not None else None
    decision: HomeDecision | None = None
    if day is not None and (missing or sows is None or age is None):
        decision = stopped_by_clinic(day.hold_open, bool(day.agonists_taken), home)
    elif day is not None and sows is not None and age is not None:
        raw = {
            "opioids": uses.hours_since(now),
            "sows_total": sows.total,
            "sows_age_hours": age,
            "hold_open": day.hold_open,
            "dosed_today": bool(day.agonists_taken),
        }
        decision = HOME_START.run(raw, home)
    if order is not None:
        decision = _blockade_of_home(patient, today, decision)
    return HomeStart(
        order,
        sows,
        decision,
        home["redose_interval_hours"],
        limits["day1_max_mg"],
        limits["day2_max_mg"],
        tuple(missing),
        uses,
        age,
        patient,
    )


def _blockade_of_home(patient: Patient, today: date, decision: HomeDecision | None) -> HomeDecision | None:
    """Lane fix36i (review 36f hole 3, left by fix36f): a home start on `today` inside the blockade of her
    last XR-naltrexone injection is refused as the window refuses buprenorphine (`blockade.blockade_of`,
    `blockade.joined`: the same reasons and sources), before her inputs are complete too; a prescriber's
    switch override of buprenorphine for today (the window's cover, `day_overrides`) lets it through with the
    blockade's reasons added. A clinic's stop of the day stands, the blockade's reasons added."""
    overrides = day_overrides(patient, Medication.BUPRENORPHINE, today)
    switch = any(o.kind == OverrideKind.SWITCH for o in overrides)
    blockade = blockade_of(patient, Medication.BUPRENORPHINE, today, switch=switch)
    if decision is None:
        return None if blockade is None or blockade.decision == DOCUMENTED else blockade
    return joined(decision, blockade, HOME_GIVES)


# --- XR-naltrexone ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NaltrexoneRead:
    """Readiness for a first XR-naltrexone injection. `decision`: "eligible" or "caution" (eligible, with the
    switching warning) allow it; "needs_challenge" and "not_eligible" do not. None while `missing` has
    something ("last_use", "last_use_time")."""

    uses: LastUses
    decision: Decision[naltrexone.ReadinessPolicy, naltrexone.ReadinessDetails] | None
    missing: tuple[str, ...]

    @property
    def may_inject(self) -> bool:
        return self.decision is not None and self.decision.decision in naltrexone.MAY_INJECT


def naltrexone_readiness(
    patient: Patient,
    now: datetime,
    *,
    naloxone_challenge_negative: bool = False,
    last_injection_on: date | None = None,
) -> NaltrexoneRead:
    """Every opioid's last use (which one was last, and methadone or buprenorphine within the switching
    window); a report of last use older than the program's report window makes the history uncertain (the
    label's naloxone challenge)."""
    uses = read_last_uses(patient, now)
    report_hours = effective_policy(patient, READINESS)["last_use_report_hours"]
    missing = [m for m in _missing(uses, now, report_hours) if m != "last_use_report"]
    if missing:
        return NaltrexoneRead(uses, None, tuple(missing))
    asked = uses.asked_hours_ago(now)
    raw: dict[str, object] = {
        "opioids": [
            {"opioid": u["opioid"], "days_since_last_use": u["hours_since_last_use"] / 24}
            for u in uses.hours_since(now)
        ],
        "history_uncertain": asked is None or asked > report_hours,
        "naloxone_challenge_negative": naloxone_challenge_negative,
    }
    if last_injection_on is not None:
        raw["last_injection_on"] = last_injection_on.isoformat()
    decision = naltrexone.READINESS.run(raw, effective_policy(patient, naltrexone.READINESS))
    return NaltrexoneRead(uses, decision, ())
