"""An order refused because the person's orders changed since its writer read them, in words (lane words25).

One text for the API's 409 and for the pages that write orders (the medication page, the start page), in the
reader's language: which medication's order changed, who wrote it and when, what it is now, and what to do.
No version number, order id or status word in it: the API's 409 carries those as fields
(`OrderChanged.answer`, `services.orders.changed_answer`). Before, the API said "version 3 ... order 17
is now the newest ... (Active)" (session 22) and the page said it in its own words (lane words24); now both
say the same."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from keel.accounts.names import staff_name
from keel.patients.models import Enrollment, Patient, local_today, zone_of
from keel.treatment.end_words import day_words
from keel.treatment.models import Medication, MedicationOrder, OrderStatus


def medication_words(medication: str) -> str:
    """A medication's name inside a sentence ("methadone", "metadona"); a name that is not one as sent."""
    if medication not in Medication.values:
        return medication
    return str(Medication(medication).label).lower()


def mg_words(mg: Decimal) -> str:
    """A dose in mg as a person reads it: no trailing zeros, the reader's decimal mark ("7.5", "7,5")."""
    return formats.number_format(Decimal(f"{mg.normalize():f}"))


def order_changed_text(
    patient: Patient, medication: str, newest: MedicationOrder | None, now: datetime | None = None
) -> str:
    """The refusal in the reader's language: the changed medication (`medication`), its newest order now
    (`newest`; None: no order of it now): who wrote it and when (the program's clock), its dose and first
    day; or, stopped, the day of the discharge that stopped it (orders stop only with their episode,
    `patients.services.episodes`); then what to do."""
    name = medication_words(medication)
    then = _("Look at the current orders, then write yours again if it is still needed.")
    if newest is None:
        head = _(
            "Not saved: the %(medication)s orders changed since you read them, and there is no "
            "%(medication)s order now."
        ) % {"medication": name}
        return f"{head} {then}"
    head = _("Not saved: the %(medication)s order changed since you read it.") % {"medication": name}
    today = local_today(patient, now)
    if newest.status == OrderStatus.STOPPED:
        what = _stopped(patient, newest, today)
    else:
        what = _written(patient, newest, today)
    return f"{head} {what} {then}"


def _written(patient: Patient, order: MedicationOrder, today: date) -> str:
    """Who wrote the order, when (the program's clock), its dose and its first day."""
    at = timezone.localtime(order.created_at, zone_of(patient))
    clock = f"{at:%H:%M}"
    when = (
        _("today, %(time)s") % {"time": clock}
        if at.date() == today
        else f"{day_words(at.date(), today)}, {clock}"
    )
    values = {
        "who": staff_name(order.prescriber),
        "when": when,
        "mg": mg_words(order.dose_mg),
        "day": day_words(order.starts_on, today),
    }
    if order.starts_on == today:
        return _("%(who)s wrote a new order (%(when)s): %(mg)s mg, starting today.") % values
    return _("%(who)s wrote a new order (%(when)s): %(mg)s mg, starting %(day)s.") % values


def _stopped(patient: Patient, order: MedicationOrder, today: date) -> str:
    """A stopped order: its dose, and the day of the discharge that stopped it when the record has one
    (the first episode end on or after the day it was written, as the FHIR export reads it)."""
    values = {"mg": mg_words(order.dose_mg)}
    ended = discharge_day(patient, order)
    if ended is None:
        return _("The order of %(mg)s mg was stopped.") % values
    return _("The order of %(mg)s mg was stopped when this person was discharged (%(day)s).") % {
        **values,
        "day": day_words(ended, today),
    }


def discharge_day(patient: Patient, order: MedicationOrder) -> date | None:
    """The day of the discharge that stopped `order`: the first episode end on or after the day it was
    written (None: the record holds none)."""
    written = timezone.localtime(order.created_at, zone_of(patient)).date()
    return (
        Enrollment.objects.filter(patient=patient, ended_on__gte=written)
        .order_by("ended_on")
        .values_list("ended_on", flat=True)
        .first()
    )
