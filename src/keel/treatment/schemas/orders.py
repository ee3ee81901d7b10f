"""The treatment API's medication orders (FHIR MedicationRequest-shaped, amounts as decimal text) and pharmacy
fills, and their bodies (an order, a low-dose schedule's step, a fill, a fill's void).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, with_config
from typing_extensions import TypedDict

from keel.schemas import NESTED_FORBID, In, IsoDate, Out
from keel.treatment import queries
from keel.treatment.models import (
    MedicationFill,
    MedicationOrder,
)
from keel.treatment.schemas.decisions import ReasonOut


class OrderOut(Out):
    id: int
    medication: str
    rxnorm: str
    dose_mg: str  # decimal text
    status: str
    starts_on: str  # ISO date
    supersedes: int | None
    switched_to: int | None  # lane switch39: the other medication's order that stopped this one
    ends_on: str | None  # ISO date: stopped by that switch, not in force from this day
    home_start: bool
    # A low-dose start's steps, {"day": int, "mg": float} as `parse_schedule` stores them. A mapping, not a
    # schema: PostgreSQL's jsonb gives the keys back in its own order (mg before day) and the body keeps it.
    schedule: list[dict[str, int | float]]
    fhir: dict[str, Any]  # free-form: the order as a FHIR R4 MedicationRequest

    @classmethod
    def of(cls, o: MedicationOrder) -> OrderOut:
        return cls(
            id=o.pk,
            medication=o.medication,
            rxnorm=o.rxnorm,
            dose_mg=str(o.dose_mg),
            status=o.status,
            starts_on=o.starts_on.isoformat(),
            supersedes=o.supersedes_id,
            switched_to=o.switched_to_id,
            ends_on=o.ends_on.isoformat() if o.ends_on else None,
            home_start=o.home_start,
            schedule=o.schedule,
            fhir=queries.order_fhir(o),
        )


class PrescribedOut(OrderOut):
    """The order just saved, with what it was warned of (a recent QTc over 450 ms, Krantz 2009): each warning
    its reason and source ids."""

    warnings: list[ReasonOut]
    orders_version: str = Field(
        description="the version of all this person's orders, every medication's, as this order left them "
        "(opaque text, as `orders_version` of GET /patients/{id}/medication): send it back as "
        "`orders_version` with your next order, no read needed. Read under the same lock as the write: it "
        "stands for what you read and this order, never an order someone else wrote meanwhile (which "
        "refused this one, 409)"
    )

    @classmethod
    def prescribed(cls, o: MedicationOrder) -> PrescribedOut:
        if not o.orders_version_after:  # only `prescribe` gives one: an order read back never answers a write
            raise ValueError("an order `prescribe` did not write has no version after it")
        return cls(
            **OrderOut.of(o).model_dump(),
            warnings=[ReasonOut(text=r.text, sources=list(r.sources)) for r in o.warnings],
            orders_version=o.orders_version_after,
        )


class FillOut(Out):
    id: int
    order: int
    filled_on: str  # ISO date
    days_supply: int
    source: str
    voids: int | None  # a void: the fill it voids
    reason: str

    @classmethod
    def of(cls, f: MedicationFill) -> FillOut:
        return cls(
            id=f.pk,
            order=f.order_id,
            filled_on=f.filled_on.isoformat(),
            days_supply=f.days_supply,
            source=f.source,
            voids=f.voids_id,
            reason=f.reason,
        )


class FillIn(In):
    order: int = Field(description="the medication order that was filled")
    filled_on: str = Field(description="the day it was filled (YYYY-MM-DD, not after today)")
    days_supply: int = Field(description="days the fill covers (1-365)")
    source: str = Field(description="pharmacy | pdmp | patient: how the program knows")


class VoidIn(In):
    reason: str = Field(description="why the fill does not count (kept with the record)")


@with_config(NESTED_FORBID)
class ScheduleStepIn(TypedDict, total=False):
    """One day of a low-dose start; its values are checked by the core (`parse_schedule`), its keys here."""

    day: object
    mg: object


class OrderIn(In):
    medication: str
    dose_mg: object  # as a dose's amount_mg: read by the service
    starts_on: IsoDate | None = None
    note: str = ""
    home_start: bool = Field(default=False, description="buprenorphine started at home with the SOWS check")
    schedule: list[ScheduleStepIn] = Field(
        default_factory=list, description='a low-dose start: [{"day": 1, "mg": 0.5}, ...]'
    )
    override_reason: str = Field(
        default="",
        description="the prescriber's clinical reason for a dose above the program's entry-error check",
    )
    orders_version: str = Field(
        description="required: the version of this person's orders you read, covering every medication: "
        "`orders_version` in GET /patients/{id}/medication, sent back exactly as given (opaque text). An "
        "order of any medication written or stopped since is a 409 naming orders_version and the order "
        "that changed; missing, not one Keel gave, or another person's: a 422 naming orders_version. "
        "Nothing is written either way",
    )
    other_order: str | None = Field(
        default=None,
        description="lane switch39: required when the person has an active order of another medication: "
        '"stop" (that order ends the day this one starts, kept as superseded by the switch) or "keep" (both '
        "stay active: only a low-dose buprenorphine start, a `schedule`, while methadone continues, Hammig "
        "2016; anything else is a 422 naming other_order with the reason and its sources). Missing then, or "
        "not one of them: a 422 naming other_order. Ignored when no other medication's order is active",
    )
    order_version: int | None = Field(
        default=None,
        ge=0,
        description="optional (required before orders_version, which covers it): the version of this "
        "medication's orders you read, its entry in `order_versions` of GET /patients/{id}/medication. "
        "Sent, it must be a whole number (else 422) and still current (else 409 naming order_version); "
        "it never replaces orders_version",
    )
