"""A first buprenorphine dose whose COWS was later struck or corrected (clin34): whether the prescriber must be
told, and the words that tell them.

A standard first dose waits for a COWS at or above the program's threshold (`readiness`); a dose given on a
COWS later marked entered in error, or corrected below that threshold, may have been given too early, when
sudden (precipitated) withdrawal is likely. A correction that keeps the score at or above the threshold
changes nothing the dose rested on. Plain Python: the caller says which dose rested on which score."""

from __future__ import annotations

from keel.core.decision import Reason
from keel.core.words import gettext_noop

# The COWS form, the threshold's source, and precipitated withdrawal after a dose given too early.
SOURCES = ("pcss-cows-form", "asam-2020-summary", "reference-9.6")

STRUCK = gettext_noop(
    "The COWS the first buprenorphine dose of %(day)s was given on was entered in error, so the dose had no "
    "COWS at or above the threshold of %(threshold)s it needed. Check the person for precipitated withdrawal."
)
BELOW = gettext_noop(
    "The COWS the first buprenorphine dose of %(day)s was given on was corrected to %(total)s, below the "
    "threshold of %(threshold)s the dose needed. Check the person for precipitated withdrawal."
)


def first_dose_cows_corrected(*, day: str, threshold: int, corrected_total: int | None) -> Reason | None:
    """The reason to tell the prescriber when the COWS a first dose of `day` (an ISO day, said in the
    reader's words where shown) rested on is now `corrected_total` (None: entered in error); None when the
    corrected score still meets `threshold` (nothing the dose rested on changed)."""
    reason, matters = first_dose_cows_now(day=day, threshold=threshold, corrected_total=corrected_total)
    return reason if matters else None


# Lane fix38d (review 38d, the first-dose COWS flag): a dose already flagged follows its COWS corrected again.
MEETS_NOW = gettext_noop(
    "The COWS the first buprenorphine dose of %(day)s was given on was corrected again: its score is now "
    "%(total)s, at or above the threshold of %(threshold)s the dose needed."
)


def first_dose_cows_now(*, day: str, threshold: int, corrected_total: int | None) -> tuple[Reason, bool]:
    """What the COWS a first dose rested on says once corrected (`corrected_total`; None: entered in error),
    and whether it matters (the dose had no COWS at or above `threshold`): a first correction raises the
    flag only when it does (`first_dose_cows_corrected`); a flag already raised says it either way (its last
    word the score in force, never an earlier correction's "below"; lane fix38d), and a resolved one is put
    back before the prescriber when it matters again."""
    if corrected_total is None:
        return Reason.said(STRUCK, SOURCES, day=day, threshold=threshold), True
    template = BELOW if corrected_total < threshold else MEETS_NOW
    said = Reason.said(template, SOURCES, day=day, total=corrected_total, threshold=threshold)
    return said, corrected_total < threshold
