"""The relapse-prevention plan, replaced whole under optimistic concurrency (`StaleEdit`)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keel import crypto
from keel.access.policy import Area
from keel.accounts.models import User
from keel.api_body import Posted
from keel.audit.models import Action
from keel.core.rules.inputs import InvalidInput
from keel.recovery.common import (
    StaleEdit,
    _aad,
    _audit,
    _invalid,
    _patient,
)
from keel.recovery.models import RecoveryPlan as PlanRow
from keel.recovery.queries import PlanView
from keel.recovery.schemas import PlanContentOut, PlanIn


def save_plan(*, by: User, data: Posted[PlanIn], now: datetime | None = None) -> PlanView:
    """Replace the plan. The body's `version` is the one the client read (0 for a new plan); a stale one is
    StaleEdit."""
    patient = _patient(by, None, Area.RECOVERY, Action.UPDATE, "recovery_plan")
    try:
        posted = data.parse()
    except InvalidInput as exc:
        raise _invalid(exc) from None
    plan, version = posted.plan.model_dump(), posted.version
    now = now or timezone.now()
    blob = crypto.encrypt_json(plan, aad=_aad("plan", patient.pk))
    with transaction.atomic():
        row = PlanRow.objects.select_for_update().filter(patient=patient).first()
        current = row.version if row else 0
        if version != current:
            raise StaleEdit(  # in the reader's language, as the contact details' StaleEdit (lane words22)
                _("The plan changed since you opened it (version %(version)s); reload and try again.")
                % {"version": current}
            )
        if row is None:
            row = PlanRow.objects.create(patient=patient, content=blob, version=1, updated_at=now)
            action = Action.CREATE
        else:
            row.content, row.version, row.updated_at = blob, row.version + 1, now
            row.save(update_fields=["content", "version", "updated_at"])
            action = Action.UPDATE
        _audit(by, patient, action, "recovery_plan", row.pk)
    return PlanView(patient, PlanContentOut.model_validate(plan), row.version, now)


# --- Reminders and meetings -----------------------------------------------------------------------------
