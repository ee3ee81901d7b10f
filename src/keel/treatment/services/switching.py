"""Lane switch39 (review 38f): an order for one medication while another medication's order is active asks
the prescriber to choose (`other_order`, `keel.core.rules.switching`): "stop" the other order (it ends the
day the new one starts: superseded by the switch, kept, audited) or "keep" both, only for the planned
overlap (a low-dose buprenorphine start while methadone continues); no choice is a 422 naming
`other_order`. Every adapter (the API, the pages) passes what it was sent, None when nothing was;
`NOT_ASKED` is a caller that asked no one (a test's setup): both stay active, as before."""

from __future__ import annotations

from keel.accounts.models import User
from keel.audit.models import Action
from keel.core.rules import switching
from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import Medication, MedicationOrder, OrderStatus
from keel.treatment.services.common import _audit

SWITCH_REASON = "stopped by a switch to another medication"


class _NotAsked:
    """The type of `NOT_ASKED`."""

    def __repr__(self) -> str:
        return "NOT_ASKED"


NOT_ASKED = _NotAsked()


def _others(patient: Patient, medication: str) -> list[MedicationOrder]:
    """The person's active orders of the other medications."""
    active = MedicationOrder.objects.filter(patient=patient, status=OrderStatus.ACTIVE)
    return list(active.exclude(medication=medication).order_by("id"))


def switch_choice(patient: Patient, medication: str, low_dose: bool, other_order: object) -> str:
    """The prescriber's choice for the other medications' active orders: "" when there is none (or a caller
    that asked no one, `NOT_ASKED`), else `STOP` or `KEEP`. Missing or not one of them: TreatmentInvalid
    naming `other_order`; "keep" beside anything but the planned overlap: TreatmentInvalid naming
    `other_order` with the reason and its sources (`switching.keep_both_refused`)."""
    if other_order is NOT_ASKED or medication not in Medication.values:
        return ""
    others = _others(patient, medication)
    if not others:
        return ""
    field = switching.FIELD
    if other_order in (None, ""):
        names = ", ".join(o.medication for o in others)
        said = FieldError.said(
            field,
            N_(
                "This person has an active %(other)s order. Choose: stop the %(other)s order when this one "
                "starts, or keep both (only for a low-dose buprenorphine start while methadone continues)."
            ),
            other=names,
        )
        raise TreatmentInvalid([said])
    if other_order not in switching.CHOICES:
        raise TreatmentInvalid([FieldError(field, switching.NOT_A_CHOICE)])
    if other_order == switching.STOP:
        return switching.STOP
    continues = MedicationOrder.objects.filter(
        patient=patient, medication=medication, status=OrderStatus.ACTIVE
    ).exists()
    new = switching.Held(medication, low_dose)
    for other in others:
        held = switching.Held(other.medication, bool(other.schedule))
        refused = switching.keep_both_refused(new, held, methadone_continues=continues)
        if refused is not None:
            said = FieldError(
                field, refused.text, refused.template, tuple((k, f"{v}") for k, v in refused.params)
            )
            raise TreatmentInvalid([said])
    return switching.KEEP


def stop_the_others(by: User, order: MedicationOrder) -> None:
    """The prescriber's "stop": each other medication's active order of the person superseded by `order`
    (kept; in force until `order`'s start day, `ends_on`), each audited. Under `prescribe`'s lock (the
    versions compared there: the orders are those the choice read)."""
    for other in MedicationOrder.objects.select_for_update().filter(
        pk__in=[o.pk for o in _others(order.patient, order.medication)]
    ):
        other.status = OrderStatus.SUPERSEDED
        other.switched_to = order
        other.ends_on = order.starts_on
        other.save(update_fields=["status", "switched_to", "ends_on"])
        _audit(
            by,
            order.patient,
            Action.UPDATE,
            "medication_order",
            other.pk,
            reason=SWITCH_REASON,
            detail={"medication": other.medication, "switched_to": order.pk},
        )


FOLLOW_REASON = "a switch brought forward: the stopped order ends the day the new medication's order starts"


def follow_the_switch(by: User, order: MedicationOrder) -> None:
    """Re-attack 39m finding 3: an order stopped by a switch to `order`'s medication that would end after
    `order` starts (a switch brought forward: the new medication's order rewritten to start earlier) ends
    the day `order` starts, so no day has both medications in force; each moved order audited. Only ever
    earlier: an order of the new medication written to start later leaves the one before in force until
    then (`models.in_force_q`), so the switch's day stands; one in effect (ended by `order`'s start, never
    after: it starts today or later) stays ended. In `_write_order`'s transaction, under the person's
    lock."""
    for other in (
        MedicationOrder.objects.select_for_update()
        .filter(
            patient=order.patient,
            status=OrderStatus.SUPERSEDED,
            switched_to__medication=order.medication,
            ends_on__gt=order.starts_on,
        )
        .exclude(switched_to=order)
    ):
        other.switched_to = order
        other.ends_on = order.starts_on
        other.save(update_fields=["switched_to", "ends_on"])
        _audit(
            by,
            order.patient,
            Action.UPDATE,
            "medication_order",
            other.pk,
            reason=FOLLOW_REASON,
            detail={"medication": other.medication, "switched_to": order.pk},
        )
