"""The dose's fields and its order (`order_for_dose`, `body_fields` before the record is read,
`dose_fields` as they meet it)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from keel.core.discharge import after_discharge
from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, discharge_moment_of, episode_ended_on, local_today, zone_of
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseOverride, MedicationOrder
from keel.treatment.queries.orders import order_and_overrides
from keel.treatment.services.common import (
    _decimal,
    lock_person,
)


class OrderForDose(NamedTuple):
    """The order a dose is given against, the prescriber's overrides for the day, and the episode ended
    today after the dose was given (a late entry before the discharge: read as the open episode it was;
    0: the person is in care)."""

    order: MedicationOrder
    overrides: list[DoseOverride]
    ended_episode: int


def order_for_dose(
    patient: Patient, medication: str, today: date, given: datetime | None = None
) -> OrderForDose:
    """Guard 1, the order: a dose is given against the person's active order of this medication; none is
    TreatmentInvalid (a prescriber writes one first). Read with the person's lock, in the same statement as
    a prescriber's overrides of this medication for today (`order_and_overrides`: `active_order` and
    `day_overrides` merged, issue #21), which `prescriber_cover` weighs. Lane discharge39: a dose given
    (`given`, a late entry) before the discharge that ended the episode today is given against the order
    that discharge stopped (`before_discharge`); one given after it is refused naming `given_at`."""
    order, overrides = order_and_overrides(patient, medication, today, lock=True)
    ended = 0
    if order is None:
        ended = before_discharge(patient, today, given)
        if ended:
            order, overrides = order_and_overrides(patient, medication, today, lock=True, stopped=True)
    if order is None:
        raise TreatmentInvalid(
            [FieldError("order", N_("no active order for this medication: a prescriber writes one first"))]
        )
    return OrderForDose(order, overrides, ended)


def before_discharge(patient: Patient, today: date, given: datetime | None) -> int:
    """The episode a discharge ended today (`episode_ended_on`) when a dose given at `given` was given
    before its moment (`discharge_moment_of`, `core.discharge.after_discharge`: the one definition); 0 when
    the dose has no time of its own or the person's care did not end today. Given at or after the moment:
    TreatmentInvalid naming `given_at`, the discharge's time on the program's clock. The person's lock is
    taken first (no order was read, so none was taken): a readmission waits (`episodes.readmit` locks her
    row), so the episode read here is still the latest when the dose is saved."""
    if given is None:
        return 0
    lock_person(patient)
    episode = episode_ended_on(patient, today)
    if episode is None:
        return 0
    moment = discharge_moment_of(episode)
    if after_discharge(given, moment):
        shown = moment.astimezone(zone_of(patient)).strftime("%H:%M")
        zone = patient.program.time_zone
        # a dose given after the discharge that ended the episode today, its moment on the program's clock
        said = FieldError.said(
            "given_at",
            N_(
                "this person was discharged at %(time)s (%(zone)s): a dose given after the discharge cannot "
                "be recorded"
            ),
            time=shown,
            zone=zone,
        )
        raise TreatmentInvalid([said])
    return episode.pk


class PostedFields(NamedTuple):
    """The dose's own fields, checked before the record is read (`body_fields`): the amount (None: a hold
    posted with none, given the order's dose once it is read) and when it was given (None: when recorded)."""

    amount: Decimal | None
    given: datetime | None


def body_fields(
    amount_mg: object,
    sedated: bool,
    sequence: int | None,
    slot_required: bool,
    given_at: object,
    now: datetime,
) -> PostedFields:
    """Guard 0, the body alone (lane after28): what holds for every person, checked before the record is
    read (no order, no episode, no lock): the amount (required unless a hold; a number of mg between 0.01
    and the absolute 1000, at most 2 decimals), the slot of the day (1 to 10; required where
    `slot_required`) and when it was given (a date and time with its zone, not after now). Every bad field
    is named at once, marked `body_alone`: the API says it to a staff token too, it says nothing of the
    record. Whether `given_at` is the person's today (her program's zone) is `dose_fields`', after the
    order."""
    errors: list[FieldError] = []
    amount: Decimal | None = None
    if amount_mg in (None, "") or (isinstance(amount_mg, str) and not amount_mg.strip()):
        if not sedated:  # never the ordered dose by default: the nurse types what is given
            errors.append(FieldError("amount_mg", N_("write the amount to give (mg)")))
        # a hold gives nothing: the amount is not needed (the order's dose, `dose_fields`)
    else:
        amount = _decimal(amount_mg, "amount_mg", errors)
    if sequence is not None and (not isinstance(sequence, int) or not 1 <= sequence <= 10):
        errors.append(FieldError("sequence", N_("the dose slot of the day, 1 to 10")))
    elif sequence is None and slot_required:
        errors.append(
            FieldError(
                "sequence",
                N_("which dose of the day this is (1 for the first): a retry is then 'already given'"),
            )
        )
    given = _given_at(given_at, now, errors)
    if errors:
        raise TreatmentInvalid(errors).body_alone()
    return PostedFields(amount, given)


def dose_fields(
    patient: Patient, order: MedicationOrder, posted: PostedFields, now: datetime
) -> tuple[Decimal, datetime | None]:
    """Guard 2, the fields as they meet the record (their shape was checked before it was read:
    `body_fields`): a hold posted with no amount is the order's dose; the time given must be the person's
    today (her program's zone). Returns the amount and the time given (None: when recorded)."""
    amount = order.dose_mg if posted.amount is None else posted.amount
    given = posted.given
    if given is not None and given.astimezone(zone_of(patient)).date() != local_today(patient, now):
        raise TreatmentInvalid([FieldError("given_at", N_("must be today, the day of this dose"))])
    return amount, given


def _given_at(raw: object, now: datetime, errors: list[FieldError]) -> datetime | None:
    """When a dose recorded now was given, if earlier: with its time zone, not later than now (whether it
    is the dose's day is `dose_fields`'). Blank: given when recorded."""
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        try:
            raw = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            errors.append(FieldError("given_at", N_("a date and time like 2026-11-20T09:30:00-05:00")))
            return None
    if not isinstance(raw, datetime) or raw.tzinfo is None:
        errors.append(FieldError("given_at", N_("a date and time with its time zone")))
        return None
    if raw > now:
        errors.append(FieldError("given_at", N_("cannot be after the dose is recorded")))
        return None
    return raw
