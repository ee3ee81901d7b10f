"""A prescriber's override for the day: past a guard rail (up to a total), a first buprenorphine dose
before the readiness verdict is ready, or one of the guards without an amount (the hours, an injection's
interval, a switch, an early re-dose)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from keel.access import policy
from keel.accounts.models import User
from keel.audit.models import Action
from keel.core.decision import shown
from keel.core.reasons import reason_problem, reason_text
from keel.core.rules.inputs import FieldError
from keel.core.rules.qtc import above_order_on_high_qtc
from keel.core.rules.window import hard_bound
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseOverride, Medication, OverrideKind
from keel.treatment.queries.orders import active_order, episode_open
from keel.treatment.queries.qtc import recent_qtc_ms
from keel.treatment.services.agonists import in_blockade
from keel.treatment.services.common import GUARD_RAILS, _audit, _decimal, _scoped_for

EPISODE_ENDED = N_("this person's episode of care has ended: no override can be written")
SWITCH_FOR = N_(
    "a switch override is for methadone the same day as buprenorphine, or for methadone or buprenorphine "
    "during an XR-naltrexone injection's blockade"
)


def add_override(
    *,
    by: User,
    patient_id: int,
    max_total_mg: object = None,  # raw: the service reads "30.5" or 30.5 with its own words
    reason: str = "",
    medication: str = Medication.METHADONE,
    kind: str = OverrideKind.LIMIT,
    now: datetime | None = None,
) -> DoseOverride:
    """A prescriber documents a reason of substance to give up to `max_total_mg` today past a guard rail, or
    (kind "start") a first buprenorphine dose before the verdict is ready, or (kind "hours") a dose outside
    the dosing window's hours, or (kind "interval", medication "naltrexone_xr") an XR-naltrexone injection
    sooner than the program's minimum interval, or (kind "switch", medication "methadone") methadone the same
    day as buprenorphine given here (or methadone or buprenorphine inside an XR-naltrexone injection's
    blockade, review 36f hole 3), or (kind "redose", methadone or buprenorphine; lane meth35) a dose of
    that medication sooner than the program's re-dose interval (a split dose, a re-dose after reassessment:
    the only cover of that interval; a limit override never lifts it) (no amount for these four: every other
    guard rail stands) (audited). It ends with the day and never passes the hard bound of the day's total."""
    patient = _scoped_for(
        by,
        patient_id,
        "dose_override",
        policy.can_prescribe(by),
        "override dose limits",
        emergency_access=False,
    )
    rule = GUARD_RAILS.get(medication)
    now = now or timezone.now()
    # Review 36f hole 3: a switch override of buprenorphine lifts an XR-naltrexone injection's blockade only
    blockade = (
        kind == OverrideKind.SWITCH
        and medication == Medication.BUPRENORPHINE
        and in_blockade(patient, local_today(patient, now))
    )
    errors = _kind_problems(kind, medication, rule, blockade=blockade)
    # Outside the window's hours (issue #18), an XR-naltrexone injection before the program's minimum
    # interval (issue #13, review 13c) or methadone the same day as buprenorphine (review 19a): no amount;
    # every other check stands.
    # An early re-dose (lane meth35): the re-dose interval only, no amount (the day's total is a limit's).
    no_amount = kind in (OverrideKind.HOURS, OverrideKind.INTERVAL, OverrideKind.SWITCH, OverrideKind.REDOSE)
    limit = Decimal(0) if no_amount else _checked_limit(rule, max_total_mg, errors)
    text = reason_text(reason)  # kept as measured (review 24r)
    problem = reason_problem(text)
    if problem:
        errors.append(FieldError("reason", problem))
    if kind == OverrideKind.LIMIT and medication == Medication.METHADONE and not errors:
        high_qtc_limit(patient, limit, local_today(patient, now), errors)
    if errors:
        raise TreatmentInvalid(errors)
    return _save_override(by, patient, medication, kind, limit, text, now)


def _kind_problems(
    kind: str, medication: str, rule: str | None, *, blockade: bool = False
) -> list[FieldError]:
    """What is wrong with this kind of override for this medication (medication first, then kind).
    `blockade`: today is inside an XR-naltrexone injection's blockade (a switch override of buprenorphine
    too, review 36f hole 3)."""
    errors: list[FieldError] = []
    interval = kind == OverrideKind.INTERVAL
    if rule is None and not (interval and medication == Medication.NALTREXONE_XR):
        errors.append(FieldError("medication", N_("methadone or buprenorphine")))
    if kind not in OverrideKind.values:
        errors.append(FieldError.said("kind", N_("one of %(items)s"), items=", ".join(OverrideKind.values)))
    elif kind == OverrideKind.START and medication != Medication.BUPRENORPHINE:
        errors.append(FieldError("kind", N_("a start override is for a first buprenorphine dose")))
    elif interval and medication != Medication.NALTREXONE_XR:
        errors.append(FieldError("kind", N_("an interval override is for an XR-naltrexone injection")))
    elif kind == OverrideKind.SWITCH and medication != Medication.METHADONE and not blockade:
        errors.append(FieldError("kind", SWITCH_FOR))
    return errors


def _checked_limit(rule: str | None, max_total_mg: object, errors: list[FieldError]) -> Decimal:
    """The day's total the override allows, read from its raw value (the service's own number words) and
    held under the hard bound no override passes; a problem is added to `errors`."""
    limit = _decimal(max_total_mg, "max_total_mg", errors)
    # NaN is already named by the parser (comparing it would raise decimal.InvalidOperation: a 500)
    if (
        rule is not None
        and limit.is_finite()
        and limit > Decimal(str(hard_bound(rule, "daily_total_max_mg")))
    ):
        errors.append(
            FieldError.said(
                "max_total_mg",
                N_("at most %(value)s mg: the hard bound no override passes"),
                value=format(hard_bound(rule, "daily_total_max_mg"), "g"),
            )
        )
    return limit


def _save_override(
    by: User, patient: Patient, medication: str, kind: str, limit: Decimal, text: str, now: datetime
) -> DoseOverride:
    """The override and its audit row, in one transaction. No open episode of care (discharged; review 35f:
    the window's definition, `episode_open`, read under the episode's lock as an order reads it): nothing
    written, TreatmentInvalid naming `patient` (discharge ended its overrides; none is written after)."""
    with transaction.atomic():
        if not episode_open(patient, lock=True):
            raise TreatmentInvalid([FieldError("patient", EPISODE_ENDED)])
        row = DoseOverride.objects.create(
            patient=patient,
            medication=medication,
            kind=kind,
            local_date=local_today(patient, now),
            max_total_mg=limit,
            reason=text,
            prescriber=by,
            created_at=now,
        )
        _audit(
            by,
            patient,
            Action.CREATE,
            "dose_override",
            row.pk,
            reason="prescriber's reason recorded on the override",  # the text only on the row (review 19b)
            detail={"kind": kind},
        )
    return row


def high_qtc_limit(patient: Patient, limit: Decimal, today: date, errors: list[FieldError]) -> None:
    """A methadone limit override above the active order while the person's recent QTc is 500 ms or more
    (`keel.core.rules.qtc.above_order_on_high_qtc`, Krantz 2009): refused naming max_total_mg, so the gate
    on a raise of the order is not walked around at the window; the prescriber raises the order itself,
    where the QTc reason is recorded. A limit within the order is not gated."""
    order = active_order(patient, Medication.METHADONE, today)  # the order in force today (review 19a)
    if order is None or limit <= order.dose_mg:
        return
    reason = above_order_on_high_qtc(recent_qtc_ms(patient, today), float(order.dose_mg), float(limit))
    if reason is not None:
        errors.append(
            FieldError.said(
                "max_total_mg",
                N_(
                    "The latest QTc is %(ms)s ms (500 or more): a day's override cannot take methadone above "
                    "the order (%(ordered)s mg a day; %(mg)s mg asked). Krantz 2009 advises considering a "
                    "lower dose or stopping. To give more, a prescriber raises the order itself, where the "
                    "reason for a raise on this QTc is recorded. Sources: %(sources)s."
                ),
                **{key: shown(value) for key, value in reason.params},
                sources=", ".join(reason.sources),
            )
        )


def end_overrides(patient: Patient, ended_on: date, now: datetime) -> list[int]:
    """Discharge ends the overrides written for the episode (those of `ended_on` or later still open): a
    same-day readmission starts again without them. The rows stay in the record with `ended_at`. Called by
    `patients.services.discharge` inside its transaction; returns the ids ended."""
    ended = list(
        DoseOverride.objects.filter(
            patient=patient, local_date__gte=ended_on, ended_at__isnull=True
        ).values_list("pk", flat=True)
    )
    DoseOverride.objects.filter(pk__in=ended).update(ended_at=now)
    return ended
