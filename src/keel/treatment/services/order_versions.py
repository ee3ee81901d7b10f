"""The version of a person's orders a writer read: read from what a page or the API sent, and the refusal
(`OrderChanged`, 409) when an order was written or stopped since (session 22, review 22n, session 23)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from keel.accounts.names import staff_name
from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient
from keel.recovery.common import StaleEdit
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import MedicationOrder, OrderStatus
from keel.treatment.order_words import discharge_day, order_changed_text
from keel.treatment.queries.orders import newest_order, versions_in

MISSING_VERSION = N_(
    "the version of the orders you read is missing or not a whole number: read the current orders and "
    "write the order again"
)


def _read_version(raw: object) -> int:
    """The version the writer read (`order_version`): a whole number, 0 or more (a page sends text)."""
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    if isinstance(raw, str) and re.fullmatch(r"[0-9]{1,18}", raw.strip(), re.ASCII):
        return int(raw.strip())
    raise TreatmentInvalid([FieldError("order_version", MISSING_VERSION)])


MISSING_ORDERS_VERSION = N_(
    "the version of this person's orders you read is missing or not one Keel gave: read their medication "
    "record again and send its orders_version as it is"
)
ANOTHER_PERSONS_VERSION = N_(
    "this is the version of another person's orders: read this person's medication record and send its "
    "orders_version"
)


def _read_orders_version(patient: Patient, raw: object) -> dict[str, int]:
    """Each medication's version in the `orders_version` an API client sent (`queries.versions_in`: exactly
    as `queries.orders_version` writes it), of this person's orders; else TreatmentInvalid naming it."""
    found = versions_in(raw)
    if found is None:
        raise TreatmentInvalid([FieldError("orders_version", MISSING_ORDERS_VERSION)])
    person, versions = found
    if person != patient.pk:
        raise TreatmentInvalid([FieldError("orders_version", ANOTHER_PERSONS_VERSION)])
    return versions


class OrderChanged(StaleEdit):
    """StaleEdit of an order: its message in the reader's words (`order_words.order_changed_text`: the same
    on the API and the pages, lane words25: no version, order id or status word), what the API's 409 adds
    as fields (`answer`, `order_changed`), and the medication whose orders changed and its newest order now
    (None: no order now)."""

    def __init__(
        self,
        message: str,
        *,
        field: str,
        medication: str,
        newest: MedicationOrder | None,
        answer: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, field=field, answer=answer)
        self.medication = medication
        self.newest = newest


def order_changed(
    patient: Patient, medication: str, read: int, *, field: str = "order_version"
) -> OrderChanged:
    """StaleEdit naming `field` (the version the writer sent: `order_version`, or the API's
    `orders_version`): this medication's orders changed since the writer read version `read`. Its words
    (`order_words.order_changed_text`, in the request's language) say who wrote the newest order, when, and
    what it is now; the API's 409 adds the machine-readable fields (`changed_answer`)."""
    newest = newest_order(patient, medication)
    return OrderChanged(
        order_changed_text(patient, medication, newest),
        field=field,
        medication=medication,
        newest=newest,
        answer=changed_answer(patient, medication, read, newest),
    )


def changed_answer(
    patient: Patient, medication: str, read: int, newest: MedicationOrder | None
) -> dict[str, object]:
    """What the API's 409 for a stale order carries beside its words (lane words25), so an integration acts
    on fields, not on text: `changed`, the medication whose orders changed, the version of them the writer
    sent (`read`), and its newest order now (null: none): id, dose, first day, status code, when and by whom
    it was written, and for a stopped one the day of the discharge that stopped it. No version now (lane
    api24's decision, kept): a client reads the orders again (GET /patients/{id}/medication) before it
    writes, so a refusal is never a token to re-send the same write blindly."""
    order: dict[str, object] | None = None
    if newest is not None:
        stopped = newest.status == OrderStatus.STOPPED
        order = {
            "id": newest.pk,
            "dose_mg": str(newest.dose_mg),
            "starts_on": newest.starts_on.isoformat(),
            "status": newest.status,
            "written_at": newest.created_at.isoformat(),
            "written_by": newest.prescriber.get_full_name() or newest.prescriber.get_username(),
            # as a person reads it: the full name, else the role; never a username (lane words34)
            "written_by_name": staff_name(newest.prescriber),
            "stopped_on": _iso(discharge_day(patient, newest)) if stopped else None,
        }
    return {"changed": {"medication": medication, "version_read": read, "newest_order": order}}


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
