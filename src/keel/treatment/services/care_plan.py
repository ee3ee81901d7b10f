"""Naloxone kits dispensed and the care plan's goals."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from keel.access import policy
from keel.accounts.models import User
from keel.audit.models import Action
from keel.core.rules.inputs import FURTHEST_DAYS, FieldError, record_id
from keel.core.text import visible_length
from keel.core.words import gettext_noop as N_
from keel.patients.care_gap import acts_for_her
from keel.patients.models import CareTeamMember, local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import CareArea, CareGoal, NaloxoneKit, NaloxoneProduct
from keel.treatment.services.common import _audit, _scoped_for


def dispense_naloxone(
    *, by: User, patient_id: int, product: str, quantity: int | str = 1, now: datetime | None = None
) -> NaloxoneKit:
    patient = _scoped_for(
        by, patient_id, "naloxone_kit", policy.can_record_dose(by), "dispense naloxone", emergency_access=True
    )
    errors: list[FieldError] = []
    if product not in NaloxoneProduct.values:
        errors.append(
            FieldError.said("product", N_("one of %(items)s"), items=", ".join(NaloxoneProduct.values))
        )
    try:
        count = int(quantity)
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= 10:
        errors.append(FieldError("quantity", N_("between 1 and 10")))
    if errors:
        raise TreatmentInvalid(errors)
    now = now or timezone.now()
    with transaction.atomic():
        kit = NaloxoneKit.objects.create(
            patient=patient,
            product=product,
            quantity=count,
            dispensed_on=local_today(patient, now),
            dispensed_by=by,
            recorded_at=now,
        )
        _audit(by, patient, Action.CREATE, "naloxone_kit", kit.pk)
    return kit


def _review_day(review_on: str, today: date, errors: list[FieldError]) -> date | None:
    """A goal's review day, from today to `FURTHEST_DAYS` ahead (lane tok26: as an appointment); None when it
    is no date. Each problem added to `errors`."""
    try:
        review = date.fromisoformat(str(review_on))
    except ValueError:
        errors.append(FieldError("review_on", N_("a date like 2026-12-20")))
        return None
    if review < today:
        errors.append(FieldError("review_on", N_("cannot be in the past")))
    elif (review - today).days > FURTHEST_DAYS:
        errors.append(
            FieldError.said(
                "review_on", N_("within the next %(furthest_days)s days"), furthest_days=FURTHEST_DAYS
            )
        )
    return review


def add_goal(
    *,
    by: User,
    patient_id: int,
    area: str,
    goal: str,
    responsible_id: int | str,  # the API's id, or the form's <select> text
    review_on: str,  # read here ("a date like 2026-12-20")
    now: datetime | None = None,
) -> CareGoal:
    """A care-plan goal (counselors, nurses, prescribers); the responsible person is on the care team. Its
    review day from today to two years ahead (lane tok26: `inputs.FURTHEST_DAYS`, the ceiling of an
    appointment and of an order's start, the other days a care plan looks ahead to; 9999-12-31 was kept)."""
    patient = _scoped_for(
        by,
        patient_id,
        "care_goal",
        policy.can_write_care_record(by),
        "edit care plans",
        emergency_access=False,
    )
    errors: list[FieldError] = []
    if area not in CareArea.values:
        errors.append(FieldError.said("area", N_("one of %(items)s"), items=", ".join(CareArea.values)))
    text = (goal or "").strip()
    if not visible_length(text) or len(text) > 300:
        errors.append(FieldError("goal", N_("write the goal (at most 300 characters)")))
    responsible = record_id(responsible_id)  # from the page's form it is text
    member = (
        CareTeamMember.objects.filter(acts_for_her(), patient=patient, user_id=responsible)  # review 35g
        .select_related("user")
        .first()
        if responsible is not None
        else None
    )
    if member is None:
        errors.append(FieldError("responsible", N_("choose someone on the care team")))
    now = now or timezone.now()
    review = _review_day(review_on, local_today(patient, now), errors)
    if errors or member is None or review is None:
        raise TreatmentInvalid(errors)
    with transaction.atomic():
        row = CareGoal.objects.create(
            patient=patient,
            area=area,
            goal=text,
            responsible=member.user,
            review_on=review,
            created_by=by,
            created_at=now,
        )
        _audit(by, patient, Action.CREATE, "care_goal", row.pk)
    return row
