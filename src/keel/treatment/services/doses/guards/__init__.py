"""The checks a dose at the window meets before it is saved, one step each and in this order
(`window.record_dose` runs them inside its transaction, under the person's lock, after the body's own
fields, checked before the record is read: `body_fields`): the order in force (`order_for_dose`), the
fields as they meet the record (`dose_fields`), the day read once (`day_guards`: the episode, a take-home
bottle, the dosing hours, a second agonist, the slot), a prescriber's cover for today (`prescriber_cover`),
the order on a high QTc (`order_on_high_qtc`) and the rule's verdict (`refuse_if_blocked`: a blocking one is
DoseBlocked, its denial audited, unless the slot was recorded meanwhile). Lane take31: a package by step
(`day`, `fields`, `qtc`, `verdict`), the same names exported here."""

from __future__ import annotations

from keel.treatment.services.doses.guards.day import (
    DoseDay,
    VerdictDay,
    day_guards,
    slot_taken,
    take_home_day_guard,
)
from keel.treatment.services.doses.guards.fields import (
    PostedFields,
    _given_at,
    body_fields,
    dose_fields,
    order_for_dose,
)
from keel.treatment.services.doses.guards.qtc import (
    PASSED_OR_RELEASABLE,
    high_qtc_since_order,
    order_on_high_qtc,
)
from keel.treatment.services.doses.guards.verdict import (
    Cover,
    prescriber_cover,
    refuse_if_blocked,
    window_verdict,
)

__all__ = [
    "PASSED_OR_RELEASABLE",
    "Cover",
    "DoseDay",
    "PostedFields",
    "VerdictDay",
    "_given_at",
    "body_fields",
    "day_guards",
    "dose_fields",
    "high_qtc_since_order",
    "order_for_dose",
    "order_on_high_qtc",
    "prescriber_cover",
    "refuse_if_blocked",
    "slot_taken",
    "take_home_day_guard",
    "window_verdict",
]
