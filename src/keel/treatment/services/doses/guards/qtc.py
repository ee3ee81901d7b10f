"""The QTc guards of a dose at the window: the order on a high QTc (`order_on_high_qtc`) and a high QTc
recorded since the order (`high_qtc_since_order`, also asked by a correction: `limits.amendment_ceilings`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from keel.core.decision import Decision, Reason
from keel.core.rules.qtc import NEEDS_NEW_ORDER, above_order_on_high_qtc, raise_on_later_qtc
from keel.patients.models import Patient, local_today
from keel.treatment.models import Medication, MedicationOrder
from keel.treatment.queries.orders import level_given_under
from keel.treatment.queries.qtc import recent_qtc
from keel.treatment.services.doses.guards.day import VerdictDay
from keel.treatment.services.qtc import level_since, qtc_reason_covers, qtc_unseen, restart_day

PASSED_OR_RELEASABLE = ("allowed", "allowed_with_rationale", "needs_override", "needs_reassessment")


def order_on_high_qtc(day: VerdictDay, total: Decimal, decision: Decision) -> Decision:
    """Guard 4b, the order on a high QTc (Krantz 2009: at 500 ms or more consider reducing or stopping): a
    methadone total above the active order on a recent QTc of 500 ms or more is blocked whatever day's
    override covers it (`above_order_on_high_qtc`: the prescriber raises the order itself, where the QTc
    reason is recorded); and a total above the dose the order raised from (`raised_from_mg`, what the
    prescriber's gate compared it with; 0: a start) on such a QTc recorded after the order was written, the
    order without the prescriber's QTc reason, is blocked whatever day's override covers it
    (`high_qtc_since_order`, review 19c and 20a), never below the level already given under the order.
    Reads the QTc only for a dose above the order or above both what it raised from and the last observed
    day's total (`ctx.last_observed_mg`): the ordinary dose reads nothing more (a start's first dose reads
    the QTc, two statements). Under the person's lock.

    Its verdict is NEEDS_NEW_ORDER, never "needs_override": no day's override releases it. It also replaces
    a verdict a day's override would release ("needs_override", "needs_reassessment": a titration step, say),
    whose words would call for an override that cannot give this dose (session 21), keeping a reassessment's
    own reasons after the QTc's (review 21x: missed days, a lower restart: the order is re-written knowing
    she may have lost tolerance); once the prescriber
    re-writes the order, the rule's own checks apply as before. Past the hard bound, a hold and a
    buprenorphine start's gate stay as they are. Lane fix38a item 1: the QTc and the level given under the
    order are read on `day.taken_on` (a take-home bottle's own day, as its blockade is), never the day of
    the decision that hands it out or re-decides it."""
    if day.medication != Medication.METHADONE or decision.decision not in PASSED_OR_RELEASABLE:
        return decision
    days = decision.policy.get("missed_reinduction_days")  # the rule's policy, read with the dose
    restart = restart_day(day.patient, day.ctx, days if isinstance(days, int) else None)  # review 22m
    given = level_since(day.ctx, restart)
    # the QTc known on the day the dose is taken (a take-home bottle's own day, lane fix38a item 1)
    reason = high_qtc_since_order(day.patient, day.order, day.taken_on, total, given, restart=restart)
    if reason is None:
        return decision
    kept = decision.reasons if decision.decision == "needs_reassessment" else ()  # review 21x: missed days
    return Decision(  # no day's override releases it: the prescriber re-writes the order (NEEDS_NEW_ORDER)
        decision.rule, decision.version, NEEDS_NEW_ORDER, (reason, *kept), decision.policy, decision.details
    )


def high_qtc_since_order(
    patient: Patient,
    order: MedicationOrder,
    day: date,
    total: Decimal,
    given: Decimal | None,
    *,
    until: date | None = None,
    restart: date | None = None,
) -> Reason | None:
    """Why a methadone total of `total` on `day` under `order` is refused on the recent QTc (None: it is
    not): above the order (`above_order_on_high_qtc`), or above the dose it raised from on a QTc saved after
    the order's gate read the QTc (`raise_on_later_qtc`, `qtc.qtc_unseen`, review 21m), not below `given`
    (the level given under it, as read by the caller) nor the level given under it on any day (read here,
    only when the QTc would refuse). The window and a correction (`limits.amendment_ceilings`: `until` its
    day, then the QTc known when it is made) share it. Reads nothing when the total is within the order and
    not above what it raised from and `given`. `restart`: the first day of a new induction after missed days
    (`qtc.restart_day`, the missed-days rule's REINDUCTION): an order written before it is a start from that
    day (review 22m: 80 mg a month before the gap is not a level she still takes), and `given` and the level
    under any order are counted from it."""
    from_mg = order.raised_from_mg  # None: written before it was kept (checked above the order only)
    since = restart
    if restart is not None and local_today(patient, order.created_at) < restart:
        from_mg = Decimal(0)
    level = max(from_mg if from_mg is not None else total, given or Decimal(0))
    if total <= order.dose_mg and total <= level:
        return None
    qtc = recent_qtc(patient, day, until=until)
    qtc_ms = None if qtc is None else qtc.qtc_ms
    above = above_order_on_high_qtc(qtc_ms, float(order.dose_mg), float(total))
    if above is not None or qtc is None:
        return above
    later = qtc_unseen(order, qtc)  # saved after the order's gate read the QTc (review 21m)

    def reason(level_given: Decimal | None) -> Reason | None:
        return raise_on_later_qtc(
            qtc_ms,
            later,
            None if from_mg is None else float(from_mg),
            float(order.dose_mg),
            float(total),
            None if level_given is None else float(level_given),
            reason_recorded=qtc_reason_covers(order, qtc),  # review 21x: a worse QTc saved after it
        )

    if reason(given) is None:
        return None
    under = level_given_under(order, day, since=since)  # a day before this episode's lookback, say
    return reason(given if under is None or (given is not None and given > under) else under)
