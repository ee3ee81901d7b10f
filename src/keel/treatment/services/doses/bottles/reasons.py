"""The words the bottles' decisions write: the end reasons kept on a plan whose run did not go home or was
taken back (English, as every end reason: the page shows it as written, `treatment.end_words` in the reader's
language), and the reasons a dose's check carries of the bottles that went home with it or did not (marked
`N_`, shown in the reader's language). `BOTTLE_REASONS`: those the dosing page tells the nurse."""

from __future__ import annotations

from datetime import timedelta

from keel.core.words import gettext_noop as N_

# The end reason kept on a plan whose run the window would not let go home (English, as every end reason).
NOT_HANDED_OUT = (
    "The bottles for {days} were not handed out: the window would not give their {mg} mg today ({why}). "
    "The person comes to the window until a prescriber re-writes the order and decides take-home doses again."
)
# Review 23b holes 2 and 3: the end reasons kept on a plan whose run did not leave the clinic because the
# dose it was to go home with no longer stands (corrected to 0 mg or voided; no hold: `_end_not_handed_out`),
# English as every end reason (the page shows it as written, beside the prescriber's). Of today's dose: the
# plan ends today, an end a dose given later today undoes (as a keep back's, `_kept_back_on`). Of an earlier
# day's dose whose run holds today or a later day: the plan ends on that dose's day, never undone by a dose.
NOTHING_GIVEN = (
    "The bottles for {days} were not handed out: no dose given today stands (corrected to 0 mg or voided). "
    "The person comes to the window until a dose given today hands them out or a prescriber decides "
    "take-home doses again."
)
VOIDED_NOT_HANDED_OUT = (
    "The bottles for {days} were not handed out: the dose of {day} they were to go home with was voided "
    "or corrected to 0 mg. The person comes to the window until a prescriber decides take-home doses again."
)
# Lane fix34a (review 34a, the lead's decision on question 1): the same end naming the bottles the record
# holds as having left the clinic with that dose (`core.take_home_bottles.bottle_day`: at home or their day
# gone, never brought back): never "not handed out" of a bottle that left (the page's `VOIDED_TAKEN_BACK`).
VOIDED_HANDED_OVER = (
    "The bottles for {days}, recorded as handed out, were taken back: the dose of {day} they were to go home "
    "with was voided or corrected to 0 mg. If the person has them, call them to bring them back. The person "
    "comes to the window until a prescriber decides take-home doses again."
)
# Lane fix29c (review 29c hole 4): the same end when every bottle of the run is recorded brought back (it
# left with that dose and came back: on the shelf), never "not handed out".
VOIDED_ON_SHELF = (
    "The bottles for {days} were brought back and stay at the clinic: the dose of {day} they went home with "
    "was later voided or corrected to 0 mg. The person comes to the window until a prescriber decides "
    "take-home doses again."
)
# Lane end28: a "nothing given" end of an earlier day (day 1's dose corrected to 0 mg or voided on day 1)
# whose dose is corrected back up on a later day: the end stands from that day (no day is covered again; a
# prescriber decides take-home doses again), and says what happened: the bottles left with that dose and may
# be at home (`PlanEnd.CORRECTED_BACK`, `redecide.corrected_back`). None at home (all brought back, or their
# days past): the second words.
CORRECTED_BACK_AT_HOME = (
    "The bottles for {days} may be at home: the dose of {day} they were to go home with was corrected to "
    "0 mg and later back to {mg} mg. Call the person back to bring them in, or record them brought back. The "
    "person comes to the window until a prescriber decides take-home doses again."
)
CORRECTED_BACK_NONE_HOME = (
    "The bottles for {days} are not at home (brought back, or their days are past): the dose of {day} they "
    "were to go home with was corrected to 0 mg and later back to {mg} mg. The person comes to the window "
    "until a prescriber decides take-home doses again."
)
# Lane fix28c (review 28c hole 5): the same when the dose had been voided, not corrected to 0 mg; and
# (review 28c holes 2 and 3) an earlier day's voided end (`VOIDED_NOT_HANDED_OUT`) whose dose is corrected
# back up after a hold today or another plan since: the end stands, its words say the dose stands again.
CORRECTED_BACK_AT_HOME_VOIDED = (
    "The bottles for {days} may be at home: the dose of {day} they were to go home with was voided and "
    "later corrected back to {mg} mg. Call the person back to bring them in, or record them brought back. "
    "The person comes to the window until a prescriber decides take-home doses again."
)
CORRECTED_BACK_NONE_HOME_VOIDED = (
    "The bottles for {days} are not at home (brought back, or their days are past): the dose of {day} they "
    "were to go home with was voided and later corrected back to {mg} mg. The person comes to the window "
    "until a prescriber decides take-home doses again."
)
# Lane fix29c (review 29c hole 3): the same when the dose had been corrected down (not to 0 mg: a keep back
# written at the lower total) and is later corrected back up while the end stands (a hold since the dose).
CORRECTED_BACK_AT_HOME_DOWN = (
    "The bottles for {days} may be at home: the dose of {day} they were to go home with was corrected down "
    "and later back up to {mg} mg. Call the person back to bring them in, or record them brought back. The "
    "person comes to the window until a prescriber decides take-home doses again."
)
CORRECTED_BACK_NONE_HOME_DOWN = (
    "The bottles for {days} are not at home (brought back, or their days are past): the dose of {day} they "
    "were to go home with was corrected down and later back up to {mg} mg. The person comes to the window "
    "until a prescriber decides take-home doses again."
)
# Lane fix33b (review 33a holes 2 and 3; the lead's decision): a keep back whose bottles never left the
# clinic, the dose it was written at later corrected to a total the window would give them at: a correction
# is never a hand-out, so the end stands and says so (`redecide.reword.kept_back_stands`); the nurse's
# message below.
KEPT_BACK_STANDS = (
    "The bottles for {days} were not handed out: they were kept back at the window with the dose of {day}, "
    "and that dose was later corrected to {mg} mg. A correction does not hand them out: they stay at the "
    "clinic. The person comes to the window until a prescriber decides take-home doses again."
)
# Review 23c (lane fix23d): a correction down of an earlier day's dose whose run reaches today: the bottles
# of days before today stand (they left and were drunk); those of today and later are taken back, and the
# plan ends yesterday, the last day it covers (never earlier than today's eve), with this reason.
# Review 24b hole 6: the bottles were handed over and may still be at home: the kept reason says so and that
# the person is to be called back (the next shift reads it, and the plan's call-back list, on the page).
TAKEN_BACK_FROM_TODAY = (
    "The bottles for {days} were handed over and are still at home until brought back: call the person back "
    "to bring them in. The dose of {day} they went home with was corrected to a total after which the window "
    "would not give their {mg} mg ({why}). The bottles of earlier days stand. The person comes to the window "
    "until a prescriber re-writes the order and decides take-home doses again."
)
# Lane bot25 (review 24c hole 2): the same keep back when the run's bottles had already been handed out with
# the dose now corrected down (today's or yesterday's): they are still at home, and the person is called back
# (the plan's call-back list, `queries.call_back`, names them until they are recorded brought back).
KEPT_BACK_AT_HOME = (
    "The bottles for {days} were handed over and are still at home until brought back: call the person back "
    "to bring them in. The dose of {day} they went home with was corrected, and after it the window would "
    "not give their {mg} mg ({why}). The person comes to the window until a prescriber re-writes the order "
    "and decides take-home doses again."
)
ALL_BACK_FROM_TODAY = (
    "The bottles for {days} were brought back: the dose of {day} they went home with was corrected to a "
    "total after which the window would not give their {mg} mg ({why}). The bottles of earlier days stand. "
    "The person comes to the window until a prescriber re-writes the order and decides take-home doses again."
)
# Review 22t hole 6: a plan a prescriber (or a hold) had already ended after today, kept back today: the
# earlier end is kept in the reason, and such a plan is never resumed by a later part (its end stays today).
EARLIER_END = " The plan had been ended before from {day} on: {reason}"
# Lane take31 (review 30d hole 3's leftover): a hold's end (`take_homes.HOLD_SUSPENDS`) re-run by a void of
# that day's dose (`_end_after_hold`): the hold told once, then the dose the run went home with, which stands
# no more, and the bottles that may be at home (`hold_voided_words`). Starts with the hold's own words, so the
# same hold run again keeps it (`holds._end_by_hold`).
HOLD_THEN_VOIDED = (
    "A dose was held on {day} (sedation or intoxication): the bottles for the days after it stop until a "
    "prescriber decides take-home doses again. The bottles for {days} went home with the dose given that "
    "day, which was later voided or corrected to 0 mg: they may be at home. Call the person back to bring "
    "them in, or record them brought back."
)
# The reasons a dose's check carries of the bottles that went home with it, or did not (the dose row shows
# them; the page in the reader's language).
HANDED_OUT = N_("Take-home bottles handed out with this dose: %(bottles)s.")
KEPT_BACK = N_(
    "Take-home bottles for %(days)s not handed out: the window would not give their %(mg)s mg today. The "
    "take-home plan stops; a prescriber re-writes the order and decides take-home doses again."
)

KEPT_BACK_WHY = N_("the window's verdict on this dose today blocks it")
# Lane fix37c item 2: inside an XR-naltrexone injection's blockade a prescriber's switch override is for its
# day only (`DoseOverride.local_date`): today's bottle may go under it, a later day's is kept back, saying so
# (the why of the plan's end and of a decision's refusal; the dose's check: `KEPT_BACK_TODAY_ONLY`).
SWITCH_TODAY_ONLY = N_(
    "a prescriber's switch override during the XR-naltrexone blockade is for today only: the bottle for "
    "%(day)s is inside the blockade, and its dose waits for a switch override on its own day, at the window."
)
KEPT_BACK_TODAY_ONLY = N_(
    "Take-home bottles for %(days)s not handed out: the prescriber's switch override during the "
    "XR-naltrexone blockade is for today only, and their days are inside the blockade. The take-home plan "
    "stops; the person comes to the window, where each day's dose needs a switch override of that day."
)
# Review 39a hole 2: a closure-day plan's bottle (42 CFR 8.12(i): one take-home dose for a day the clinic is
# closed, to a person not otherwise eligible) re-checked when it leaves: its day no longer a closure day (the
# admin removed it), it stays at the clinic (the why of the plan's end; the dose's check:
# `KEPT_BACK_CLOSURE_CALLED_OFF`).
CLOSURE_CALLED_OFF = N_(
    "%(day)s is no longer one of the program's closure days: a closure-day bottle is only for a day the "
    "clinic is closed; a take-home dose for that day needs a prescriber's take-home decision"
)
KEPT_BACK_CLOSURE_CALLED_OFF = N_(
    "Take-home bottle for %(days)s not handed out: that day is no longer a closure day (the clinic is open), "
    "and a closure-day bottle is only for a day the clinic is closed. The take-home plan stops; the person "
    "comes to the window that day, unless a prescriber decides take-home doses for it."
)
# Review 22o holes 3 and 4: a QTc or a hold while bottles are at home names them (nothing at home is
# changed: the bottles are in the person's hands; a person acts on them).
AT_HOME_AFTER_QTC = N_(
    "Take-home bottles at home: %(bottles)s. After this QTc the window may not give their dose: tell the "
    "prescriber, and call the person back to bring or swap the bottles before those days."
)
AT_HOME_AFTER_HOLD = N_(
    "Take-home bottles at home: %(bottles)s, with a person held today for sedation or intoxication: tell "
    "the prescriber now, and ask the person to bring the bottles back before those days."
)
# Review 22t hole 4: bottles the record had handed out, taken back by a change of the day's total (a dose
# corrected to 0 or voided; a correction down, or a later part, after which the window would not give them):
# they may be in the person's hands, so the nurse is told which, their mg and whom to call. Review 23c (not
# reached; lane bot24): nothing given stands, so the plan's end says the run was not handed out
# (`NOTHING_GIVEN`, `VOIDED_NOT_HANDED_OUT`: a dose recorded in error, she never came) while the nurse was
# told "already handed over": one sentence, true whether or not the bottles left the clinic.
TAKEN_BACK = N_(
    "The take-home bottles for %(days)s (%(mg)s mg) were recorded as handed out with this dose and are no "
    "longer covered by it: the record takes them back, so if they left the clinic call the person back to "
    "bring them in, and tell the prescriber."
)
TAKEN_BACK_PLAN_STOPS = N_(
    "The take-home bottles for %(days)s (%(mg)s mg), already handed over, are no longer covered by this "
    "dose: the window would not give their dose after it, so the record takes them back and the take-home "
    "plan stops. Call the person back to bring them in, and tell the prescriber, who decides take-home "
    "doses again."
)
# Review 24b hole 7: a correction down after which the window would not give the run, whose bottles from
# today on were all brought back already: nobody to call.
PLAN_STOPS_ALL_BACK = N_(
    "The take-home bottles for %(days)s were brought back already; the window would not give their dose "
    "after this correction, so the take-home plan stops. Tell the prescriber, who decides take-home doses "
    "again."
)
# Review 24b hole 3: the correction that took bottles back is undone the same day (a slip corrected back).
TAKE_BACK_UNDONE = N_(
    "The take-home bottles for %(days)s are covered by this dose again: the take-home plan goes on, and "
    "nobody needs to call the person back for them."
)
# Review 27a holes 1-3: a dose stands again (a dose later today, a correction back up) after bottles of the
# run it went home with were recorded brought back: they stay on the clinic's shelf, the plan stays ended
# (it never covers their days again), and the person comes to the window for them.
ON_SHELF = N_(
    "The take-home bottles for %(days)s were recorded brought back and stay at the clinic: do not hand them "
    "out again. The take-home plan stays stopped, and the person comes to the window on those days until a "
    "prescriber decides take-home doses again."
)
# Lane end28: an earlier day's dose corrected back up after its 0 ended the plan that day ("nothing given"):
# the bottles that went home with it may be at home; the plan stays stopped (never covers their days again).
CORRECTED_BACK_CALL_BACK = N_(
    "The take-home bottles for %(days)s (%(mg)s mg) went home with this dose and may be at home: the dose "
    "was corrected to 0 mg and is now back up, but the take-home plan stays stopped and does not cover those "
    "days again. Call the person back to bring them in (or record them brought back), and tell the "
    "prescriber, who decides take-home doses again."
)
CORRECTED_BACK_CALL_BACK_VOIDED = N_(
    "The take-home bottles for %(days)s (%(mg)s mg) went home with this dose and may be at home: the dose "
    "was voided and is now corrected back up, but the take-home plan stays stopped and does not cover those "
    "days again. Call the person back to bring them in (or record them brought back), and tell the "
    "prescriber, who decides take-home doses again."
)
# Lane fix29c (review 29c hole 3): the same when the dose had been corrected down (a keep back) and a hold
# since keeps the plan stopped.
CORRECTED_BACK_CALL_BACK_DOWN = N_(
    "The take-home bottles for %(days)s (%(mg)s mg) went home with this dose and may be at home: the dose "
    "was corrected down and is now back up, but the take-home plan stays stopped and does not cover those "
    "days again. Call the person back to bring them in (or record them brought back), and tell the "
    "prescriber, who decides take-home doses again."
)
# Lane fix28c (review 28c holes 1, 3, 7): after any correction, bottles the record now holds at home that no
# standing plan covers (newly on the call-back list, `queries.call_back`) and no other word named.
CORRECTION_CALL_BACK = N_(
    "After this correction the record holds the take-home bottles for %(days)s (%(mg)s mg) as at home, and "
    "no take-home plan covers those days: call the person back to bring them in (or record them brought "
    "back), and tell the prescriber, who decides take-home doses again."
)
# Lane fix30a (fix29c's leftover): the same, told at a dose given at the window (a split dose's later part
# that gives an earlier end back), not a correction.
AT_HOME_PAST_END = N_(
    "The take-home bottles for %(days)s (%(mg)s mg) went home earlier and no take-home plan covers those "
    "days: call the person back to bring them in (or record them brought back), and tell the prescriber, "
    "who decides take-home doses again."
)
# Lane fix28b (review 28b holes 1 and 4): a correction would have a plan cover again a day on which a dose
# at the window stands (`queries.dosed_at_window`): the plan ends before that day (its own constants, apart
# from the "nothing given" words other lanes rewrite). The end reason kept on the plan (English, as every
# end reason) and the nurse's message: the bottles of that day and later still at home are called back.
WINDOW_DOSED_END = (
    "The bottles for {days} are not take-home doses again: a dose was given at the window on {day}, after "
    "the bottles went home. Call the person back to bring in those still at home. The person comes to the "
    "window until a prescriber decides take-home doses again."
)
WINDOW_DOSED_CALL_BACK = N_(
    "A dose was given at the window on %(window)s after the take-home bottles went home: the take-home plan "
    "does not cover that day or later again. Call the person back to bring in the bottles for %(days)s "
    "(%(mg)s mg), and tell the prescriber, who decides take-home doses again."
)
WINDOW_DOSED_NONE_HOME = N_(
    "A dose was given at the window on %(window)s: the take-home plan does not cover that day or later "
    "again, and no bottle of those days is at home. Tell the prescriber, who decides take-home doses again."
)
# Lane fix28c (review 28c hole 4): the window dose that made `WINDOW_DOSED_END` end the plan is itself voided
# or corrected to 0 mg: the plan stays ended (a prescriber decides take-home doses again), and its end no
# longer claims a dose at the window that day. The end reason (English) and the nurse's message.
WINDOW_VOIDED_END = (
    "The bottles for {days} are not take-home doses again: the plan ended before {day}, when a dose was "
    "recorded at the window that day, and that dose was later voided or corrected to 0 mg. The plan stays "
    "ended: call the person back to bring in those still at home, or record them brought back. The person "
    "comes to the window until a prescriber decides take-home doses again."
)
WINDOW_VOIDED = N_(
    "The dose at the window on %(day)s no longer stands; the take-home plan that ended before it stays "
    "stopped (a prescriber decides take-home doses again). The bottles for %(days)s are no longer covered "
    "by it: call the person back to bring in those still at home, or record them brought back."
)
# Lane fix28b (review 28b hole 3): today's "nothing given" end, and then a dose stands again today while a
# bottle of the run is on the shelf: the plan stays stopped, and its end says so (not "nothing given").
ON_SHELF_END = (
    "The bottles for {days} were recorded brought back and stay at the clinic, so the run that went home "
    "with the dose of {day} does not go on, though that dose stands. The person comes to the window until a "
    "prescriber decides take-home doses again."
)
# Lane fix29c (review 29c hole 5): an observed dose given while the call-back list names today's bottle (its
# dose voided or corrected to 0 mg since it went home, so it may be at home) and it was not brought back.
BOTTLE_NAMED_TODAY = N_(
    "Today's take-home bottle (%(mg)s mg) is on the call-back list: it may be at home (the dose it went home "
    "with was voided or corrected). Ask the person for it; if they have it, record it brought back."
)
KEPT_BACK_STAYS = N_(
    "The take-home bottles for %(days)s were not handed out (kept back at the window) and stay at the "
    "clinic: a correction does not hand them out, and the take-home plan stays stopped. Tell the "
    "prescriber, who may decide take-home doses again."
)
# the dosing page tells the nurse these with the dose given; the medication page with a correction
BOTTLE_REASONS = (
    HANDED_OUT,
    KEPT_BACK,
    KEPT_BACK_TODAY_ONLY,
    KEPT_BACK_CLOSURE_CALLED_OFF,
    TAKEN_BACK,
    TAKEN_BACK_PLAN_STOPS,
    AT_HOME_AFTER_HOLD,
    PLAN_STOPS_ALL_BACK,
    TAKE_BACK_UNDONE,
    ON_SHELF,
    CORRECTED_BACK_CALL_BACK,
    WINDOW_DOSED_CALL_BACK,
    WINDOW_DOSED_NONE_HOME,
    CORRECTED_BACK_CALL_BACK_VOIDED,
    CORRECTION_CALL_BACK,
    AT_HOME_PAST_END,
    WINDOW_VOIDED,
    CORRECTED_BACK_CALL_BACK_DOWN,
    BOTTLE_NAMED_TODAY,
    KEPT_BACK_STAYS,
)
KEPT_BACK_BEFORE = timedelta(microseconds=1)  # a kept-back plan's end, before the dose's instant
