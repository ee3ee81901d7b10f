"""Lane fix33b (review 33a holes 2 and 3; the lead's decision for the same day): a keep back whose bottles
never left the clinic (the window kept the run back at the dose of its day: `go_on.run_never_left`) and that
dose corrected, not given at the window (`DayChange.at_window` False), to a total above 0, on its day or
later (`corrected_after_keep_back`). A correction is never a hand-out. The run is judged at the new total
first (`reword.judged_again`): still blocked, the keep back is said again with the window's reason at that
total (`NOT_HANDED_OUT`); no longer blocked, the end stands and says the bottles were kept back and stay at
the clinic, the dose corrected to the total that stands (`KEPT_BACK_STANDS`), and the nurse is told once
(`KEPT_BACK_STAYS`). Either way nothing is at home, the stored kind is kept (a keep back, or one written over
an earlier end: a later correction comes back here), a note after the words kept, audited; never "brought
back", never "corrected down" of a dose that was only corrected up."""

from __future__ import annotations

from datetime import date

from keel.core.decision import Reason
from keel.treatment.models import PlanEnd, TakeHomePlan
from keel.treatment.services.common import _audit_plan
from keel.treatment.services.doses.bottles.hand_out import _run_unended
from keel.treatment.services.doses.bottles.reasons import KEPT_BACK_STANDS, KEPT_BACK_STAYS, NOT_HANDED_OUT
from keel.treatment.services.doses.bottles.redecide.change import DayChange
from keel.treatment.services.doses.bottles.redecide.corrected_back import _note_after
from keel.treatment.services.doses.bottles.redecide.reword import _ahead, _day_states, judged_again


def corrected_after_keep_back(change: DayChange, plan: TakeHomePlan, kind: str, never: bool) -> bool:
    """Whether `kept_back_stands` decides: a correction (never a dose at the window) to a total above 0 of
    the dose of a keep back (`kind`: the plan's end kind, or the kind an end over an earlier one was written
    over) whose run never left (`never`)."""
    return never and kind == PlanEnd.KEPT_BACK and change.total > 0 and not change.at_window


def kept_back_stands(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """The keep back of the change's day whose bottles never left stands after a correction of its dose
    (module docstring): its words said again at the total that stands, audited; the nurse told
    (`KEPT_BACK_STAYS`) when the window would now give the run, nothing said when it still would not (the
    keep back's own words)."""
    run = _run_unended(plan, change.today)
    _kept, blocked = judged_again(change, plan, run)
    days = _never_handed_out(change, plan) or run
    shown = ", ".join(d.isoformat() for d in days)
    if blocked is not None:
        _day, mg, reason = blocked
        text = NOT_HANDED_OUT.format(days=shown, mg=f"{mg.normalize():f}", why=reason.text)
        what = "plan stays ended: its dose corrected again, still kept back"
    else:
        mg = change.total
        text = KEPT_BACK_STANDS.format(days=shown, day=change.today.isoformat(), mg=f"{mg.normalize():f}")
        what = "plan stays ended: kept-back bottles never left, a correction does not hand them out"
    plan.end_reason = text + _note_after(plan)
    plan.save(update_fields=["end_reason"])
    amount = f"{mg.normalize():f}"
    _audit_plan(change.by, change.patient, plan, what, {"dose_day": change.today.isoformat(), "mg": amount})
    if blocked is not None:
        return []
    return [Reason.said(KEPT_BACK_STAYS, ("42cfr8.12-2024",), days=shown)]


def _never_handed_out(change: DayChange, plan: TakeHomePlan) -> list[date]:
    """The run's days after the end the record says never left (`reword._day_states`: a day past an earlier
    end kept under this one left out), in order."""
    states = _day_states(change, plan, _ahead(change, plan))
    return sorted(d for d, s in states.items() if s == "not_handed_out")
