"""What the page says for each end the dosing window writes (lane words24): one translatable template per
service template (`services.doses.bottles`, `services.take_homes.HOLD_SUSPENDS`), naming the same parts, and
the dose check's next step a bottle's reason carries (`NEEDS_OVERRIDE`)."""

from __future__ import annotations

from keel.core.words import gettext_noop as N_

# What the page says for each end the window writes (the service's English keeps what the record says; these
# say it plainly). Each names the same parts as the service's template.
NOT_HANDED_OUT = N_(
    "The bottles for %(days)s were not handed out: the window would not give %(mg)s mg today (%(why)s). "
    "The person doses at the window until a prescriber rewrites the order and decides take-home doses again."
)
NOTHING_GIVEN = N_(
    "The bottles for %(days)s were not handed out: today's dose was corrected to 0 mg or voided. A dose "
    "given later today hands them out; if none is, the person doses at the window until a prescriber "
    "decides take-home doses again."
)
VOIDED_NOT_HANDED_OUT = N_(
    "The bottles for %(days)s were not handed out: the dose of %(day)s they were to go home with was voided "
    "or corrected to 0 mg. The person doses at the window until a prescriber decides take-home doses again."
)
# Lane fix29c (review 29c hole 4): the same end when every bottle named was brought back (on the shelf).
VOIDED_ON_SHELF = N_(
    "The bottles for %(days)s were brought back and stay at the clinic: the dose of %(day)s they went home "
    "with was later voided or corrected to 0 mg. The person doses at the window until a prescriber decides "
    "take-home doses again."
)
# merge24b: lane fix24b's words for the take-back from today (the bottles named are at home until brought
# back: call the person back) and for the same end when every one of them was brought back already.
TAKEN_BACK_FROM_TODAY = N_(
    "The bottles for %(days)s were handed over and are still at home until brought back: call the person "
    "back to bring them in. The dose of %(day)s they went home with was corrected, and after it the window "
    "would not give %(mg)s mg (%(why)s). The bottles for the days before stand. The person doses at the "
    "window until a prescriber rewrites the order and decides take-home doses again."
)
# Lane bot25 (review 24c hole 2): a keep back after the run's bottles had been handed out with the dose now
# corrected down: still at home, call the person back.
KEPT_BACK_AT_HOME = N_(
    "The bottles for %(days)s were handed over and are still at home until brought back: call the person "
    "back to bring them in. The dose of %(day)s they went home with was corrected, and after it the window "
    "would not give %(mg)s mg (%(why)s). The person doses at the window until a prescriber rewrites the "
    "order and decides take-home doses again."
)
ALL_BACK_FROM_TODAY = N_(
    "The bottles for %(days)s were brought back: the dose of %(day)s they went home with was corrected, and "
    "after it the window would not give %(mg)s mg (%(why)s). The bottles for the days before stand. The "
    "person doses at the window until a prescriber rewrites the order and decides take-home doses again."
)
# The same ends when the record shows the bottles had left the clinic and were taken back (the plan's
# `bottles_taken_back` holds every one of their days): the service's words say "not handed out", yet they may
# be in the person's hands (a dose corrected down), or never have left (a dose recorded in error): whoever
# reads the plan later must know to ask for them.
NOT_HANDED_OUT_TAKEN_BACK = N_(
    "The bottles for %(days)s, recorded as handed out, were taken back: after the dose was corrected the "
    "window would not give %(mg)s mg today (%(why)s). If the person has them, call them to bring them back. "
    "The person doses at the window until a prescriber rewrites the order and decides take-home doses again."
)
NOTHING_GIVEN_TAKEN_BACK = N_(
    "The bottles for %(days)s, recorded as handed out, were taken back: today's dose was corrected to 0 mg "
    "or voided. If the person has them, call them to bring them back. A dose given later today hands them "
    "out again; if none is, the person doses at the window until a prescriber decides take-home doses again."
)
VOIDED_TAKEN_BACK = N_(
    "The bottles for %(days)s, recorded as handed out, were taken back: the dose of %(day)s they were to go "
    "home with was voided or corrected to 0 mg. If the person has them, call them to bring them back. The "
    "person doses at the window until a prescriber decides take-home doses again."
)
# Lane end28: a "nothing given" end of an earlier day whose dose was later corrected back up: the end stands,
# the bottles may be at home (or none is: brought back, or their days past).
CORRECTED_BACK_AT_HOME = N_(
    "The bottles for %(days)s may be at home: the dose of %(day)s they were to go home with was corrected to "
    "0 mg and later back to %(mg)s mg. Call the person back to bring them in, or record them brought back. "
    "The person doses at the window until a prescriber decides take-home doses again."
)
CORRECTED_BACK_NONE_HOME = N_(
    "The bottles for %(days)s are not at home (brought back, or their days are past): the dose of %(day)s "
    "they were to go home with was corrected to 0 mg and later back to %(mg)s mg. The person doses at the "
    "window until a prescriber decides take-home doses again."
)
# Lane fix28c (review 28c holes 2, 3, 5): the same after a void (not a correction to 0 mg).
CORRECTED_BACK_AT_HOME_VOIDED = N_(
    "The bottles for %(days)s may be at home: the dose of %(day)s they were to go home with was voided and "
    "later corrected back to %(mg)s mg. Call the person back to bring them in, or record them brought back. "
    "The person doses at the window until a prescriber decides take-home doses again."
)
CORRECTED_BACK_NONE_HOME_VOIDED = N_(
    "The bottles for %(days)s are not at home (brought back, or their days are past): the dose of %(day)s "
    "they were to go home with was voided and later corrected back to %(mg)s mg. The person doses at the "
    "window until a prescriber decides take-home doses again."
)
# Lane fix29c (review 29c hole 3): the same after a correction down (a keep back), a hold since keeping it.
CORRECTED_BACK_AT_HOME_DOWN = N_(
    "The bottles for %(days)s may be at home: the dose of %(day)s they were to go home with was corrected "
    "down and later back up to %(mg)s mg. Call the person back to bring them in, or record them brought "
    "back. The person doses at the window until a prescriber decides take-home doses again."
)
CORRECTED_BACK_NONE_HOME_DOWN = N_(
    "The bottles for %(days)s are not at home (brought back, or their days are past): the dose of %(day)s "
    "they were to go home with was corrected down and later back up to %(mg)s mg. The person doses at the "
    "window until a prescriber decides take-home doses again."
)
# Lane fix33b (review 33a holes 2 and 3): a keep back whose bottles never left, its dose corrected since.
KEPT_BACK_STANDS = N_(
    "The bottles for %(days)s were not handed out: they were kept back at the window with the dose of "
    "%(day)s, and that dose was later corrected to %(mg)s mg. A correction does not hand them out: they "
    "stay at the clinic. The person doses at the window until a prescriber decides take-home doses again."
)
# Lane fix28c (review 28c hole 4): the window dose that ended the plan no longer stands; the plan stays ended.
WINDOW_VOIDED_END = N_(
    "The bottles for %(days)s are no longer take-home doses: the plan ended before %(day)s, when a dose was "
    "recorded at the window that day, and that dose was later voided or corrected to 0 mg. The plan stays "
    "ended: call the person back to bring in any still at home, or record them brought back. The person "
    "doses at the window until a prescriber decides take-home doses again."
)
# Lane fix28b: a plan ended before a day on which a dose was given at the window (no day dosed at the window
# is a take-home day again), and a same-day end while a bottle of the run is on the shelf.
WINDOW_DOSED_END = N_(
    "The bottles for %(days)s are no longer take-home doses: a dose was given at the window on %(day)s, "
    "after the bottles went home. Call the person back to bring in any still at home. The person doses at "
    "the window until a prescriber decides take-home doses again."
)
ON_SHELF_END = N_(
    "The bottles for %(days)s were brought back and stay at the clinic, so the run that went home with the "
    "dose of %(day)s does not go on, though that dose stands. The person doses at the window until a "
    "prescriber decides take-home doses again."
)
HOLD_SUSPENDS = N_(
    "A dose was held on %(day)s (sedated or intoxicated): the bottles for the days after it stop until a "
    "prescriber decides take-home doses again."
)
# Lane take31: a hold's end re-run by a void of that day's dose (`bottles.HOLD_THEN_VOIDED`).
HOLD_THEN_VOIDED = N_(
    "A dose was held on %(day)s (sedated or intoxicated): the bottles for the days after it stop until a "
    "prescriber decides take-home doses again. The bottles for %(days)s went home with the dose given that "
    "day, which was later voided or corrected to 0 mg: they may be at home. Call the person back to bring "
    "them in, or record them brought back."
)
EARLIER_END = N_("Before that, the plan had been ended from %(day)s on: %(reason)s")


# The dose check's next step (`keel.core.rules.methadone._Limits.over`), which a bottle's reason carries.
NEEDS_OVERRIDE = N_("Needs a prescriber's override for today, with a reason.")
