"""What every treatment write shares: the patient scoped for a write (or a 404/403 with its audit row), the
one audit row of a write to a take-home plan (`_audit_plan`), the amount and reason parsers, the guard rails
by medication and the dose's outcome and refusals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from keel.access import policy
from keel.access.errors import ClinicalNotAllowed
from keel.access.policy import Area
from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.decision import Decision
from keel.core.digits import decimal_comma, plain_decimal
from keel.core.reasons import reason_problem, reason_text
from keel.core.rules import methadone
from keel.core.rules.buprenorphine import DOSE_LIMIT
from keel.core.rules.buprenorphine.dose_limit import DosePolicy as BuprenorphineDosePolicy
from keel.core.rules.inputs import FieldError
from keel.core.text import visible_length
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient
from keel.treatment.models import DoseRecord, MedicationOrder, TakeHomePlan
from keel.treatment.queries.policy import effective_policy


class DoseBlocked(Exception):
    """A guard rail stops this dose until a prescriber acts (the decision says why). Audited."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(" ".join(r.text for r in decision.reasons))
        self.decision = decision


class HeldDoseNotAllowed(ClinicalNotAllowed):
    """A role other than a prescriber tried to correct a held dose into a given one (403 on the API; a message
    on the page, where the same role may correct other doses)."""


class DoseConflict(Exception):
    """Another person recorded this dose slot first."""


class TakeHomeEndNotAllowed(ClinicalNotAllowed):
    """A role other than a prescriber tried to end a take-home plan (403 on the API; a message on the page,
    where the same role reads the plan)."""


class PlanAlreadyEnded(Exception):
    """The take-home plan was already ended (by a prescriber, or by discharge): 409 on the API."""


class PlanStillRunning(PlanAlreadyEnded):
    """Lane fix25e (review 25d hole 5): bottles brought back named on a plan that has not ended (nor been
    kept back today): never an end, nothing written; 409 on the API, said on the page, as an ended plan."""


_audit = audit.record_for_patient


def _audit_plan(
    by: User, patient: Patient, plan: TakeHomePlan, reason: str, detail: dict[str, object] | None = None
) -> None:
    """The one audit row of a write to a take-home plan's bottles or its end (an update of the
    `take_home_plan`), whichever package writes it (the bottles at a change of a day's total, an end, a hold,
    bottles brought back): `reason` says what the write did, `detail` its days (and mg), if any."""
    _audit(by, patient, Action.UPDATE, "take_home_plan", plan.pk, reason=reason, detail=detail)


def lock_person(patient: Patient) -> None:
    """Lock the person's row for the rest of the transaction: a hold and a take-home decision of the same
    person (review 13e), or two corrections of a time of last use, are saved one after the other, each
    seeing the other.

    FOR NO KEY UPDATE, not FOR UPDATE (PostgreSQL): two lockers of one person still wait for each other, but a
    row that only points at the person (a flag raised, a dose, a check-in: its foreign key takes a KEY SHARE
    lock on the person's row at commit) no longer waits for the lock. With FOR UPDATE such a row's
    transaction, holding the program's audit chain head, waited for the locker, which waited for the head:
    PostgreSQL aborted one with 'deadlock detected' (tests/recovery/test_checkin_lock_sql.py). Nothing here
    changes the person's key, and a delete of the person still takes FOR UPDATE, which waits for both."""
    list(Patient.objects.select_for_update(no_key=True).filter(pk=patient.pk).values_list("pk", flat=True))


def _scoped_for(
    user: User, patient_id: int, target_type: str, allowed: bool, what: str, *, emergency_access: bool
) -> Patient:
    """The patient in scope for a write, else 404; a role that may not do `what`: 403, audited.
    `emergency_access`: whether a clinician who reaches the record only through break-the-glass may do it:
    what is done for the person now (a dose, a held dose, naloxone, a QTc, a last use) yes; what changes the
    care team's plan or history (an order, take-home doses, a correction or void) no (review 17b)."""
    return policy.get_patient_for_action_or_404(
        user,
        patient_id,
        Action.CREATE,
        area=Area.CLINICAL,
        target_type=target_type,
        allowed=allowed,
        what=what,
        error=ClinicalNotAllowed,
        emergency_access=emergency_access,
        audit_success=False,
    )


def _decimal(
    raw: object, name: str, errors: list[FieldError], *, minimum: str = "0.01", maximum: str = "1000"
) -> Decimal:
    """An amount in mg (a dose, an order, a correction, a limit) from a JSON number or a form's text: plain
    decimal digits only (`core.digits.plain_decimal`, lane fix33d, review 33c hole 5), within the range and
    at most 2 decimals; else a FieldError naming `name` and 0."""
    text = format(raw, "f") if isinstance(raw, (int, float)) and not isinstance(raw, bool) else str(raw)
    value = plain_decimal(text)
    if value is None:
        if decimal_comma(text):  # "30,5": the reader's decimal comma, told to use a point (never read)
            errors.append(FieldError(name, N_("use a point for decimals (30.5), not a comma")))
        else:
            errors.append(FieldError(name, N_("must be a number of mg")))
        return Decimal(0)
    if not Decimal(minimum) <= value <= Decimal(maximum):
        errors.append(
            FieldError.said(
                name, N_("must be between %(minimum)s and %(maximum)s mg"), minimum=minimum, maximum=maximum
            )
        )
    elif value != value.quantize(Decimal("0.01")):
        errors.append(FieldError(name, N_("at most 2 decimals")))
    return value


def _reason(raw: object, errors: list[FieldError], name: str = "reason") -> str:
    """A dose correction's or void's reason, as measured (`reason_text`): required, and a reason of substance
    (`reason_problem`, the one check of a typed reason; review 23s: "x", "ok", "TBD", "later" are none). A
    correction's reason is often short and real ("wrong patient", "dose spilled", "typo in mg"):
    `reason_problem`'s terse rule takes two words of what happened to a dose record."""
    text = reason_text(raw)  # kept as measured (review 24r)
    if not visible_length(text):
        errors.append(FieldError(name, N_("write the reason (required)")))
    elif len(text) > 2000:
        errors.append(FieldError(name, N_("at most 2000 characters")))
    elif reason_problem(text):
        errors.append(FieldError(name, reason_problem(text)))
    return text


GUARD_RAILS = {"methadone": "methadone-dose-check", "buprenorphine": "buprenorphine-dose-limit"}
GuardRailPolicy = methadone.DosePolicy | BuprenorphineDosePolicy  # the policy of a rule of `GUARD_RAILS`


def guard_rail_policy(patient: Patient, rule: str) -> GuardRailPolicy:
    """The policy a guard rail (a rule named in `GUARD_RAILS`) runs with for this person: the program's, with
    the person's overrides (`effective_policy`)."""
    if rule == methadone.DOSE_CHECK.name:
        return effective_policy(patient, methadone.DOSE_CHECK)
    return effective_policy(patient, DOSE_LIMIT)


@dataclass(frozen=True)
class DoseOutcome:
    dose: DoseRecord
    decision: Decision


# How an order written with the prescriber's reason for a raise on a QTc of 500 ms or more says so in its
# note, for people reading it (its audit row's detail has `qtc_override`). Nothing reads these words back: the
# reason is the order's `qtc_reason` column (review 20a: a note with these words typed in counted as one).
QTC_REASON_NOTE = "Raised on a QTc of 500 ms or more, prescriber's reason: "


def has_qtc_reason(order: MedicationOrder) -> bool:
    """Whether the order was written with the prescriber's reason for a methadone raise or start on a QTc of
    500 ms or more: its own column, `qtc_reason` (review 20a: never words searched in the note)."""
    return bool(order.qtc_reason)
