"""Plain words for the start pages (intake, start, home start, XR-naltrexone): verdicts, what a verdict still
needs, the intake's choices and the rules' reasons, in the reader's language. No page shows a code."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keel.core.decision import LIST_SEPARATOR, Decision, Reason
from keel.core.opioids import NAME, OPIOIDS
from keel.core.rules.agonists import BLOCKADE, BLOCKADE_HELD
from keel.core.words import gettext_noop as N_
from keel.web.dates import shown_days_in, shown_near_day
from keel.web.stored_words import listed_words as _words
from keel.web.stored_words import stored_reason_text as stored_reason_text  # re-exported (lane words35)

if TYPE_CHECKING:  # the words only name the record's type
    from keel.treatment.start_rested_on import RestedOn

READINESS = {
    "ready": gettext_lazy("Ready: a standard first dose can be given now"),
    "wait": gettext_lazy("Not ready yet: wait, then score COWS again"),
    "not_standard": gettext_lazy("Not a standard start (fentanyl): the prescriber chooses the plan"),
    "low_dose": gettext_lazy("A low-dose start (program policy after fentanyl)"),
}
HOME = {
    "start": gettext_lazy("You can take your first dose now."),
    "wait": gettext_lazy("Not yet. Wait, then rate again."),
    "not_standard": gettext_lazy("Don't start on your own yet. Call your clinic first."),
    "low_dose": gettext_lazy("Follow your low-dose plan. Call your clinic if you are not sure."),
    "held_earlier": gettext_lazy("Not today. Talk to your care team first."),
    "dosed_today": gettext_lazy("Not now. Your clinic gave you a dose today. Talk to your care team first."),
    # lane fix36i: inside an XR-naltrexone injection's blockade, no switch override of a prescriber's today
    "needs_override": gettext_lazy(
        "Not now. Your naltrexone shot still blocks buprenorphine. Talk to your care team first."
    ),
}
NALTREXONE = {
    "eligible": gettext_lazy("Can be started: opioid-free long enough"),
    "caution": gettext_lazy("Can be started, with care: recent methadone or buprenorphine"),
    "needs_challenge": gettext_lazy("A naloxone challenge first (program policy)"),
    "not_eligible": gettext_lazy("Not yet: not opioid-free long enough"),
    "repeat": gettext_lazy("Next injection"),
    "too_soon": gettext_lazy("Not yet: sooner than the program's minimum interval between injections"),
    "held_earlier": gettext_lazy("Not given: a hold stands until a prescriber releases it"),
}
NEEDS = {
    "last_use": gettext_lazy("the time of last use of each opioid (the intake)"),
    "last_use_time": gettext_lazy("a time of last use for every opioid listed"),
    "last_use_report": gettext_lazy("the times of last use, asked again today"),
    "cows": gettext_lazy("a COWS score"),
    "sows": gettext_lazy("a withdrawal rating (SOWS)"),
}
# The person's own words on the home-start page.
NEEDS_MINE = {
    "last_use": gettext_lazy("when you last used each opioid"),
    "last_use_time": gettext_lazy("when you last used each opioid"),
    "last_use_report": gettext_lazy("when you last used, told to us today"),
    "sows": gettext_lazy("your withdrawal rating"),
}
STATUS = {
    "met": gettext_lazy("wait met"),
    "waiting": gettext_lazy("still waiting"),
    "no_wait": gettext_lazy("no wait needed"),
    "outside_lookback": gettext_lazy("too long ago to count"),
    "not_standard": gettext_lazy("not a standard start"),
    "low_dose": gettext_lazy("low-dose start"),
}
SCORE_STATUS = {
    "met": gettext_lazy("at or above the start threshold"),
    "below": gettext_lazy("below the start threshold"),
    "before_last_use": gettext_lazy("scored before the last use: score again"),
    "too_old": gettext_lazy("too old: score again"),
}
ROUTES = {
    "inject": gettext_lazy("injects"),
    "smoke": gettext_lazy("smokes"),
    "snort": gettext_lazy("snorts"),
    "oral": gettext_lazy("by mouth"),
}
OTHER = {
    "benzodiazepines": gettext_lazy("Benzodiazepines"),
    "alcohol": gettext_lazy("Alcohol"),
    "stimulants": gettext_lazy("Stimulants (such as methamphetamine or cocaine)"),
}
PRIOR = {
    "methadone": gettext_lazy("Methadone"),
    "buprenorphine": gettext_lazy("Buprenorphine"),
    "naltrexone": gettext_lazy("Naltrexone"),
    "counseling": gettext_lazy("Counseling"),
    "residential": gettext_lazy("Residential treatment"),
    "withdrawal_management": gettext_lazy("Withdrawal management (detox)"),
}
# The window's dose checks (issue #13): what each verdict means, never its code on a page.
DOSE = {
    "allowed": gettext_lazy("Within the limits"),
    "allowed_with_rationale": gettext_lazy("Past a limit, with a prescriber's documented reason"),
    "hold": gettext_lazy("Held: a prescriber must assess"),
    "needs_override": gettext_lazy("Not given: needs a prescriber's override"),
    "needs_new_order": gettext_lazy(
        "Not given: no override releases this; the prescriber re-writes the order with a reason for the QTc"
    ),
    "needs_reassessment": gettext_lazy("Not given: a prescriber must reassess"),
    "refused": gettext_lazy("Not given: past the hard bound"),
    "held_earlier": gettext_lazy("Not given: a hold stands until a prescriber releases it"),
    "not_ready": gettext_lazy("Not given: the start verdict is not ready"),
    "eligible": gettext_lazy("Can be started: opioid-free long enough"),
    "caution": gettext_lazy("Can be started, with care: recent methadone or buprenorphine"),
    "repeat": gettext_lazy("Next injection"),
    "too_soon": gettext_lazy("Not yet: sooner than the program's minimum interval between injections"),
}


def dose_verdict(code: str) -> str:
    """A dose check's verdict in words ("" for one Keel has no words for: never the code)."""
    return str(DOSE.get(code, ""))


SOURCES = {
    "intake": gettext_lazy("intake"),
    "report": gettext_lazy("asked again"),
    "corrected": gettext_lazy("corrected by a prescriber"),
    "dose": gettext_lazy("dose given here"),
    "take_home": gettext_lazy("take-home dose"),
    "fill": gettext_lazy("filled at a pharmacy"),
}


def opioid(code: str) -> str:
    return _(NAME[code]) if code in NAME else code


def reason_text(reason: Reason | Mapping[str, object]) -> str:
    """A rule's reason in the reader's language: its template and words translated, its numbers kept. A
    reason without a template (or a stored one, a dict) is shown as the rule wrote it."""
    if not isinstance(reason, Reason):
        return str(reason.get("text", ""))
    if not reason.template:
        return reason.text
    values = {k: _words(v) if isinstance(v, str) else f"{v:g}" for k, v in reason.params}
    try:
        return _(reason.template) % values
    except (KeyError, TypeError, ValueError):  # a translation with a broken placeholder: never a 500
        return reason.text


def stored_reasons(decision: object, near: date | None = None) -> list[str]:
    """Each reason of a stored decision (a JSON field), in the reader's language (`stored_reason_text`), as a
    page says it: its ISO days in the reader's words (lane words34), as the take-home plan says a day with
    `near` (today: "Sun, Dec 6"), else as a record's line ("Dec. 6, 2026"): `keel.web.dates.shown_days_in`."""
    reasons = decision.get("reasons") if isinstance(decision, dict) else None
    if not isinstance(reasons, list):
        return []
    return [shown_days_in(said, near) for said in (stored_reason_text(r) for r in reasons) if said]


# Lane fix36d: what a first buprenorphine dose rested on (`start_rested_on`), on the record page's dose row
RESTED_ON = N_(
    'A first dose given on "ready": COWS %(total)s, at or above the program\'s threshold then '
    "(%(threshold)s)."
)


def rested_on_words(rested: RestedOn | None) -> list[str]:
    """What a first dose rested on (`treatment.start_rested_on.rested_on`), in the reader's language: one
    line, or none when the dose recorded nothing."""
    if rested is None:
        return []
    return [_(RESTED_ON) % {"total": rested["cows_total"], "threshold": rested["threshold"]}]


# The frequency an order is written with (the model's default; the API and the pages write no other).
FREQUENCY = {"once daily": gettext_lazy("once daily")}


def frequency(value: str) -> str:
    """An order's frequency in the reader's language (one Keel did not write: as the order says)."""
    return str(FREQUENCY.get(value, value))


def reasons_text(reasons: Iterable[Reason]) -> str:
    """A refusal's reasons as one passage. A next step several reasons share ("Needs a prescriber's override
    for today, with a reason.") is said once, after the last of them, not after each."""
    reasons = list(reasons)
    thens = [dict(r.params).get("then") for r in reasons]
    said = []
    for i, reason in enumerate(reasons):
        if thens[i] and thens[i] in thens[i + 1 :]:
            reason = replace(reason, params=tuple((k, "" if k == "then" else v) for k, v in reason.params))
        said.append(reason_text(reason).strip())
    return " ".join(said)


def reason_shown(reason: Reason | Mapping[str, object]) -> str:
    """A rule's reason as a page says it (`reason_text`, its ISO days said as the reader's days, lane
    words34); the API and the CLI keep `reason_text`, ISO days and all, as a machine reads them."""
    return shown_days_in(reason_text(reason))


# What the person reads on her own pages in place of a reason written for staff (the prescriber's switch
# override, "XR-naltrexone", the clinical wording): the same facts and days, in plain words (session 37's look
# at the home start inside a naltrexone blockade, on a phone). Keyed by the rule's template.
FOR_THE_PERSON = {
    BLOCKADE: N_(
        "You had a naltrexone shot on %(day)s. It blocks opioids until about %(until)s. Buprenorphine may "
        "not work before then, and taking more to get past the block can cause an overdose that kills. "
        "As the shot wears off, your tolerance is lower: even a dose you used to take can cause an "
        "overdose that kills."
    ),  # lane fix37h (re-attack 37m item 3): the staff reason's lower tolerance as it wears off, kept
    BLOCKADE_HELD: N_("Do not take buprenorphine or methadone until your prescriber decides it with you."),
}


def reason_for_person(reason: Reason) -> str:
    """A rule's reason as the person's own page says it: `FOR_THE_PERSON`'s plain words for a reason written
    for staff, with the same numbers and days; any other reason as `reason_shown` says it."""
    plain = FOR_THE_PERSON.get(reason.template)
    return reason_shown(replace(reason, template=plain) if plain else reason)


def reasons_shown(reasons: Iterable[Reason]) -> str:
    """A refusal's reasons as one passage on a page (`reasons_text` with its days in words, lane words34)."""
    return shown_days_in(reasons_text(reasons))


def sources(decision: Decision | None) -> list[str]:
    """The citations behind a decision's reasons (ids Keel does not list are left out, never a failure)."""
    from keel.core.sources import SOURCES

    return [SOURCES[i].citation for i in getattr(decision, "sources", ()) if i in SOURCES]


def opioid_choices() -> list[tuple[str, str]]:
    return [(code, opioid(code)) for code in OPIOIDS]


def day_runs(days: Iterable[str], today: date | None = None) -> str:
    """ISO days as a reader scans them: each run of days in a row as "first to last", a lone day as itself,
    in order, every day still said (lane words22: 28 bottles' dates, one by one, filled a phone's screen
    twice). Text that is not a day is kept as it is. With `today` (a page, lane words25) each day is said
    as a person reads it ("Sat, Dec 5", `end_words.day_words`), else in ISO (the dosing window's reasons)."""
    from datetime import timedelta

    from keel.treatment.end_words import day_words

    def said_day(day: date) -> str:
        return day.isoformat() if today is None else day_words(day, today)

    runs: list[list[date]] = []
    others: list[str] = []
    for text in days:
        try:
            day = date.fromisoformat(str(text))
        except ValueError:
            others.append(str(text))
            continue
        if runs and day == runs[-1][-1] + timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    said = [
        said_day(run[0])
        if len(run) == 1
        else _("%(first)s to %(last)s") % {"first": said_day(run[0]), "last": said_day(run[-1])}
        for run in runs
    ]
    return ", ".join(said + others)


# Review 24b hole 6: the plan's call-back list (the medication page, beside an ended plan).
CALL_BACK = N_("Still at home — call the person back to bring them in: %(bottles)s.")


def call_back_words(home: Mapping[date, Decimal], today: date | None = None) -> str:
    """Review 24b hole 6: an ended plan's bottles still at home for days it no longer covers, in the reader's
    language ("Still at home — call the person back ...: Sun, Dec 6: 80 mg."; with no `today`, ISO days);
    blank: none."""
    if not home:
        return ""
    shown = bottle_mg_runs({d.isoformat(): str(mg) for d, mg in home.items()}, today)
    return _(CALL_BACK) % {"bottles": shown}


def bottle_mg_runs(bottle_mg: dict[str, object] | None, today: date | None = None) -> str:
    """Each take-home bottle's dose as a reader scans it: the days in a row at one dose as one run with its mg
    ("2026-12-04 to 2026-12-31: 60 mg"), in order, every day still said (28 bottles, one by one, filled a
    phone's screen); with `today`, each day as a person reads it (`day_runs`)."""
    from datetime import timedelta
    from decimal import InvalidOperation

    def mg_text(value: object) -> str:
        try:
            return format(Decimal(str(value)).normalize(), "f")
        except (InvalidOperation, ValueError):
            return str(value)

    groups: list[tuple[str, list[str]]] = []
    last: date | None = None
    for day_text in sorted(bottle_mg or {}):
        mg = mg_text((bottle_mg or {})[day_text])
        try:
            day: date | None = date.fromisoformat(day_text)
        except ValueError:
            day = None
        follows = day is not None and last is not None and day == last + timedelta(days=1)
        if groups and follows and groups[-1][0] == mg:
            groups[-1][1].append(day_text)
        else:
            groups.append((mg, [day_text]))
        last = day
    return ", ".join(
        _("%(days)s: %(mg)s mg") % {"days": day_runs(days, today), "mg": mg} for mg, days in groups
    )


# A bottle reason's parts as `treatment.services.doses.bottles` writes them: each bottle "2026-12-05 70 mg",
# "; " between them; the days of a run not handed out "2026-12-05, 2026-12-06".
_BOTTLE_MG = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2}) ([0-9]+(?:[.][0-9]+)?) mg")


def bottles_as_runs(reason: Reason, today: date | None = None) -> Reason:
    """A bottle reason (handed out with a dose, kept back, at home) with its days said as runs, as the
    medication page says them (`bottle_mg_runs`, `day_runs`): 28 bottles' "day mg" one by one filled a
    phone's screen at the dosing window (lane words23). Parts it cannot read are kept as written. With
    `today` (a page), each day as a person reads it."""
    params = []
    for key, value in reason.params:
        if isinstance(value, str) and key == "bottles":
            found = [_BOTTLE_MG.fullmatch(part) for part in value.split(LIST_SEPARATOR)]
            if all(found):
                value = bottle_mg_runs({m[1]: m[2] for m in found if m is not None}, today)
        elif isinstance(value, str) and key == "days" and value and today is None:
            value = day_runs(value.split(", "))
        params.append((key, value))
    return replace(reason, params=tuple(params))


def not_before_words(day: date, moment: datetime, today: date | None = None) -> str:
    """Lane bottle39: what a take-home bottle whose day follows a late observed dose says, in the reader's
    words: its day and the earliest time on it she may take it (`moment`, in the program's zone)."""
    shown = shown_near_day(day, today)
    return _("Bottle for %(day)s: take it not before %(time)s on %(day)s.") % {
        "day": shown,
        "time": moment.strftime("%H:%M"),
    }
