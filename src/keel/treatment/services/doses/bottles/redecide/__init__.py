"""Redecide after a change of a day's total: the one decision of the bottles going home after a day
(`redecide_bottles`), made again at every change of that day's given methadone total. The change is one
frozen `DayChange`, built once; each step takes it with the plan it judges. One module per part of the way:
`change` (the `DayChange` and the end fields), `dispatch` (the decision and its steps' order), `go_on` (a
run judged; a keep back going on), `corrected_back` (the words of an end that stands after a correction
back up), `prescriber_end` (a prescriber's end under a dose-path end), `voided` (a voided end undone),
`shelf` (bottles brought back stay at the clinic), `window` (never over a day dosed at the window; that
end's words), `undo` (a slip's take-back undone). The names callers use are re-exported here."""

from keel.treatment.services.doses.bottles.redecide.change import DayChange
from keel.treatment.services.doses.bottles.redecide.dispatch import (
    hand_out_at_dose,
    redecide_bottles,
    take_back_after_end,
)
from keel.treatment.services.doses.bottles.redecide.prescriber_end import restore_after_end
from keel.treatment.services.doses.bottles.redecide.window import window_end_words

__all__ = [
    "DayChange",
    "hand_out_at_dose",
    "redecide_bottles",
    "restore_after_end",
    "take_back_after_end",
    "window_end_words",
]
