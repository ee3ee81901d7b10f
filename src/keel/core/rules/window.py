"""Guards every dose at the window shares, whatever the medication (issue #13): a hold that stands until a
prescriber assesses, the ceilings against entry errors, and what makes an override's reason one of substance.

Sources: holding a dose for sedation or intoxication and routing to a prescriber (TIP 63 summary, reference
section 13). The ceilings are not clinical maxima (there is no label maximum for buprenorphine, reference
correction 1, and none for methadone in the sources): they catch a typing error (300 for 30) before it is given.
Each is program policy with a Keel bound as its hard ceiling (`keel.core.rules.policy.LIMITS`): below the
policy value a dose is given; between the policy value and the hard bound it needs a prescriber's override for
the day; past the hard bound nothing lets it through.
"""

from __future__ import annotations

import gettext
import io
import re
from functools import cache
from importlib import resources
from typing import Any, Literal, TypedDict

from keel.core.decision import Param, Reason
from keel.core.rules.policy import limit_for
from keel.core.text import mixed_script_words, shown_text, skeleton, visible_length, words_of
from keel.core.words import gettext_noop
from keel.core.words import gettext_noop as N_

HOLD_OPEN = "held_earlier"  # a hold today that no prescriber has released: no dose
REFUSED = "refused"  # past a hard bound: no override can pass it
HOLD_SOURCES = ("tip63-summary", "reference-13")
CEILING_SOURCES = ("keel-policy",)


class CeilingPolicy(TypedDict):
    """The policy values `ceilings` reads; every dose rule's policy has them (methadone, buprenorphine)."""

    single_dose_max_mg: float
    daily_total_max_mg: float


class RedosePolicy(TypedDict):
    """The policy value `redose` reads; every dose rule's policy has it."""

    redose_min_hours: float


REASON_MIN_CHARS = 15
REASON_MIN_WORDS = 3

# What `reason_problem` answers, marked where they are written; shown translated. Keel's own hints are no one's
# reason: a reason that is one of them pasted back (in any language Keel speaks) counts none of their words.
REASON_REQUIRED = N_("write the clinical reason (required)")
REASON_TOO_LONG = N_("at most 2000 characters")
REASON_NO_SUBSTANCE = N_("say what you assessed and why, in at least 3 words and 15 characters")
REASON_MIXED_SCRIPT = N_("a word mixes alphabets (a letter that only looks like a Latin one): type it again")
REASON_HINTS = (REASON_REQUIRED, REASON_TOO_LONG, REASON_NO_SUBSTANCE, REASON_MIXED_SCRIPT)
# Keel's other refusals shown for a reason field (a flag's note: `patients.services.flags`); with the hints,
# Keel's own sentences: a text made only of their words is no one's reason (review 21y).
FLAG_NOTE_REQUIRED = N_("write what was done (a note is required to resolve a flag)")
FLAG_ASSESSMENT = N_("write the assessment: %(problem)s")  # said by the flag with `FieldError.said`
KEEL_SENTENCES = (*REASON_HINTS, FLAG_NOTE_REQUIRED, FLAG_ASSESSMENT)


def reason_problem(text: Any) -> str:
    """Why `text` is not a reason of substance ("" when it is): at least three different words of two letters
    or more and fifteen characters, not one character repeated ("xxxxxxxxxxxxxxx", "ok ok ok", "a b c d e f g"
    and "1 2 3 4 5 6 7 8" do not document a clinical judgment; review 13g). Measured and split as it is shown
    (`keel.core.text.shown_text`: NFKC, no format characters) into words of letters (`words_of`), so quotes,
    brackets, digits glued to a word and characters no one sees make no word different ("test1 test2 test3",
    `urgent "urgent" (urgent)`, "urgent urgent\u200b": one word; review 21p); a word mixing Latin with
    Cyrillic or Greek look-alikes is refused; Keel's own hints (`REASON_HINTS`, any language) pasted back
    count no words. The one test of a typed reason of substance: overrides, corrections, break-the-glass and
    an emergency disclosure's nature."""
    joined = " ".join(shown_text(str(text or "")).split())
    if not visible_length(joined):  # spaces of no width are no reason (review 19b)
        return REASON_REQUIRED
    if len(joined) > 2000:
        return REASON_TOO_LONG
    words = words_of(joined)
    if mixed_script_words(words):
        return REASON_MIXED_SCRIPT
    if words and all(w in _keel_vocabulary() for w in words):  # Keel's own sentences, whole or cut (21y)
        return REASON_NO_SUBSTANCE
    words = _less_hints(words)
    letters = {c.lower() for c in joined if c.isalnum()}
    distinct_words = {skeleton(w) for w in words if sum(c.isalpha() for c in w) >= 2}
    if (
        visible_length(joined) < REASON_MIN_CHARS
        or len(distinct_words) < REASON_MIN_WORDS
        or len(letters) < 4
    ):
        return REASON_NO_SUBSTANCE
    return ""


def _less_hints(words: list[str]) -> list[str]:
    """`words` without any run of them that is one of Keel's hints, word for word."""
    for hint in _hint_words():
        n = len(hint)
        kept: list[str] = []
        i = 0
        while i < len(words):
            if tuple(words[i : i + n]) == hint:
                i += n
            else:
                kept.append(words[i])
                i += 1
        words = kept
    return words


def _said(sentences: tuple[str, ...]) -> set[str]:
    """`sentences` in English and in each language of Keel's catalogues (the compiled
    `keel/locale/<language>/LC_MESSAGES/django.mo`, read with the standard library: the core loads no
    Django), each placeholder (`%(problem)s`) left out."""
    texts = set(sentences)
    locale = resources.files("keel") / "locale"
    for language in locale.iterdir() if locale.is_dir() else ():
        compiled = language / "LC_MESSAGES" / "django.mo"
        if compiled.is_file():
            catalogue = gettext.GNUTranslations(io.BytesIO(compiled.read_bytes()))
            texts |= {catalogue.gettext(sentence) for sentence in sentences}
    return {re.sub(r"%\(\w+\)s", " ", t) for t in texts}


@cache
def _hint_words() -> tuple[tuple[str, ...], ...]:
    """The words of each of `REASON_HINTS` in every language Keel speaks, longest first."""
    runs = {tuple(words_of(t)) for t in _said(REASON_HINTS)}
    return tuple(sorted((r for r in runs if len(r) >= REASON_MIN_WORDS), key=len, reverse=True))


@cache
def _keel_vocabulary() -> frozenset[str]:
    """Every word of `KEEL_SENTENCES` in every language Keel speaks."""
    return frozenset(w for t in _said(KEEL_SENTENCES) for w in words_of(t))


def hold_open_reasons() -> tuple[Reason, ...]:
    return (
        Reason.said(
            gettext_noop(
                "A dose was held earlier today for sedation or intoxication. No dose until a prescriber "
                "assesses the person and releases the hold."
            ),
            HOLD_SOURCES,
        ),
    )


def hard_bound(rule: str, field: str) -> float:
    """The hard ceiling of a ceiling policy value: the Limit's ceiling, which no override passes."""
    limit = limit_for(rule, field)
    assert limit is not None and limit.ceiling is not None, f"{rule}.{field} needs a Limit with a ceiling"
    return limit.ceiling


def ceilings(
    rule: str, requested: float, total: float, p: CeilingPolicy, documented: bool
) -> tuple[str | None, list[Reason]]:
    """The single-dose and daily-total ceilings: (verdict, reasons). Verdict None: within both; "refused":
    past a hard bound (no override); "needs_override" or "allowed_with_rationale" between the policy value
    and the hard bound."""
    checks: tuple[tuple[Literal["single_dose_max_mg", "daily_total_max_mg"], float, str], ...] = (
        ("single_dose_max_mg", requested, gettext_noop("A single dose")),
        ("daily_total_max_mg", total, gettext_noop("Today's total")),
    )
    for field, value, what in checks:
        bound = hard_bound(rule, field)
        if value > bound:
            return REFUSED, [
                Reason.said(
                    gettext_noop(
                        "%(what)s of %(mg)s mg is above %(bound)s mg, the hard bound no override passes. "
                        "Check the amount typed."
                    ),
                    CEILING_SOURCES,
                    what=what,
                    mg=value,
                    bound=bound,
                )
            ]
    verdict: str | None = None
    reasons: list[Reason] = []
    for field, value, what in checks:
        limit = p[field]
        if value <= limit:
            continue
        if documented:
            verdict = verdict or "allowed_with_rationale"
            reasons.append(
                Reason.said(
                    gettext_noop(
                        "%(what)s of %(mg)s mg is above the program's %(limit)s mg check; a prescriber "
                        "documented a reason (logged)."
                    ),
                    CEILING_SOURCES,
                    what=what,
                    mg=value,
                    limit=limit,
                )
            )
        else:
            verdict = "needs_override"
            reasons.append(
                Reason.said(
                    gettext_noop(
                        "%(what)s of %(mg)s mg is above the program's %(limit)s mg check against entry "
                        "errors. Check the amount; a prescriber may override for today with a reason."
                    ),
                    CEILING_SOURCES,
                    what=what,
                    mg=value,
                    limit=limit,
                )
            )
    return verdict, reasons


# --- The re-dose interval (issue #13) ---------------------------------------------------------------------

REDOSE_FIELD_HELP = (
    "hours since the last dose of this medication was given (any day; absent: none given in the lookback). "
    "Below the program's re-dose interval a dose needs a prescriber's override (split dosing, a re-dose after "
    "reassessment)"
)
REDOSE_SOURCES = {
    "methadone-dose-check": ("methadone-label-first-day", "keel-policy"),
    "buprenorphine-dose-limit": ("fda-bup-label-summary", "tip63-summary", "keel-policy"),
}


def redose(
    rule: str, hours_since_last: float | None, p: RedosePolicy, documented: bool
) -> tuple[str | None, list[Reason]]:
    """The minimum interval between two doses of one medication, whatever the day (23:59 and 00:01 are two
    minutes apart): (verdict, reasons). None: no dose within the interval; "needs_override" below it
    without a prescriber's override for today; "allowed_with_rationale" with one."""
    need = p["redose_min_hours"]
    if hours_since_last is None or hours_since_last >= need:
        return None, []
    minutes = int(hours_since_last * 60)
    if documented:
        return "allowed_with_rationale", [
            Reason.said(
                gettext_noop(
                    "The last dose was %(minutes)s minutes ago, within the program's %(hours)s h re-dose "
                    "interval; a prescriber documented a reason (split dose or re-dose after reassessment, "
                    "logged)."
                ),
                REDOSE_SOURCES[rule],
                minutes=minutes,
                hours=need,
            )
        ]
    return "needs_override", [
        Reason.said(
            gettext_noop(
                "The last dose was %(minutes)s minutes ago: the program waits %(hours)s h between doses. Check "
                "this is not the same dose entered twice; a split dose or a re-dose after reassessment needs a "
                "prescriber's override for today, with a reason."
            ),
            REDOSE_SOURCES[rule],
            minutes=minutes,
            hours=need,
        )
    ]


ORDERED_FIELD_HELP = (
    "the active order's dose (mg): a dose that brings the day's total above it needs a prescriber's override "
    "for the day (program policy: the dose given follows the order)"
)
ORDER_SOURCES = ("keel-dose-follows-order",)


def order_over(
    ordered_mg: float | None, given_today_mg: float, requested_mg: float, single_dose_only: bool = False
) -> tuple[str, tuple[str, ...], dict[str, Param]] | None:
    """Why a dose goes over the active order (program policy: the dose given follows the active order; 42 CFR
    8.12(h), medication given under the practitioner's order): the day's total (`given_today_mg` +
    `requested_mg`) above `ordered_mg`, or, on a day whose total other limits govern (`single_dose_only`: a
    buprenorphine induction day), the single dose above it. (template, sources, params), the template with a
    `%(then)s` for what follows; None when within the order or with no order given. Giving less than the order
    is always within it. One definition: the methadone and buprenorphine dose checks at the window."""
    if ordered_mg is None:
        return None
    if single_dose_only:
        if requested_mg <= ordered_mg:
            return None
        template = gettext_noop(
            "The order is %(ordered)s mg; a single dose of %(mg)s mg is more than the order. %(then)s"
        )
        return template, ORDER_SOURCES, {"ordered": ordered_mg, "mg": requested_mg}
    total = given_today_mg + requested_mg
    if total <= ordered_mg:
        return None
    template = gettext_noop(
        "The order is %(ordered)s mg a day; %(mg)s mg now would make today's total %(total)s mg, more than "
        "the order. %(then)s"
    )
    return template, ORDER_SOURCES, {"ordered": ordered_mg, "mg": requested_mg, "total": total}
