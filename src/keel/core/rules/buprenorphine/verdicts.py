"""The buprenorphine verdicts: readiness, the home start, the dose limit's refusal of a first dose, and the
words a page shows for a readiness verdict that is not "ready"."""

from __future__ import annotations

from keel.core.words import gettext_noop

READY = "ready"  # the one readiness verdict that allows a standard first dose
NOT_READY = ("wait", "not_standard", "low_dose")
HOME_READY = "start"  # the one home-start verdict that says: take the first dose now
DOSED_TODAY = "dosed_today"  # the home start: the clinic gave methadone or buprenorphine today (review 19a)
NOT_READY_TO_DOSE = "not_ready"  # the dose limit's verdict on a first standard dose before "ready"


START_VERDICT_WORDS = {
    "wait": gettext_noop("not ready yet (wait, then score COWS again)"),
    "not_standard": gettext_noop("not a standard start (fentanyl)"),
    "low_dose": gettext_noop("a low-dose start"),
    "undecided": gettext_noop("not decided (a time of last use or a fresh COWS is missing)"),
}
