"""The checks of a new medication order before it is written: its start on the calendar, an open episode of
care, the dose against the window's ceilings (`order_plausibility`) and the QTc gate (`qtc_gate`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple, cast

from keel.accounts.models import User
from keel.core.decision import Reason
from keel.core.reasons import reason_problem, reason_text
from keel.core.rules.buprenorphine import ScheduleStep, parse_schedule
from keel.core.rules.inputs import EARLIEST_DAY, FURTHEST_DAYS, FieldError, InvalidInput
from keel.core.rules.methadone import DosePolicy as MethadoneDosePolicy
from keel.core.rules.qtc import NEEDS_REASON, order_on_qtc, prescribing_warnings
from keel.core.rules.window import REFUSED, ceilings
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import RXNORM, Medication, MedicationOrder, OrderStatus
from keel.treatment.queries.qtc import recent_qtc_ms
from keel.treatment.services.common import (
    GUARD_RAILS,
    _decimal,
    guard_rail_policy,
)
from keel.treatment.services.qtc import (
    last_methadone,
    newest_qtc_id,
    person_restart_day,
    start_on_high_qtc,
)
from keel.treatment.services.start import low_dose_problem

# Session 25 (lane fix25a): the days an order may start on. Floor: 1900, as a person's dates
# (`patients.checks`); ceiling: two years ahead, as an appointment (`appointments.services.FURTHEST_DAYS`): a
# start beyond is a typing slip. Outside them an order stored at 0001-01-01 broke every read of the orders
# (the day before a later order's start overflowed): the medication API, the FHIR MedicationRequest search,
# the person's record file.
EARLIEST_START = EARLIEST_DAY  # lane tok26: the one bound of every date input (keel.core.rules.inputs)
FURTHEST_START_DAYS = FURTHEST_DAYS


def _refuse_start_off_the_calendar(starts_on: date | None, today: date) -> None:
    """An order's start day from 1900 to two years ahead (422 naming `starts_on`, nothing written)."""
    if starts_on is None:
        return
    if starts_on < EARLIEST_START:
        raise TreatmentInvalid([FieldError("starts_on", N_("cannot be before 1900"))])
    if (starts_on - today).days > FURTHEST_START_DAYS:
        raise TreatmentInvalid(
            [
                FieldError.said(
                    "starts_on",
                    N_("within the next %(furthest_days)s days"),
                    furthest_days=FURTHEST_START_DAYS,
                )
            ]
        )


# Review 20a: an order for a person with no open episode of care (discharged, transferred, died) is refused as
# the dose and the injection refuse them (the same words); the refusal's audit reason, fixed words.
EPISODE_ENDED = N_("this person's episode of care has ended: no medication order can be written")
EPISODE_ENDED_REASON = "no open episode of care"


def _order_reason(why: str, qtc_why: str) -> str:
    if qtc_why:
        return "raised on a QTc of 500 ms or more: prescriber's reason"
    return "above the program's check: prescriber's reason" if why else ""


class _Checked(NamedTuple):
    """What `_checked_order` read of the order: its dose, its low-dose schedule's steps, the prescriber's
    reasons (`why`: above the program's check; `qtc_why`: a raise on a QTc of 500 ms or more), the QTc's
    warnings, the dose the QTc gate compared it with and the newest QTc row it saw (`qtc_gate`)."""

    dose: Decimal
    steps: list[ScheduleStep]
    why: str
    qtc_why: str
    warnings: tuple[Reason, ...]
    raised_from: Decimal | None
    seen: int | None


def _checked_order(
    patient: Patient,
    medication: str,
    dose_mg: object,
    home_start: bool,
    schedule: object,
    override_reason: object,
    now: datetime,
) -> _Checked:
    """The order's dose, its low-dose schedule's steps, the prescriber's reason for a dose above the
    program's check and for a methadone increase on a recent QTc of 500 ms or more ("" when none is needed),
    the QTc's warnings, and the dose the QTc gate compared it with and the newest QTc row it saw (`qtc_gate`);
    raises TreatmentInvalid naming every bad field."""
    errors: list[FieldError] = []
    if medication not in Medication.values:
        errors.append(
            FieldError.said("medication", N_("one of %(items)s"), items=", ".join(Medication.values))
        )
    dose = _decimal(dose_mg, "dose_mg", errors)
    steps: list[ScheduleStep] = []
    if (home_start or schedule) and medication != Medication.BUPRENORPHINE:
        errors.append(FieldError("medication", N_("home and low-dose starts are for buprenorphine")))
    try:
        steps = parse_schedule(schedule)
    except InvalidInput as exc:
        errors += exc.errors
    if steps and low_dose_problem(patient, steps):
        errors.append(FieldError("schedule", low_dose_problem(patient, steps)))
    why = order_plausibility(patient, medication, dose, override_reason, errors)
    today = local_today(patient, now)
    qtc_why, warnings, raised_from, seen = qtc_gate(patient, medication, dose, override_reason, errors, today)
    if errors:
        raise TreatmentInvalid(errors)
    return _Checked(dose, steps, why, qtc_why, warnings, raised_from, seen)


def _superseding_order(
    by: User,
    patient: Patient,
    medication: str,
    dose: Decimal,
    starts_on: date | None,
    note: str,
    home_start: bool,
    steps: list[ScheduleStep],
    now: datetime,
    raised_from: Decimal | None = None,
    *,
    qtc_reason: str = "",
    qtc_seen_id: int | None = None,
) -> MedicationOrder:
    """The new order, under a lock on the active order of the same medication, which it supersedes (kept).
    The superseded order stays in force until the new one's start day (`deferred`, `models.IN_FORCE_SQL`).
    `raised_from`: what the QTc gate compared a methadone order with (`MedicationOrder.raised_from_mg`).
    `qtc_reason`: the prescriber's reason on a QTc of 500 ms or more (`qtc_gate`), kept in its own column
    (review 20a: the note's words are for people to read, never what the gate reads). `qtc_seen_id`: the
    newest QTc row the gate saw (`MedicationOrder.qtc_seen_id`, review 21m)."""
    current = (
        MedicationOrder.objects.select_for_update()
        .filter(patient=patient, medication=medication, status=OrderStatus.ACTIVE)
        .first()
    )
    if current is not None:
        current.status = OrderStatus.SUPERSEDED
        current.save(update_fields=["status"])
    return MedicationOrder.objects.create(
        patient=patient,
        medication=medication,
        rxnorm=RXNORM[medication],
        dose_mg=dose,
        starts_on=starts_on or local_today(patient, now),
        deferred=starts_on is not None and starts_on > local_today(patient, now),
        note=(note or "")[:2000],
        home_start=bool(home_start),
        schedule=steps,
        prescriber=by,
        created_at=now,
        supersedes=current,
        raised_from_mg=raised_from,
        qtc_reason=qtc_reason,
        qtc_seen_id=qtc_seen_id,
    )


def order_plausibility(
    patient: Patient, medication: str, dose: Decimal, reason: object, errors: list[FieldError]
) -> str:
    """An order's dose against the window's ceilings against entry errors (issue #13: the same LIMITS):
    above the hard bound refused (naming dose_mg); above the program's value it needs a reason of substance
    (naming override_reason). Returns the reason when one was needed and given."""
    rule = GUARD_RAILS.get(medication)
    if rule is None or errors:
        return ""
    settings = guard_rail_policy(patient, rule)
    verdict, reasons = ceilings(rule, float(dose), float(dose), settings, documented=False)
    if verdict == REFUSED:
        errors.append(FieldError("dose_mg", reasons[0].text))
    elif verdict is not None:
        text = reason_text(reason)  # kept as measured (review 24r)
        problem = reason_problem(text)
        if problem:
            errors.append(
                FieldError.said(
                    "override_reason",
                    N_("%(text)s An order this high needs the prescriber's reason: %(problem)s"),
                    text=reasons[0].text,
                    problem=problem,
                )
            )
        return text
    return ""


def qtc_gate(
    patient: Patient, medication: str, dose: Decimal, reason: object, errors: list[FieldError], today: date
) -> tuple[str, tuple[Reason, ...], Decimal | None, int | None]:
    """A raise of the methadone order on the person's latest QTc within the program's recent window
    (`methadone-dose-check`'s `qtc_recent_days`; `keel.core.rules.qtc.order_increase`, review 18a): on 500 ms
    or more it needs the prescriber's reason of substance (naming override_reason with the QTc's reasons and
    sources), audited as an override. Returns the reason when one was needed and given, and what the order
    is warned of on a QTc over 450 ms (`keel.core.rules.qtc.prescribing_warnings`), and the dose it compared
    the order with (0: a start; None: not methadone), kept on the order (review 20a: the window's check of a
    QTc recorded after the order was written measures the raise from it, whatever happens to the orders
    and episodes in between), and the newest QTc row of the person when it read the QTc (0: none; None: not
    methadone), kept on the order (review 21m: a QTc saved after this read was never weighed)."""
    if medication != Medication.METHADONE or errors:
        return "", (), None, None
    settings = guard_rail_policy(patient, GUARD_RAILS[medication])
    since = today - timedelta(days=int(cast(MethadoneDosePolicy, settings)["qtc_recent_days"]))
    seen = newest_qtc_id(patient)  # before the QTc's read: a row saved between the two counts as unseen
    qtc = recent_qtc_ms(patient, today)  # the one read of the recent QTc (never one dated after today)
    restart = person_restart_day(patient, today)  # review 22m: a new induction after missed days is a start
    last = last_methadone(patient, since, today, restart=restart)  # across episodes (review 19a)
    current = None if last is None else last.mg
    before = float(current) if current else None  # 0: a start never given, still a start
    verdict, reasons, sources = order_on_qtc(qtc, before, float(dose))
    warnings = prescribing_warnings(qtc, before, float(dose))
    raised_from = current or Decimal(0)
    if verdict != NEEDS_REASON:
        return "", warnings, raised_from, seen
    text = reason_text(reason)  # kept as measured (review 24r)
    problem = reason_problem(text)
    if problem and last is not None and last.carried(dose):  # review 22m: the reason carried forward
        return last.reason, warnings, raised_from, last.seen_id
    if problem and not current:
        errors.append(start_on_high_qtc(reasons, sources, problem))
    elif problem:
        params = dict(reasons[0].params)
        errors.append(
            FieldError.said(
                "override_reason",
                N_(
                    "The latest QTc is %(ms)s ms (500 or more): Krantz 2009 advises considering a lower "
                    "methadone dose or stopping, not raising it (%(current)s to %(new)s mg/day). Sources: "
                    "%(sources)s. A raise needs the prescriber's reason: %(problem)s"
                ),
                **params,
                sources=", ".join(sources),
                problem=problem,
            )
        )
    return text, warnings, raised_from, seen
