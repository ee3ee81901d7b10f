"""The treatment API's medication record: QTc readings (and a reading's body) and the record that gathers
orders, doses, overrides, take-home plans and QTc readings with the orders' versions.
"""

from __future__ import annotations

from pydantic import Field

from keel.schemas import In, IsoDate, Out
from keel.treatment.models import (
    QtcRecord,
)
from keel.treatment.schemas.decisions import StoredDecision
from keel.treatment.schemas.doses import DoseOut, OverrideOut
from keel.treatment.schemas.orders import OrderOut
from keel.treatment.schemas.take_homes import TakeHomeOut


class QtcOut(Out):
    id: int
    qtc_ms: int
    measured_on: str  # ISO date
    decision: StoredDecision

    @classmethod
    def of(cls, q: QtcRecord) -> QtcOut:
        return cls(id=q.pk, qtc_ms=q.qtc_ms, measured_on=q.measured_on.isoformat(), decision=q.decision)


class MedicationRecordOut(Out):
    orders_version: str = Field(
        description="the version of all these orders, every medication's (opaque text): send it back as "
        "`orders_version` with a new order (POST /patients/{id}/orders); an order of any medication "
        "written or stopped since refuses it (409). Read before the orders: never newer than them"
    )
    order_versions: dict[str, int] = Field(
        description="each medication's version (the newest order's id plus its stopped orders, 0 for "
        "none), the one definition the medication page shows: `order_version` of a new order"
    )
    orders: list[OrderOut]
    doses: list[DoseOut]
    overrides: list[OverrideOut]
    take_homes: list[TakeHomeOut]
    qtc: list[QtcOut]


class QtcIn(In):
    qtc_ms: int
    measured_on: IsoDate | None = None
