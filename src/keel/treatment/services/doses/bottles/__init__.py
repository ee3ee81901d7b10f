"""Take-home bottles handed out (session 22): each bottle holds an explicit amount, recorded on its plan
(`TakeHomePlan.bottle_mg`) when it leaves the clinic, and only an amount the window's verdict today allows.

A bottle leaves the clinic at the observed dose the day before its run of bottle days, or at the decision
for a run that starts that day (`keel.core.take_home_bottles.handed_out`, the one definition). It holds the
dose of the order in force on its day (`models.order_in_force`). Before it goes, that dose is put to the
window's whole verdict (`guards.window_verdict`, the function the window runs on every observed dose:
the titration step, day limits, missed days, a hold, and `order_on_high_qtc`'s QTc checks; review 22n
hole 4: not the QTc alone), with no prescriber's cover for the day (`bottle_verdict`). Nothing here
re-states that verdict: a bottle is judged as the window judges an observed dose of that total.

Refused, never capped. The window refuses an observed dose its verdict blocks (NEEDS_NEW_ORDER, which no
day's override releases) and leaves the amount to a person: it never gives less than what was asked on its
own (`record_dose`: "never the ordered dose by default"). A bottle filled with less than the order, on no
one's decision, would be a dose nobody chose, carried home where nobody watches it taken; and the act the
window asks for, the prescriber re-writing the order (a lower dose, or the QTc reason), is the act that
makes the bottles right. So a decision whose bottles the window would block today is refused (naming the
field that asked for them), and at the dose the run due to go home is not handed out: the plan stops
covering days after today (as a hold stops it), the person comes to the window, and the prescriber decides
the take-home doses again.

Review 24b: the record of what left the clinic is never rewritten after the fact, and every reader agrees on
what is at home.
- A bottle handed out is a fact: its day and mg are never rewritten by a later correction or a later order.
  A bottle is judged by the order in force when it LEFT (`bottle_amounts`' `left_with`, at its recorded mg),
  never re-judged at an order written after it left; a correction re-decides only bottles not yet recorded.
- At home = handed out - brought back: `queries.take_home_plans.bottles_at_home`, the one function every
  reader uses (the warnings of a new order, a QTc or a hold, the supply check, the call-back list, the
  window's and the page's record of bottles brought back). A "take back" (`bottles_taken_back`, what the
  FHIR export reads) is an instruction to call the person back for bottles still at home: they stay counted
  at home until they are recorded brought back (`returned_days`).
- Bottles brought back after a plan ended, whatever ended it, can be recorded (the window's
  `bottle_returned`, and the prescriber's end form: `take_homes.end_take_home_plan` on an ended plan).
- The call-back instruction is kept where the next shift sees it: the kept end reason says the bottles are
  still at home and the person is to be called back (`TAKEN_BACK_FROM_TODAY`), and the plan's call-back
  list (`queries.take_home_plans.call_back`: bottles at home for days the plan no longer covers) is shown
  on the medication page (`words.CALL_BACK`) and in the API (`call_back`). Words: "still at home, call
  the person back", never "taken back" for bottles in the person's hands.
- Undoing a slip (a correction down, then back up the same day) restores what the slip took back, for an
  earlier day's dose (`undo_take_back`) as for yesterday's (`_go_on_after_kept_back`), and a prescriber's
  end the slip's voided end was written over (`TakeHomePlan.earlier_end`, review 27a hole 4).
- Review 27a: a bottle recorded brought back (`brought_back_days`) is on the clinic's shelf for good: no
  correction nor later dose has its plan cover its day again (`on_shelf`: the plan stays ended, the day a
  clinic day) nor tells the nurse it went home (`ON_SHELF`: do not hand it out again).
- A plan without recorded amounts (older plans): the bottles that left are still named (their mg: the
  order in force when they left), never "not handed out".
- A bottle of a day already past was drunk: no void nor correction asks to call the person back for it.

One module per part of the way (as `treatment/services/` is laid out): `reasons` (the words written: kept
end reasons in English, a dose's check reasons marked `N_`), `hand_out` (the hand-out record: runs, amounts
and the window's verdict, `bottle_mg` and `bottles_taken_back`), `take_back` (a run kept back or taken
back at a correction; the plan's end), `kept_back` (what ended a plan today, read from its stored kind, and
when it may go on), `redecide/` (the one decision at every change of a day's total, its steps taking one
`DayChange`). Every name callers use is re-exported here."""

from keel.treatment.services.doses.bottles.hand_out import (
    at_home_reason,
    bottle_amounts,
    bottle_refusal,
    bottle_verdict,
    run_from,
    runs_going_home,
)
from keel.treatment.services.doses.bottles.kept_back import (
    goes_home_at_a_dose_today,
    held_today,
    kept_back_today,
)
from keel.treatment.services.doses.bottles.reasons import (
    ALL_BACK_FROM_TODAY,
    AT_HOME_AFTER_HOLD,
    AT_HOME_AFTER_QTC,
    AT_HOME_PAST_END,
    BOTTLE_NAMED_TODAY,
    BOTTLE_REASONS,
    CLOSURE_CALLED_OFF,
    CORRECTED_BACK_AT_HOME,
    CORRECTED_BACK_AT_HOME_DOWN,
    CORRECTED_BACK_AT_HOME_VOIDED,
    CORRECTED_BACK_CALL_BACK,
    CORRECTED_BACK_CALL_BACK_DOWN,
    CORRECTED_BACK_CALL_BACK_VOIDED,
    CORRECTED_BACK_NONE_HOME,
    CORRECTED_BACK_NONE_HOME_DOWN,
    CORRECTED_BACK_NONE_HOME_VOIDED,
    CORRECTION_CALL_BACK,
    EARLIER_END,
    HANDED_OUT,
    HOLD_THEN_VOIDED,
    KEPT_BACK,
    KEPT_BACK_AT_HOME,
    KEPT_BACK_BEFORE,
    KEPT_BACK_CLOSURE_CALLED_OFF,
    KEPT_BACK_STANDS,
    KEPT_BACK_STAYS,
    KEPT_BACK_WHY,
    NOT_HANDED_OUT,
    NOTHING_GIVEN,
    ON_SHELF,
    ON_SHELF_END,
    PLAN_STOPS_ALL_BACK,
    TAKE_BACK_UNDONE,
    TAKEN_BACK,
    TAKEN_BACK_FROM_TODAY,
    TAKEN_BACK_PLAN_STOPS,
    VOIDED_HANDED_OVER,
    VOIDED_NOT_HANDED_OUT,
    VOIDED_ON_SHELF,
    WINDOW_DOSED_CALL_BACK,
    WINDOW_DOSED_END,
    WINDOW_DOSED_NONE_HOME,
    WINDOW_VOIDED,
    WINDOW_VOIDED_END,
)
from keel.treatment.services.doses.bottles.redecide import (
    DayChange,
    hand_out_at_dose,
    redecide_bottles,
    restore_after_end,
    take_back_after_end,
    window_end_words,
)

__all__ = [
    "ALL_BACK_FROM_TODAY",
    "AT_HOME_AFTER_HOLD",
    "AT_HOME_AFTER_QTC",
    "AT_HOME_PAST_END",
    "BOTTLE_NAMED_TODAY",
    "BOTTLE_REASONS",
    "CLOSURE_CALLED_OFF",
    "CORRECTED_BACK_AT_HOME",
    "CORRECTED_BACK_AT_HOME_DOWN",
    "CORRECTED_BACK_AT_HOME_VOIDED",
    "CORRECTED_BACK_CALL_BACK",
    "CORRECTED_BACK_CALL_BACK_DOWN",
    "CORRECTED_BACK_CALL_BACK_VOIDED",
    "CORRECTED_BACK_NONE_HOME",
    "CORRECTED_BACK_NONE_HOME_DOWN",
    "CORRECTED_BACK_NONE_HOME_VOIDED",
    "CORRECTION_CALL_BACK",
    "EARLIER_END",
    "HANDED_OUT",
    "HOLD_THEN_VOIDED",
    "KEPT_BACK",
    "KEPT_BACK_AT_HOME",
    "KEPT_BACK_BEFORE",
    "KEPT_BACK_CLOSURE_CALLED_OFF",
    "KEPT_BACK_STANDS",
    "KEPT_BACK_STAYS",
    "KEPT_BACK_WHY",
    "NOTHING_GIVEN",
    "NOT_HANDED_OUT",
    "ON_SHELF",
    "ON_SHELF_END",
    "PLAN_STOPS_ALL_BACK",
    "TAKEN_BACK",
    "TAKEN_BACK_FROM_TODAY",
    "TAKEN_BACK_PLAN_STOPS",
    "TAKE_BACK_UNDONE",
    "VOIDED_HANDED_OVER",
    "VOIDED_NOT_HANDED_OUT",
    "VOIDED_ON_SHELF",
    "WINDOW_DOSED_CALL_BACK",
    "WINDOW_DOSED_END",
    "WINDOW_DOSED_NONE_HOME",
    "WINDOW_VOIDED",
    "WINDOW_VOIDED_END",
    "DayChange",
    "at_home_reason",
    "bottle_amounts",
    "bottle_refusal",
    "bottle_verdict",
    "goes_home_at_a_dose_today",
    "hand_out_at_dose",
    "held_today",
    "kept_back_today",
    "redecide_bottles",
    "restore_after_end",
    "run_from",
    "runs_going_home",
    "take_back_after_end",
    "window_end_words",
]
