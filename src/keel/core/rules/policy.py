"""Program policy: for every policy value of every rule, which way is stricter and the safe floor and ceiling
it may never cross, each with its source; and the checks that keep policies honest.

The clinical reference's preface: a number that is not fully verified and changes a dose, a start or an
eligibility is a program policy setting, changed only by a program admin (audited), overridable for one patient
by a prescriber with a written reason (audited). A policy may tighten a federal limit, never loosen one; and no
setting may switch a check off (a COWS or SOWS threshold of 0, a wait of 0 hours).

How it works (the one mechanism; add a new policy value the same way):
1. Declare the value in the rule's `policy` fields (`keel/core/rules/<rule>.py`): name, kind, default, and a
   `help` that states the default's provenance.
2. Add its `Limit` to `LIMITS` below: `stricter` ("higher" or "lower" for numbers; "order" for a choice, with
   `order` from the loosest to the strictest), the `floor` and `ceiling` (inclusive) and `why`: where both
   bounds come from, with source ids or "Keel bound: <reason>" when no source gives a number. `nullable=True`
   where None means "no program limit" (the loosest value).
3. Nothing else for a new value of an existing rule: `Rule.run` (every path: pages, API, `keel rule
   --policy`, the program's stored values, a prescriber's override for one patient) refuses a value outside its bounds, naming the field;
   `tighten_only` lets an API caller ask only for stricter values; the policy page and `keel policy show`
   list the bounds with `why`. `tests/core/test_policy_core.py` fails for a policy value without a Limit.
   A new *rule* with policy values also needs its entry in `PROGRAM_RULES` (`keel/treatment/queries/policy.py`),
   or no program can store them and the API takes any value inside the bounds for it.

A caller of a rule (the API) may ask for a stricter value than the stored policy for one evaluation; never a
looser one ("no silent bypass").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from keel.core.rules.inputs import FieldError, InvalidInput, check_fields
from keel.core.words import gettext_noop as N_

if TYPE_CHECKING:
    from keel.core.rules.base import AnyRule

# A policy value as a rule runs with it: a number, a choice's text, or None (no program limit, where the rule
# allows it). A program's stored JSON and a caller's values are checked into these (`checked_values`).
Setting = int | float | str | None


def setting(value: object) -> Setting:
    """A policy field's checked value or default as a `Setting` (every policy field is a number or a choice)."""
    if value is None or isinstance(value, int | float | str):
        return value
    raise TypeError(f"a policy value is a number, a choice or None, not {type(value).__name__}")


@dataclass(frozen=True)
class Limit:
    """How one policy value may be set: the stricter direction and the safe, inclusive floor and ceiling."""

    stricter: str  # "higher" | "lower" | "order"
    floor: float | None = None
    ceiling: float | None = None
    why: str = ""  # where the floor and the ceiling come from
    order: tuple[str, ...] = ()  # a choice's values, loosest first
    nullable: bool = False  # None = no program limit (the loosest), where the rule allows it

    def problem(self, value: object) -> str:
        """Why `value` is outside the bounds ("" when it is inside)."""
        if value is None:
            return "" if self.nullable else "required"
        if self.stricter == "order":
            return "" if value in self.order else f"must be one of {', '.join(self.order)}"
        if not isinstance(value, int | float):  # a number field's value is checked a number before its Limit
            return N_("must be a number")
        if self.floor is not None and value < self.floor:
            return f"must be at least {self.floor:g} (the safe floor: {self.why})"
        if self.ceiling is not None and value > self.ceiling:
            return f"must be at most {self.ceiling:g} (the safe ceiling: {self.why})"
        return ""


_READINESS = "buprenorphine-readiness"
_HOME = "buprenorphine-home-start"
_BUP_DOSE = "buprenorphine-dose-limit"
_METHADONE = "methadone-dose-check"
_TAKE_HOME = "take-home-eligibility"
_NALTREXONE = "naltrexone-readiness"
_EARLY = "early-warning"
CONSENT = "consent"  # not a rule: the consent form's own policy values (keel.core.sharing)

_SAME_DOSE_WHY = N_(
    "floor 1 minute, Keel bound: a retry or a second entry comes within a minute, and no setting may switch "
    "the check off; ceiling 15 minutes, Keel bound: a split dose or a re-dose after reassessment a quarter of "
    "an hour after the last stays possible under a prescriber's early re-dose override, and the bound stays "
    "well below the shortest re-dose interval (1 h). No published source gives a bound"
)

LIMITS: dict[tuple[str, str], Limit] = {
    # Buprenorphine start (reference 9.1, 9.2, conflicts 1-2, corrections 5 and 11).
    (_READINESS, "wait_hours_short_acting"): Limit(
        "higher",
        4,
        48,
        N_(
            "floor 4 h, the older label's 'not less than 4 h' with objective withdrawal (reference 9.1, conflict "
            "1); ceiling 48 h, the longest wait guidance describes for a short-acting opioid (reference 9.1: "
            "'24-48 h' for fentanyl)"
        ),
    ),
    (_READINESS, "wait_hours_extended_release"): Limit(
        "higher",
        24,
        72,
        N_("floor 24 h, the only figure in the sources (reference 9.1); ceiling 72 h, the methadone wait"),
    ),
    (_READINESS, "wait_hours_methadone"): Limit(
        "higher",
        36,
        168,
        N_(
            "floor 36 h, the lower end of PCSS-era '36-72 h' (reference 9.1); ceiling 168 h, Keel bound: past a "
            "week guidance points to a low-dose start instead (reference 9.5)"
        ),
    ),
    (_READINESS, "cows_threshold"): Limit(
        "higher",
        8,
        24,
        N_(
            "floor COWS 8, the lowest start threshold in the sources (ASAM summaries, reference 9.2); ceiling 24, "
            "the top of the moderate band (Wesson & Ling 2003): more keeps people in severe withdrawal"
        ),
    ),
    (_READINESS, "cows_fresh_hours"): Limit(
        "lower",
        0.5,
        4,
        N_(
            "floor 0.5 h; ceiling 4 h, Keel bound: withdrawal changes within hours and guidance re-scores every "
            "1-2 h (reference 9.2)"
        ),
    ),
    (_READINESS, "last_use_report_hours"): Limit(
        "lower",
        1,
        72,
        N_(
            "Keel bounds: the time of last use is asked on the day of the start; a report older than 3 days "
            "does not say what the person used since"
        ),
    ),
    (_READINESS, "lookback_days"): Limit(
        "higher",
        7,
        30,
        N_(
            "floor 7 days, at least the longest wait any policy allows (168 h), so no opioid still inside its "
            "wait is ever left out; ceiling 30 days, Keel bound"
        ),
    ),
    (_READINESS, "fentanyl_profile"): Limit(
        "order",
        why=N_(
            "no fixed fentanyl wait exists (reference correction 11); 'not a standard start' is the strictest"
        ),
        order=("longer_wait", "low_dose", "not_standard"),
    ),
    (_READINESS, "wait_hours_fentanyl"): Limit(
        "higher",
        24,
        96,
        N_(
            "floor 24 h and the usual 24-48 h (reference 9.1: Burson 2021 and secondary reviews); ceiling 96 h, "
            "Keel bound: past that guidance points to a low-dose start (correction 11)"
        ),
    ),
    (_READINESS, "cows_threshold_fentanyl"): Limit(
        "higher",
        8,
        24,
        N_(
            "floor COWS 8 (reference 9.2); the default 12 is the stricter option clinicians treating fentanyl use "
            "prefer (reference 9.2, conflict 2); ceiling 24, the top of the moderate band"
        ),
    ),
    (_HOME, "home_sows_threshold"): Limit(
        "higher",
        17,
        32,
        N_(
            "floor SOWS 17, the one published home protocol (reference correction 5); ceiling 32, Keel bound: half "
            "the scale, more keeps people in severe withdrawal at home"
        ),
    ),
    (_HOME, "redose_interval_hours"): Limit(
        "higher",
        1,
        4,
        N_(
            "floor 1 h, the short end of 're-dose about every 1-2 h' (reference 9.3); ceiling 4 h, Keel bound"
        ),
    ),
    (_HOME, "sows_fresh_hours"): Limit(
        "lower",
        0.5,
        4,
        N_(
            "floor 0.5 h; ceiling 4 h, Keel bound: the person rates again about every hour while waiting "
            "(reference 9.4)"
        ),
    ),
    (_BUP_DOSE, "day1_max_mg"): Limit(
        "lower",
        8,
        32,
        N_(
            "floor 8 mg, the older label's day-1 figure, the lowest in the sources (reference 9.3); ceiling 32 mg: "
            "more than 24 mg on day 1 'may be considered' in high tolerance (reference correction 11)"
        ),
    ),
    (_BUP_DOSE, "restart_gap_days"): Limit(
        "lower",
        2,
        7,
        N_(
            "program policy (keel-bup-restart; the reference gives no buprenorphine figure): floor 2 days, Keel "
            "bound, since one missed day is an ordinary miss; ceiling 7 days, the long end of the usual 5-7 days "
            "off after which buprenorphine is started again as a new induction"
        ),
    ),
    (_BUP_DOSE, "day2_max_mg"): Limit(
        "lower",
        16,
        32,
        N_(
            "floor 16 mg, the older label's day-2 figure (reference 9.3); ceiling 32 mg, as day 1 (correction 11)"
        ),
    ),
    # Ceilings against entry errors (issue #13): program policy; the ceiling is the hard bound no override
    # passes (keel.core.rules.window). Not clinical maxima: the labels set none for buprenorphine (correction
    # 1) and the sources give none for methadone.
    (_BUP_DOSE, "single_dose_max_mg"): Limit(
        "lower",
        16,
        48,
        N_(
            "Keel bounds against entry errors: floor 16 mg, the day-2 figure (reference 9.3); hard bound 48 mg, "
            "half again the largest day-1 total policy allows (32 mg, correction 11)"
        ),
    ),
    (_BUP_DOSE, "daily_total_max_mg"): Limit(
        "lower",
        32,
        64,
        N_(
            "Keel bounds against entry errors: floor 32 mg, since more than 24 mg a day may suit some people "
            "(FDA 89 FR 105613, correction 1) and the check must never sit at 24 mg; hard bound 64 mg, twice that"
        ),
    ),
    (_METHADONE, "single_dose_max_mg"): Limit(
        "lower",
        60,
        300,
        N_(
            "Keel bounds against entry errors (no maximum in the sources): floor 60 mg, above the label's first "
            "doses (20-30 mg, correction 6); hard bound 300 mg, an order of magnitude above a first dose"
        ),
    ),
    (_METHADONE, "daily_total_max_mg"): Limit(
        "lower",
        100,
        400,
        N_(
            "Keel bounds against entry errors (no maximum in the sources): floor 100 mg, where the extra ECG "
            "begins (Krantz 2009); hard bound 400 mg"
        ),
    ),
    (_BUP_DOSE, "low_dose_day1_max_mg"): Limit(
        "lower",
        0.2,
        1,
        N_(
            "floor 0.2 mg and default 0.5 mg, the typical first day of a low-dose start (0.2-0.5 mg, reference "
            "9.5: Hammig 2016, secondary reviews); ceiling 1 mg, Keel bound: the largest daily rise those "
            "schedules use"
        ),
    ),
    # The re-dose interval at the window (issue #13): a second dose sooner needs a prescriber's override.
    (_BUP_DOSE, "redose_min_hours"): Limit(
        "higher",
        1,
        4,
        N_(
            "floor 1 h, the short end of a further 2-4 mg 'about every 1-2 h' while withdrawal persists (reference "
            "9.3); ceiling 4 h, Keel bound (as the home start's re-dose interval)"
        ),
    ),
    (_BUP_DOSE, "same_day_hours"): Limit(
        "higher",
        12,
        20,
        N_(
            "Keel bounds, no source gives a figure (keel-same-day-hours): floor 12 h, doses closer than half a "
            "day are one day's; ceiling 20 h, an ordinary next-day dose after an afternoon dose is 16-17 h or "
            "more later and is never held back by more than a prescriber's usual window"
        ),
    ),
    (_METHADONE, "redose_min_hours"): Limit(
        "higher",
        2,
        12,
        N_(
            "floor 2 h, the label's supplementary first-day dose 'after 2-4 h if withdrawal persists' (reference "
            "correction 6); ceiling 12 h, Keel bound: half a day, so a next-morning dose is never held back"
        ),
    ),
    # The same dose entered twice (review 35f, lane fix36c): held even under an early re-dose override.
    (_BUP_DOSE, "same_dose_minutes"): Limit("higher", 1, 15, _SAME_DOSE_WHY),
    (_METHADONE, "same_dose_minutes"): Limit("higher", 1, 15, _SAME_DOSE_WHY),
    # Methadone at the window (reference 10, corrections 2, 6, 7, 8).
    (_METHADONE, "first_day_total_max_mg"): Limit(
        "lower",
        20,
        50,
        N_(
            "floor 20 mg, the label's lowest first dose (20-30 mg, correction 6); ceiling 50 mg, the 2024 rule's "
            "bound (corrections 2 and 6)"
        ),
    ),
    (_METHADONE, "titration_step_max_mg"): Limit(
        "lower",
        5,
        10,
        N_("'5-10 mg no more often than every 3-5 days' (reference correction 7, secondary)"),
    ),
    (_METHADONE, "first_dose_max_mg"): Limit(
        "lower",
        20,
        50,
        N_(
            "floor 20 mg, the label's lowest first dose; ceiling 50 mg, the 2024 rule's day-one bound (reference "
            "correction 6)"
        ),
    ),
    (_METHADONE, "titration_min_days_between"): Limit(
        "higher", 3, 5, N_("'5-10 mg no more often than every 3-5 days' (reference correction 7, secondary)")
    ),
    (_METHADONE, "titration_window_days"): Limit(
        "higher",
        7,
        14,
        N_(
            "Keel bounds: the cumulative check looks back at least a week and at most two (correction 7: a "
            "rolling window, never only 'since yesterday')"
        ),
    ),
    (_METHADONE, "titration_window_max_mg"): Limit(
        "lower",
        10,
        30,
        N_("Keel bounds from correction 7: from one 10 mg step to three 10 mg steps 3 days apart in a week"),
    ),
    (_METHADONE, "qtc_recent_days"): Limit(
        "higher",
        30,
        365,
        N_(
            "Keel bounds from Krantz 2009's ECG schedule (an ECG within 30 days, then yearly): the window of the "
            "current QTc and of what a prescriber's QTc reason covered; a QTc of 500 ms or more gates a raise until "
            "a newer ECG, whatever its age (review 22m)"
        ),
    ),
    (_METHADONE, "switch_hours"): Limit(
        "higher",
        12,
        72,
        N_(
            "Keel bounds, no source gives a figure (keel-one-agonist-a-day): floor 12 h, half a day, so a morning "
            "buprenorphine dose and an evening methadone dose at the window are always a prescriber's switch; "
            "ceiling 72 h, three days: past them buprenorphine is no longer the same day's second agonist but an "
            "earlier treatment (a methadone order after it is already a prescriber's decision), and the window "
            "reads every other medication's doses that far back on each methadone dose"
        ),
    ),
    (_METHADONE, "same_day_hours"): Limit(
        "higher",
        12,
        20,
        N_(
            "Keel bounds, no source gives a figure (keel-same-day-hours): floor 12 h, a split regimen's halves "
            "are 12 h apart, so doses closer than that are one day's; ceiling 20 h, an ordinary next-day dose at "
            "a clinic's morning hours after an afternoon dose is 16-17 h or more later and is never held back "
            "by more than a prescriber's usual window"
        ),
    ),
    (_METHADONE, "missed_half_dose_days"): Limit(
        "lower",
        2,
        3,
        N_(
            "ceiling 3 missed days: half the dose (Australian National Methadone Guidelines 2003, 3.5; reference "
            "correction 8); floor 2 days"
        ),
    ),
    (_METHADONE, "missed_restart_days"): Limit(
        "lower",
        2,
        4,
        N_(
            "ceiling 4 missed days: restart at 40 mg or half, whichever is lower (Australian guidelines 2003, 3.5)"
        ),
    ),
    (_METHADONE, "missed_restart_max_mg"): Limit(
        "lower",
        20,
        40,
        N_("ceiling 40 mg (Australian guidelines 2003, 3.5); floor 20 mg, the label's lowest first dose"),
    ),
    (_METHADONE, "missed_reinduction_days"): Limit(
        "lower",
        3,
        5,
        N_(
            "ceiling 5 missed days: a new induction (Australian guidelines 2003, 3.5; correction 8); floor 3 days"
        ),
    ),
    (_METHADONE, "reassess_after_missed_days"): Limit(
        "lower",
        1,
        4,
        N_(
            "ceiling 4 days: after 4 missed days the person sees the prescriber (Australian National Methadone "
            "Guidelines 2003, 3.5; reference correction 8); floor 1 day"
        ),
    ),
    # Take-home doses (reference 10.2, conflict 5, correction 9).
    (_TAKE_HOME, "admission_day_number"): Limit(
        "lower",
        0,
        1,
        N_("admission day is day 0 or day 1: not defined in the sources (reference conflict 5)"),
    ),
    (_TAKE_HOME, "program_max_days"): Limit(
        "lower",
        0,
        28,
        N_(
            "ceiling 28 days, the federal limit (42 CFR 8.12, 2024 rule; reference 10.2); a program may allow "
            "fewer, down to none: none also means no take-home dose for a day the clinic is closed (the clinic "
            "arranges that day's dose another way)"
        ),
        nullable=True,
    ),
    (_TAKE_HOME, "first_bottle_within_days"): Limit(
        "lower",
        1,
        28,
        N_(
            "Keel bounds, no source gives a figure (review 25a): the decision rests on the six criteria "
            "documented the day it is made (42 CFR 8.12(i), reference 10.2), so its first bottle comes soon after; "
            "floor 1 day, tomorrow, the first bottle's usual day; default 14 days; ceiling 28 days, the longest "
            "supply the federal rule allows: a first bottle later than that is decided nearer its day"
        ),
    ),
    # XR-naltrexone (reference 11, correction 10).
    (_NALTREXONE, "opioid_free_days"): Limit(
        "higher",
        7,
        14,
        N_(
            "floor 7 days, the label's 'at least 7-10 days' (reference 11); ceiling 14 days, the '2 weeks' after "
            "methadone or buprenorphine (correction 10)"
        ),
    ),
    (_NALTREXONE, "agonist_switch_days"): Limit(
        "higher",
        10,
        14,
        N_(
            "the label's section 'Switching from Buprenorphine or Methadone': vulnerable to precipitated "
            "withdrawal for as long as 2 weeks (reference correction 10); floor 10 days, the label's 7-10 days"
        ),
    ),
    (_NALTREXONE, "continuing_course_days"): Limit(
        "lower",
        28,
        42,
        N_(
            "floor 28 days, the label's 4-week interval (reference 11); default 35 and ceiling 42 days, Keel bounds: "
            "the interval plus one to two weeks, the label's 7-10 day opioid-free minimum (reference 11) and the "
            "2 weeks of correction 10; after that a person may have used opioids again, so readiness is checked"
        ),
    ),
    (_NALTREXONE, "min_interval_days"): Limit(
        "higher",
        21,
        28,
        N_(
            "ceiling 28 days, the label's interval (380 mg every 4 weeks or once a month, reference 11): a longer "
            "minimum would hold back an injection that is due; floor 21 days, Keel bound: a week before the due "
            "date, so the check never shrinks to a second depot a week or two after the first"
        ),
    ),
    (_NALTREXONE, "agonist_switch"): Limit(
        "order",
        why=N_(
            "the label's switching section: a warning until day 14 (correction 10), a naloxone challenge, or "
            "waiting the 2 weeks; waiting is the strictest"
        ),
        order=("warn", "challenge", "wait"),
    ),
    # Early-warning flags (Keel's product rules, issue #7; `keel-issue-7`): no clinical source gives these
    # numbers, so the bounds are Keel's: wide enough for a program's judgment, never so wide a flag stops.
    (_EARLY, "craving_high_at"): Limit(
        "lower", 4, 9, "Keel bounds on the 0-10 craving scale: at 10 only the extreme would count"
    ),
    (_EARLY, "craving_high_needed"): Limit("lower", 1, 5, "Keel bounds: at most the default window of 5"),
    (_EARLY, "craving_window"): Limit("higher", 3, 14, "Keel bounds: from 3 check-ins to two weeks"),
    (_EARLY, "missed_in_a_row"): Limit("lower", 1, 7, "Keel bounds: a missed week at most"),
    (_EARLY, "silent_days"): Limit("lower", 1, 14, "Keel bounds: two silent weeks at most"),
    (_EARLY, "habit_days"): Limit("lower", 1, 7, "Keel bounds: days of the week before the silence"),
    (_EARLY, "worsening_mood_days"): Limit(
        "lower", 2, 7, "Keel bounds: a trend needs 2 days; a week at most"
    ),
    (_EARLY, "screen_recent_days"): Limit(
        "higher", 1, 30, "Keel bounds: a positive screen from yesterday always counts; a month at most"
    ),
    # Who is a minor for a consent (42 CFR 2.14, `cfr-2-14-2024`): the regulation leaves it to state law.
    (CONSENT, "age_of_majority"): Limit(
        "higher",
        18,
        21,
        "42 CFR 2.14 (cfr-2-14-2024) defers to state law on who is a minor: floor 18, the age of majority in "
        "most states; ceiling 21, the highest any state sets (Mississippi; Alabama and Nebraska 19)",
    ),
}

# Policy values a rule shares with another rule: stored once, under the owning rule, with the owner's Limit
# (the home start uses the waits, the fentanyl profile and the lookback of the clinic's readiness rule).
SHARED: dict[str, str] = {_HOME: _READINESS}


def limit_for(rule: str, field: str) -> Limit | None:
    """The Limit of a policy value (a shared value's is its owner's)."""
    found = LIMITS.get((rule, field))
    if found is None and rule in SHARED:
        found = LIMITS.get((SHARED[rule], field))
    return found


# (rule, field) -> "lower" if a lower value is stricter, "higher" if a higher one is, "order" for a choice.
TIGHTER: dict[tuple[str, str], str] = {key: limit.stricter for key, limit in LIMITS.items()}


def limit_errors(rule: str, values: Mapping[str, object], prefix: str = "policy.") -> list[FieldError]:
    """Each value outside its Limit, named. A value with no Limit is refused too (no unbounded policy)."""
    errors = []
    for name, value in values.items():
        limit = limit_for(rule, name)
        if limit is None:
            errors.append(
                FieldError(f"{prefix}{name}", N_("has no safe bounds declared (keel.core.rules.policy)"))
            )
            continue
        problem = limit.problem(value)
        if problem:
            errors.append(FieldError(f"{prefix}{name}", problem))
    return errors


def is_tighter_or_equal(rule: str, field: str, candidate: object, current: object) -> bool:
    """Whether `candidate` is at least as strict as `current` (None = no program limit, the loosest)."""
    limit = limit_for(rule, field)
    if limit is None:
        return bool(candidate == current)
    if current is None:
        return True
    if candidate is None:
        return False
    if limit.stricter == "order":
        order = limit.order
        return candidate in order and current in order and order.index(candidate) >= order.index(current)
    if not (isinstance(candidate, int | float) and isinstance(current, int | float)):
        return False  # a number's Limit compares numbers (both are checked before)
    return candidate <= current if limit.stricter == "lower" else candidate >= current


def defaults(rule: AnyRule) -> dict[str, Setting]:
    return {f.name: setting(f.default) for f in rule.policy}


def checked_values(rule: AnyRule, values: Mapping[str, object]) -> dict[str, Setting]:
    """Parse stored or proposed values against the rule's policy fields and their Limits."""
    parsed = {
        k: setting(v) for k, v in check_fields(rule.policy, values, prefix="policy.").items() if k in values
    }
    errors = limit_errors(rule.name, parsed)
    if errors:
        raise InvalidInput(errors)
    return parsed


def within_limits(rule: AnyRule, stored: Mapping[str, object]) -> dict[str, Setting]:
    """Stored values (a program's settings, a patient's override) as the rule may use them today. A number
    set before its bound existed is brought to the nearest bound (a COWS threshold of 0 stored long ago runs
    as the floor, 8); anything else that no longer parses is left out, so the rule's default applies. The
    policy page shows both as not in force."""
    fields = {f.name for f in rule.policy}
    kept: dict[str, Setting] = {}
    for name, value in stored.items():
        if name not in fields:
            continue
        try:
            kept.update(checked_values(rule, {name: value}))
            continue
        except InvalidInput:
            pass
        limit = limit_for(rule.name, name)
        if limit is None or limit.stricter == "order" or isinstance(value, bool):
            continue
        if not isinstance(value, int | float) or value != value:  # text, NaN
            continue
        if limit.floor is not None and value < limit.floor:
            value = limit.floor
        elif limit.ceiling is not None and value > limit.ceiling:
            value = limit.ceiling
        try:
            kept.update(checked_values(rule, {name: value}))
        except InvalidInput:
            continue
    return kept


def tighten_only(
    rule: AnyRule, base: Mapping[str, Setting], requested: Mapping[str, object]
) -> dict[str, Setting]:
    """`base` with the caller's `requested` values, each of which must be at least as strict. Raises
    InvalidInput naming each value that would loosen the policy."""
    values = checked_values(rule, requested)
    errors = [
        FieldError.said(
            f"policy.{k}",
            N_("would loosen the program policy (%(value)s); only stricter values allowed"),
            value=repr(base.get(k)),
        )
        for k, v in values.items()
        if not is_tighter_or_equal(rule.name, k, v, base.get(k))
    ]
    if errors:
        raise InvalidInput(errors)
    return {**base, **values}


# What a clinician reads for each rule and policy value on the policy page (review words22b): the keys
# (`qtc_recent_days`) stay for admins and the API, never the only label on a page.
RULE_LABELS: dict[str, str] = {
    _READINESS: N_("Buprenorphine start: readiness"),
    _BUP_DOSE: N_("Buprenorphine doses"),
    _HOME: N_("Buprenorphine home start"),
    _METHADONE: N_("Methadone doses"),
    _TAKE_HOME: N_("Take-home doses"),
    _NALTREXONE: N_("XR-naltrexone readiness"),
}

LABELS: dict[tuple[str, str], str] = {
    (_READINESS, "wait_hours_short_acting"): N_("Wait after a short-acting opioid (hours)"),
    (_READINESS, "wait_hours_extended_release"): N_("Wait after an extended-release opioid (hours)"),
    (_READINESS, "wait_hours_methadone"): N_("Wait after methadone (hours)"),
    (_READINESS, "fentanyl_profile"): N_("Start after fentanyl use"),
    (_READINESS, "wait_hours_fentanyl"): N_("Wait after fentanyl, longer-wait start (hours)"),
    (_READINESS, "lookback_days"): N_("Opioid use counted from the last (days)"),
    (_READINESS, "cows_threshold"): N_("Lowest COWS score to start"),
    (_READINESS, "cows_threshold_fentanyl"): N_("Lowest COWS score to start after fentanyl"),
    (_READINESS, "cows_fresh_hours"): N_("Oldest COWS score accepted (hours)"),
    (_READINESS, "last_use_report_hours"): N_("Oldest report of last use accepted (hours)"),
    (_BUP_DOSE, "low_dose_day1_max_mg"): N_("Low-dose start: most on day 1 (mg)"),
    (_BUP_DOSE, "redose_min_hours"): N_("Buprenorphine: least time between doses (hours)"),
    (_BUP_DOSE, "same_dose_minutes"): N_(
        "Buprenorphine: a dose this soon is the same dose entered twice (minutes)"
    ),
    (_BUP_DOSE, "same_day_hours"): N_("Buprenorphine: hours before a dose that count with its day"),
    (_BUP_DOSE, "restart_gap_days"): N_("Days without buprenorphine before a restart"),
    (_BUP_DOSE, "day1_max_mg"): N_("Most buprenorphine on day 1 (mg)"),
    (_BUP_DOSE, "day2_max_mg"): N_("Most buprenorphine on day 2 (mg)"),
    (_BUP_DOSE, "single_dose_max_mg"): N_("Largest single buprenorphine dose (mg)"),
    (_BUP_DOSE, "daily_total_max_mg"): N_("Largest daily buprenorphine total (mg)"),
    (_HOME, "home_sows_threshold"): N_("Lowest SOWS score to start at home"),
    (_HOME, "redose_interval_hours"): N_("Home start: time between doses (hours)"),
    (_HOME, "sows_fresh_hours"): N_("Oldest SOWS score accepted (hours)"),
    (_METHADONE, "redose_min_hours"): N_("Methadone: least time between doses (hours)"),
    (_METHADONE, "same_dose_minutes"): N_(
        "Methadone: a dose this soon is the same dose entered twice (minutes)"
    ),
    (_METHADONE, "first_day_total_max_mg"): N_("Most methadone on the first day (mg)"),
    (_METHADONE, "first_dose_max_mg"): N_("Largest first methadone dose (mg)"),
    (_METHADONE, "titration_min_days_between"): N_("Least days between increases"),
    (_METHADONE, "titration_window_days"): N_("Window for the total increase (days)"),
    (_METHADONE, "titration_window_max_mg"): N_("Largest increase within the window (mg)"),
    (_METHADONE, "titration_step_max_mg"): N_("Largest single increase (mg)"),
    (_METHADONE, "qtc_recent_days"): N_("How recent a QTc must be (days)"),
    (_METHADONE, "switch_hours"): N_("Hours after buprenorphine before methadone without a switch"),
    (_METHADONE, "same_day_hours"): N_("Hours before a dose that count with its day"),
    (_METHADONE, "missed_half_dose_days"): N_("Missed days before half the dose"),
    (_METHADONE, "missed_restart_days"): N_("Missed days before a restart dose"),
    (_METHADONE, "missed_restart_max_mg"): N_("Largest restart dose after missed days (mg)"),
    (_METHADONE, "missed_reinduction_days"): N_("Missed days before a new induction"),
    (_METHADONE, "reassess_after_missed_days"): N_("Missed days before a reassessment"),
    (_METHADONE, "single_dose_max_mg"): N_("Largest single methadone dose (mg)"),
    (_METHADONE, "daily_total_max_mg"): N_("Largest daily methadone total (mg)"),
    (_TAKE_HOME, "admission_day_number"): N_("Number of the admission day (0 or 1)"),
    (_TAKE_HOME, "program_max_days"): N_("Most take-home days the program allows"),
    (_TAKE_HOME, "first_bottle_within_days"): N_("Latest first bottle after the decision (days)"),
    (_NALTREXONE, "opioid_free_days"): N_("Opioid-free days before the first injection"),
    (_NALTREXONE, "agonist_switch_days"): N_("Days after methadone or buprenorphine"),
    (_NALTREXONE, "continuing_course_days"): N_("Days a later injection continues the course"),
    (_NALTREXONE, "min_interval_days"): N_("Least days between injections"),
    (_NALTREXONE, "agonist_switch"): N_("Before that day after an agonist"),
}

# A choice's values in words (the value itself, `low_dose`, is what the rule and the API take).
CHOICE_LABELS: dict[str, str] = {
    "longer_wait": N_("a standard start after a longer wait"),
    "low_dose": N_("a low-dose start"),
    "not_standard": N_("not a standard start"),
    "warn": N_("a warning"),
    "challenge": N_("a naloxone challenge first"),
    "wait": N_("wait the full interval"),
}
