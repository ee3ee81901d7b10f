"""The methadone dose check's program policy (`DOSE_POLICY`, typed as `DosePolicy`): each field's help names
its default's source.

Sources: the label's first day (reference correction 6: 30 mg first dose, 40 mg first-day total; the 2024 rule's
50 mg the bound, 42 CFR 8.12); titration (correction 7, Baxter 2013; step commonly 5-10 mg, UNVERIFIED);
missed days (Australian guidelines 2003, 3.5; correction 8); QTc recency (Krantz 2009); one agonist a day and
the entry-error ceilings (Keel defaults, no clinical source).
"""

from __future__ import annotations

from keel.core.rules.inputs import Field
from keel.core.rules.window import (
    SAME_DOSE_FIELD,
    CeilingPolicy,
    RedosePolicy,
)
from keel.core.words import gettext_noop as N_

DOSE_POLICY = (
    Field(
        "redose_min_hours",
        "number",
        required=False,
        default=2,
        minimum=0,
        help=N_(
            "program policy, default 2 h: the label's supplementary first-day dose 'after 2-4 h if withdrawal "
            "persists' (reference correction 6); a dose sooner after the last one (a double entry, a split dose) "
            "needs a prescriber's override for the day"
        ),
    ),
    SAME_DOSE_FIELD,  # the same dose entered twice (lane fix36c: program policy)
    Field(
        "first_day_total_max_mg",
        "number",
        required=False,
        default=40,
        minimum=0,
        maximum=50,
        help=N_(
            "program policy, default 40 mg, the label's first-day total (reference correction 6); the 2024 "
            "rule's 50 mg is the bound. A higher total needs a prescriber's override for that day"
        ),
    ),
    Field(
        "first_dose_max_mg",
        "number",
        required=False,
        default=30,
        minimum=0,
        maximum=50,
        help=N_(
            "program policy, default 30 mg, the label's largest first single dose (correction 6); a separate "
            "check from the day-one total"
        ),
    ),
    Field(
        "titration_min_days_between",
        "integer",
        required=False,
        default=3,
        minimum=0,
        help=N_(
            "program policy, default 3 days between increases ('no more often than every 3-5 days', "
            "reference correction 7, secondary); the first increase counts from the episode's first dose, or "
            "from a new induction's after missed days"
        ),
    ),
    Field(
        "titration_window_days",
        "integer",
        required=False,
        default=7,
        minimum=0,
        help=N_(
            "program policy, default 7 days: the rolling window of the cumulative increase check "
            "(correction 7: never only 'since yesterday'; Keel default)"
        ),
    ),
    Field(
        "titration_window_max_mg",
        "number",
        required=False,
        default=20,
        minimum=0,
        help=N_(
            "program policy, default 20 mg: the most the daily total may rise over the window (two 10 mg "
            "steps 3 days apart; correction 7)"
        ),
    ),
    Field(
        "qtc_recent_days",
        "integer",
        required=False,
        default=30,
        minimum=0,
        help=N_(
            "program policy, default 30 days: how old a QTc under 500 ms may be and still be the current one, "
            "and which readings a prescriber's QTc reason covered; a QTc of 500 ms or more gates a raise until a "
            "newer ECG, whatever its age (Krantz 2009's ECG within 30 days is when the next one is due; Keel "
            "default)"
        ),
    ),
    Field(
        "switch_hours",
        "number",
        required=False,
        default=24,
        minimum=0,
        help=N_(
            "program policy, Keel default 24 h ('one opioid agonist a day', keel-one-agonist-a-day; no clinical "
            "source gives a figure): methadone within this many hours, by clock time, of buprenorphine given at the "
            "window is a second opioid agonist within those hours and needs a prescriber's switch override for the day "
            "(methadone alongside a low-dose buprenorphine start passes)"
        ),
    ),
    Field(
        "same_day_hours",
        "number",
        required=False,
        default=12,
        minimum=0,
        help=N_(
            "program policy, Keel default 12 h (keel-same-day-hours; no source gives a figure): methadone given "
            "on the previous program day within this many hours (clock time) before a dose counts with that "
            "dose's day for every day limit (the order's daily dose, the day's total, the titration, the first "
            "day's limits), so no limit resets at the program's midnight (correction 7: a rolling window)"
        ),
    ),
    Field(
        "missed_half_dose_days",
        "integer",
        required=False,
        default=3,
        minimum=0,
        help=N_(
            "program policy, default 3 missed days in a row: at most half the last observed dose "
            "(Australian guidelines 2003, 3.5; correction 8)"
        ),
    ),
    Field(
        "missed_restart_days",
        "integer",
        required=False,
        default=4,
        minimum=0,
        help=N_(
            "program policy, default 4 missed days: restart at the lower of half the dose and the restart cap "
            "(Australian guidelines 2003, 3.5)"
        ),
    ),
    Field(
        "missed_restart_max_mg",
        "number",
        required=False,
        default=40,
        minimum=0,
        help=N_(
            "program policy, default 40 mg: the restart cap after missed days (Australian guidelines 2003, 3.5)"
        ),
    ),
    Field(
        "missed_reinduction_days",
        "integer",
        required=False,
        default=5,
        minimum=0,
        help=N_(
            "program policy, default 5 missed days in a row: a new induction, the first day's limits again and "
            "titration from its first dose (Australian guidelines 2003, 3.5)"
        ),
    ),
    Field(
        "titration_step_max_mg",
        "number",
        required=False,
        default=10,
        minimum=0,
        help=N_("program policy, default 10 mg (reference 10.1: commonly 5-10 mg, UNVERIFIED)"),
    ),
    Field(
        "reassess_after_missed_days",
        "integer",
        required=False,
        default=3,
        minimum=1,
        maximum=14,
        help=N_(
            "program policy: reassess before dosing after this many missed days in a row (Keel default 3; "
            "no figure in the reference, TIP 63 not retrieved: set by your program)"
        ),
    ),
    Field(
        "single_dose_max_mg",
        "number",
        required=False,
        default=150,
        minimum=0,
        help=N_(
            "program policy, Keel default 150 mg: a single dose above it needs a prescriber's override for "
            "the day (a check against entry errors, not a clinical maximum; none is in the sources)"
        ),
    ),
    Field(
        "daily_total_max_mg",
        "number",
        required=False,
        default=200,
        minimum=0,
        help=N_(
            "program policy, Keel default 200 mg: a day's total above it needs a prescriber's override (a "
            "check against entry errors, not a clinical maximum)"
        ),
    ),
)


class DosePolicy(CeilingPolicy, RedosePolicy):
    """DOSE_POLICY's values (with the ceilings' and the re-dose interval's)."""

    first_day_total_max_mg: float
    first_dose_max_mg: float
    titration_min_days_between: int
    titration_window_days: int
    titration_window_max_mg: float
    qtc_recent_days: int
    switch_hours: float
    same_day_hours: float
    missed_half_dose_days: int
    missed_restart_days: int
    missed_restart_max_mg: float
    missed_reinduction_days: int
    titration_step_max_mg: float
    reassess_after_missed_days: int
