"""What the recovery services and queries share: their errors, the scoped patient lookup, the encryption
binding and the policy values the early-warning rules read."""

from __future__ import annotations

from collections.abc import Mapping

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.rules.inputs import FieldsInvalid, InvalidInput
from keel.patients.models import FlagKind, Patient

KEY_MAX = 100
HISTORY_DAYS = 14  # check-ins the early-warning rules look at (the longest rule needs 8 days)
FLAG_KINDS = {
    "reported_use": FlagKind.REPORTED_USE,
    "rising_craving": FlagKind.RISING_CRAVING,
    "missed_medication": FlagKind.MISSED_MEDICATION,
    "worsening_mood": FlagKind.WORSENING_MOOD,
    "silence": FlagKind.SILENCE,
    "contact_request": FlagKind.CONTACT_REQUEST,
}


class RecoveryInvalid(FieldsInvalid):
    """Bad input to a recovery write."""


class StaleEdit(ValueError):
    """The record changed since the client read it (optimistic concurrency): 409, its body naming `field`
    (the version the client sent: `version` unless the write names another, as an order's `order_version`).
    Not audited: nothing was done, and the client is told to read the record again. `answer`: fields the
    API's 409 body carries beside `message` and `errors` (an order's: what changed, never a version now,
    `treatment.services.orders.changed_answer`), so a client acts on fields, not on words."""

    def __init__(
        self, message: str, *, field: str = "version", answer: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.answer: dict[str, object] = dict(answer or {})


def _invalid(exc: InvalidInput) -> RecoveryInvalid:
    return RecoveryInvalid(exc.errors)


def _patient(user: User, patient_id: int | None, area: Area, action: Action, target_type: str) -> Patient:
    """The patient a recovery service acts on (`None`: the caller's own, from the session), or a 404 whose
    denial is audited; success is not audited here: each service records what it did."""
    return policy.get_patient_for_action_or_404(
        user,
        patient_id,
        action,
        area=area,
        target_type=target_type,
        audit_success=False,
        emergency_access=True,
    )


_audit = audit.record_for_patient


def _aad(purpose: str, patient_id: int) -> str:
    return f"keel:{purpose}:patient:{patient_id}"


# --- Check-ins ------------------------------------------------------------------------------------------
