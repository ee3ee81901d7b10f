"""A QTc measurement, checked against the methadone dose; the QTc a methadone order is gated on."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.utils import timezone

from keel.access import policy
from keel.accounts.models import User
from keel.audit.models import Action
from keel.core import rules
from keel.core.decision import Reason
from keel.core.rules.inputs import EARLIEST_DAY, FieldError, InvalidInput
from keel.core.rules.methadone import DOSE_CHECK
from keel.core.rules.qtc import HIGH_FROM_MS
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, local_today, zone_of
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import (
    DoseRecord,
    DoseStatus,
    Medication,
    MedicationOrder,
    OrderStatus,
    QtcRecord,
    in_force_q,
)
from keel.treatment.queries.contexts import dose_context
from keel.treatment.queries.doses import DoseContext
from keel.treatment.queries.orders import level_given_under
from keel.treatment.queries.policy import effective_policy
from keel.treatment.queries.qtc import recent_qtc
from keel.treatment.services.common import _audit, _scoped_for, has_qtc_reason


def record_qtc(
    *,
    by: User,
    patient_id: int,
    qtc_ms: int | str,
    measured_on: date | None = None,
    now: datetime | None = None,
) -> QtcRecord:
    """A QTc measured on a day not after the person's today in the program's zone (review 19a: a QTc typed
    with next year's date became "the latest" and hid today's 520 ms) and not before 1900 (lane tok26: the
    floor of every date input, `inputs.EARLIEST_DAY`; 0001-01-01 was kept); raises TreatmentInvalid naming
    each bad field, nothing written. `qtc_ms` as sent (a page's text that is no whole number: the rule's to
    refuse)."""
    patient = _scoped_for(
        by, patient_id, "qtc", policy.can_record_measurement(by), "record QTc", emergency_access=True
    )
    now = now or timezone.now()
    today = local_today(patient, now)
    current = MedicationOrder.objects.filter(
        in_force_q(today), patient=patient, medication=Medication.METHADONE
    ).first()
    raw: dict[str, object] = {"qtc_ms": qtc_ms}
    if current is not None:
        raw["daily_dose_mg"] = float(current.dose_mg)
    errors: list[FieldError] = []
    if measured_on is not None and measured_on > today:
        errors.append(FieldError("measured_on", N_("cannot be after today")))
    if measured_on is not None and measured_on < EARLIEST_DAY:  # lane tok26: every date input's floor
        errors.append(FieldError("measured_on", N_("cannot be before 1900")))
    try:
        decision = rules.get("qtc-monitoring").run(raw)
    except InvalidInput as exc:
        raise TreatmentInvalid(exc.errors + errors) from None
    if errors:
        raise TreatmentInvalid(errors)
    if decision.decision != "routine":  # review 22o hole 3: the bottles at home are named, left as they are
        from keel.treatment.services.doses.bottles import AT_HOME_AFTER_QTC, at_home_reason

        at_home = at_home_reason(patient, today, AT_HOME_AFTER_QTC)
        if at_home is not None:
            decision = replace(decision, reasons=(*decision.reasons, at_home))
    with transaction.atomic():
        row = QtcRecord.objects.create(
            patient=patient,
            qtc_ms=int(qtc_ms),
            measured_on=measured_on or today,
            decision=decision.as_dict(),
            recorded_by=by,
            recorded_at=now,
        )
        _audit(by, patient, Action.CREATE, "qtc", row.pk, reason=decision.decision)
    return row


@dataclass(frozen=True)
class Comparison:
    """What a new methadone order is compared with at the QTc gate (`compared_from`): `mg`, the level the
    last order actually reached (its dose, or for a raise or start not given in full the level given under
    it, never below what it raised from), kept as the new order's `raised_from_mg`; and, when the last
    order's QTc reason still covers the recent QTc (`qtc_reason_covers`), that reason, the dose it covered
    and the newest QTc row it saw, which a re-write up to that dose carries forward (review 22m) rather
    than the reason's coverage turning into a plain order."""

    mg: Decimal
    reason: str = ""
    covers_up_to: Decimal = Decimal(0)
    seen_id: int | None = None

    def carried(self, dose: Decimal) -> bool:
        """Whether a re-write at `dose` needs no new QTc reason: the last order's reason covers it."""
        return bool(self.reason) and self.seen_id is not None and dose <= self.covers_up_to


def last_methadone_mg(patient: Patient, since: date, today: date) -> Decimal | None:
    """`last_methadone`'s level (`Comparison.mg`), None: a start."""
    found = last_methadone(patient, since, today)
    return None if found is None else found.mg


def last_methadone(
    patient: Patient, since: date, today: date, *, restart: date | None = None
) -> Comparison | None:
    """What a new methadone order is compared with at the QTc gate (`compared_from`), from the order
    in force today (`in_force_q`; review 19c: an order written to start next week is not today's dose) when
    there is one; else (review 19a: a discharge and a readmission the same day made a raise read as a first
    order) the newest order written (any status, any episode) that is the active one, or was written on or
    after `since` (the program's recent window, from the start of that day in the program's zone: the
    window's one definition of the day, `zone_of`; review 21m), or had a dose given on or after it. None: no
    methadone within the window (a start). `restart`: the first day of a new induction after missed days
    (`restart_day`), which makes an order written before it a start (review 22m). Two reads, three when the
    order is a raise or a start (the day totals given under it) and four when it carries a QTc reason."""
    since_at = datetime.combine(since, time(), tzinfo=zone_of(patient))
    recent = Q(status=OrderStatus.ACTIVE) | Q(created_at__gte=since_at)
    dosed = DoseRecord.objects.filter(order=OuterRef("pk"), status=DoseStatus.GIVEN, local_date__gte=since)
    order = (
        MedicationOrder.objects.filter(
            in_force_q(today) | recent | Exists(dosed), patient=patient, medication=Medication.METHADONE
        )
        .annotate(in_force=Case(When(in_force_q(today), then=Value(0)), default=Value(1)))
        .select_related("supersedes")
        .order_by("in_force", "-id")  # the one in force today, else the last written
        .first()
    )
    return None if order is None else compared_from(order, today, restart=restart)


def compared_from(order: MedicationOrder, today: date, *, restart: date | None = None) -> Comparison:
    """What a new methadone order is compared with at the QTc gate when `order` is the last one: its dose,
    unless it is a raise or a start (`raised_from_mg` below its dose; 0: a start) not given in full. A raise
    or a start is given when a day's total under it (the window's one reading: `level_given_under`, the dose
    as corrected, a voided dose none, split doses added up; today's counted) reached its dose (review 21x:
    one typed row above the old level, later voided or corrected down, or one dose of 90 under a raise to
    120, was "the raise given"; two doses of 50 under a raise to 100 were not). A raise or start not given in
    full is compared from the level given under it, never below what it raised from (review 22m: a start of
    80 taken at 30 was "given" once any dose was taken, so its re-write on a later QTc of 560 "raised" 80 to
    80 with no reason and the window let her titrate to 80). When the prescriber's QTc reason on it covers
    the person's recent QTc (`qtc_reason_covers`), a re-write up to its dose carries that reason forward
    with the QTc rows it saw (`Comparison.carried`; review 22m: a covered raise read as its full dose, so the
    re-write, or the same form posted twice, dropped the reason and a worse QTc later stopped nothing);
    re-writing a raise or start is the same raise or start, and on a QTc of 500 ms or more needs the
    reason, however many times and however low it is re-written (review 21m, 21x). `restart`: an order
    written before the first day of a new induction after missed days (`restart_day`) is compared as a start
    from what was given since that day, and any order's level is counted from that day (review 22m: the level
    of a month before is tolerance she lost).
    An order written before `raised_from_mg` was kept: review 19c's reading (a deferred raise without a
    QTc reason compares from the order it superseded)."""
    from_mg, since = order.raised_from_mg, restart
    restarted = restart is not None and local_today(order.patient, order.created_at) < restart
    if restarted:
        from_mg = Decimal(0)
    if from_mg is None:
        before = order.supersedes
        raised = before is not None and before.dose_mg < order.dose_mg
        if order.deferred and before is not None and raised and not has_qtc_reason(order):
            return Comparison(before.dose_mg)
        return Comparison(order.dose_mg)
    if from_mg >= order.dose_mg:
        return Comparison(order.dose_mg)
    given = level_given_under(order, today + timedelta(days=1), since=since)
    if given is not None and given >= order.dose_mg:
        return Comparison(order.dose_mg)
    level = max(from_mg, given or Decimal(0))
    if not restarted and has_qtc_reason(order):  # a reason written before the gap weighed no restart
        qtc = recent_qtc(order.patient, today)
        if qtc is None or qtc_reason_covers(order, qtc):
            return Comparison(level, order.qtc_reason, order.dose_mg, order.qtc_seen_id)
    return Comparison(level)


def restart_day(patient: Patient, ctx: DoseContext, reinduction_days: int | None = None) -> date | None:
    """The first day of the person's latest new induction after missed days, today included, as the window
    counts them (`ctx`: the methadone dose context; `keel.core.rules.methadone.reinduction_day` with the
    program's `missed_reinduction_days`, the missed-days rule's REINDUCTION; read here unless given), within
    the context's lookback (`DoseContext.reinduction_on`, also titration's start); None: none. Review 22m:
    such a restart is a start for the QTc gate."""
    days = reinduction_days
    if days is None:
        days = int(effective_policy(patient, DOSE_CHECK)["missed_reinduction_days"])
    return ctx.reinduction_on(days)


def level_since(ctx: DoseContext, restart: date | None) -> Decimal | None:
    """The highest observed day's total before today (`ctx.observed`) from `restart` on; all of them when
    None (the window's `last_observed_mg` otherwise). None: none."""
    if restart is None:
        return ctx.last_observed_mg
    return max((mg for day, mg in ctx.observed.items() if day >= restart), default=None)


def person_restart_day(patient: Patient, today: date) -> date | None:
    """`restart_day` from the person's methadone dose context read now (the prescriber's gate, which has
    none: `dose_context`)."""
    return restart_day(patient, dose_context(patient, Medication.METHADONE, today))


def qtc_reason_covers(order: MedicationOrder, qtc: QtcRecord) -> bool:
    """Whether the prescriber's QTc reason on `order` (`has_qtc_reason`) covers this QTc. A reason covers
    only the QTc readings the prescriber saw when writing it (rows up to `qtc_seen_id`; for an order written
    before that column, recorded before the order was written): a reading saved after it (`qtc_unseen`) of
    500 ms or more and higher than the highest reading the reason covered (of those it saw, the ones within
    the program's recent window, `qtc_recent_days`, of the day it was written) was never weighed
    (review 21x: a reason written for 505 ms gave a raise on a repeat ECG of 610), so the raise or start
    above the level given stops again until the prescriber re-writes the order on it. A later reading under
    500 ms or no higher is covered. False: no QTc reason on the order."""
    if not has_qtc_reason(order):
        return False
    if not qtc_unseen(order, qtc) or qtc.qtc_ms < HIGH_FROM_MS:
        return True
    written = local_today(order.patient, order.created_at)  # the readings recent when it was written
    since = written - timedelta(days=int(effective_policy(order.patient, DOSE_CHECK)["qtc_recent_days"]))
    seen = QtcRecord.objects.filter(patient_id=order.patient_id, measured_on__gte=since)
    if order.qtc_seen_id is not None:
        seen = seen.filter(id__lte=order.qtc_seen_id)
    else:
        seen = seen.filter(recorded_at__lte=order.created_at)
    highest = seen.order_by("-qtc_ms").values_list("qtc_ms", flat=True).first()
    return highest is not None and qtc.qtc_ms <= highest


def newest_qtc_id(patient: Patient) -> int:
    """The id of the person's newest QTc row (0: none), read by the prescriber's QTc gate before it reads the
    QTc itself and kept on the order (`MedicationOrder.qtc_seen_id`, review 21m): a row saved after this read
    was never weighed by the gate, whatever its `recorded_at` says. One statement."""
    newest = QtcRecord.objects.filter(patient=patient).order_by("-id").values_list("id", flat=True).first()
    return newest or 0


def qtc_unseen(order: MedicationOrder, qtc: QtcRecord) -> bool:
    """Whether `qtc` was saved after `order`'s QTc gate read the QTc, so no prescriber weighed it with this
    order: its id above the newest the gate saw (`qtc_seen_id`, review 21m: two clocks taken before either row
    was saved, or two servers' clocks, cannot order a QTc and an order); for an order written before that
    column, recorded after the order was written (review 19c)."""
    if order.qtc_seen_id is not None:
        return qtc.pk > order.qtc_seen_id
    return qtc.recorded_at > order.created_at


def start_on_high_qtc(reasons: tuple[Reason, ...], sources: tuple[str, ...], problem: str) -> FieldError:
    """The QTc gate's refusal of a methadone start on a QTc of 500 ms or more without a reason of substance
    (`keel.core.rules.qtc.order_on_qtc`), naming override_reason with the QTc and its sources."""
    return FieldError.said(
        "override_reason",
        N_(
            "The latest QTc is %(ms)s ms (500 or more): Krantz 2009 advises considering a lower methadone "
            "dose or stopping, not starting it (%(new)s mg/day). Sources: %(sources)s. A start needs the "
            "prescriber's reason: %(problem)s"
        ),
        **dict(reasons[0].params),
        sources=", ".join(sources),
        problem=problem,
    )
