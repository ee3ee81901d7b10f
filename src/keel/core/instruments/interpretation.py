"""Per-instrument meaning of a response: total, band, flags, composites and reasons, each with source ids.

Every number below is from Keel's clinical reference (copied into code; the reference itself is never read at
run time). Tags: [V] verified in a primary or near-primary source, [S] secondary only.
- COWS bands 0-4 / 5-12 / 13-24 / 25-36 / 37-48 [S: Wesson & Ling form via mdapp; NIDA CTN code];
  item values [V].
- PHQ-9 bands at 5/10/15/20, positive screen >= 10 [S: Kroenke 2001 summaries]; item 9 >= 1 is a hard safety
  trigger whatever the total (reference conflict 16: a deliberate choice for safety).
- GAD-7 bands at 5/10/15, positive screen >= 10 [S: Spitzer 2006 summaries].
- SOWS: 16 items 0-4, total 0-64 [V: Handelsman 1987 via EMCDDA/NIDA]; no published bands: raw score only.
- DSM-5 OUD: the diagnosis, its remission and its codes are keel.core.diagnosis; here its band and reasons.
- BAM composites Use (4+5+6), Risk (1+2+3+8+11+15), Protective (9+10+12+13+14+16); item 17 outside all [S];
  flags Use >= 1, Risk >= 12, Protective <= 12 are from a vendor help page [S] and are labelled so; the
  Protective comparison is configurable (<= or <). No validated total.
- C-SSRS screener flow [V] and triage (Q1/Q2 low; Q3 or Q6 > 3 months moderate; Q4, Q5 or Q6 within 3 months
  high) [S; the high anchor is V: Columbia triage guidelines]. Highest level wins.
- ORT sex-specific weights and bands 0-3 low, 4-7 moderate, >= 8 high [V: Webster & Webster 2005].
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from keel.core import diagnosis
from keel.core.decision import Reason
from keel.core.instruments.model import Band, Instrument, ItemError
from keel.core.words import gettext_noop as N_


@dataclass(frozen=True)
class Interpretation:
    total: int | None
    band: Band | None
    flags: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    composites: Mapping[str, int] = field(default_factory=dict)
    said: tuple[Reason, ...] = ()  # the reasons as templates and parameters, where the rule keeps them


@dataclass(frozen=True)
class Extra:
    """An input an instrument needs beyond its items (e.g. sex for ORT)."""

    name: str
    kind: str  # "bool", "choice" or "int"
    required: bool = False
    choices: tuple[str, ...] = ()
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    help: str = ""


def band_for(bands: tuple[Band, ...], total: int) -> Band | None:
    return next((b for b in bands if b.low <= total <= b.high), None)


def _label(band: Band | None) -> str:
    """A band's label as a reason's part (each label is marked for the catalogue, so a page says it in the
    reader's language)."""
    return band.label if band else N_("out of range")


def _said(template: str, **params: int | str) -> Reason:
    """A reason of a result as its template (marked `N_` by the caller) and its parts: the English text the
    API and the stored row carry, and what a page says in the reader's language (lane words35)."""
    return Reason.said(template, (), **params)


def _meant(
    total: int | None,
    band: Band | None,
    flags: Sequence[str],
    said: Sequence[Reason],
    sources: tuple[str, ...],
    composites: Mapping[str, int] | None = None,
) -> Interpretation:
    """An interpretation whose every reason is kept as a template and its parts (`said`, one per reason)."""
    reasons = tuple(r.text for r in said)
    return Interpretation(total, band, tuple(flags), reasons, sources, composites or {}, said=tuple(said))


# --- COWS -------------------------------------------------------------------------------------------

COWS_BANDS = (
    Band(0, 4, "below_mild", N_("below the mild threshold (no clear active withdrawal)")),
    Band(5, 12, "mild", N_("mild withdrawal")),
    Band(13, 24, "moderate", N_("moderate withdrawal")),
    Band(25, 36, "moderately_severe", N_("moderately severe withdrawal")),
    Band(37, 48, "severe", N_("severe withdrawal")),
)


def cows_pulse_score(bpm: int) -> int:
    """COWS item 1 from a resting pulse: <= 80 -> 0; 81-100 -> 1; 101-120 -> 2; > 120 -> 4."""
    if bpm <= 80:
        return 0
    if bpm <= 100:
        return 1
    if bpm <= 120:
        return 2
    return 4


def _cows(answers: Mapping[str, int], total: int, extras: Mapping[str, object]) -> Interpretation:
    band = band_for(COWS_BANDS, total)
    said = [_said(N_("COWS total %(total)s of 48: %(band)s."), total=total, band=_label(band))]
    return _meant(total, band, (), said, ("wesson-ling-2003", "mdapp-cows"))


# --- PHQ-9, GAD-7 -----------------------------------------------------------------------------------

PHQ9_BANDS = (
    Band(0, 4, "minimal", N_("minimal or no depression symptoms")),
    Band(5, 9, "mild", N_("mild depression symptoms")),
    Band(10, 14, "moderate", N_("moderate depression symptoms")),
    Band(15, 19, "moderately_severe", N_("moderately severe depression symptoms")),
    Band(20, 27, "severe", N_("severe depression symptoms")),
)
GAD7_BANDS = (
    Band(0, 4, "minimal", N_("minimal anxiety symptoms")),
    Band(5, 9, "mild", N_("mild anxiety symptoms")),
    Band(10, 14, "moderate", N_("moderate anxiety symptoms")),
    Band(15, 21, "severe", N_("severe anxiety symptoms")),
)
POSITIVE_SCREEN_AT = 10  # PHQ-9 and GAD-7


def _phq9(answers: Mapping[str, int], total: int, extras: Mapping[str, object]) -> Interpretation:
    band = band_for(PHQ9_BANDS, total)
    flags: list[str] = []
    said = [_said(N_("PHQ-9 total %(total)s of 27: %(band)s."), total=total, band=_label(band))]
    if total >= POSITIVE_SCREEN_AT:
        flags.append("positive_screen")
        said.append(
            _said(N_("A total of %(at)s or more is a positive screen for depression."), at=POSITIVE_SCREEN_AT)
        )
    if answers.get("phq9_9", 0) >= 1:
        flags += ["item9_positive", "suicide_risk"]
        said.append(
            _said(
                N_(
                    "Question 9 (thoughts of death or self-harm) was answered above 0: a same-day suicide "
                    "risk assessment is needed, whatever the total."
                )
            )
        )
    return _meant(total, band, flags, said, ("kroenke-2001", "keel-conflict-16"))


def _gad7(answers: Mapping[str, int], total: int, extras: Mapping[str, object]) -> Interpretation:
    band = band_for(GAD7_BANDS, total)
    flags: list[str] = []
    said = [_said(N_("GAD-7 total %(total)s of 21: %(band)s."), total=total, band=_label(band))]
    if total >= POSITIVE_SCREEN_AT:
        flags.append("positive_screen")
        said.append(
            _said(N_("A total of %(at)s or more is a positive screen for anxiety."), at=POSITIVE_SCREEN_AT)
        )
    return _meant(total, band, flags, said, ("spitzer-2006",))


# --- SOWS -------------------------------------------------------------------------------------------


def _sows(answers: Mapping[str, int], total: int, extras: Mapping[str, object]) -> Interpretation:
    reason = _said(
        N_("SOWS total %(total)s of 64. SOWS has no published severity bands, so Keel shows the score only."),
        total=total,
    )
    return _meant(total, None, (), [reason], ("handelsman-1987", "emcdda-sows"))


# --- DSM-5 opioid use disorder ------------------------------------------------------------------------

DSM5_BANDS = (
    Band(0, 1, "none", "does not meet the criteria for opioid use disorder"),
    Band(2, 3, "mild", "mild opioid use disorder"),
    Band(4, 5, "moderate", "moderate opioid use disorder"),
    Band(6, 11, "severe", "severe opioid use disorder"),
)
DSM5_CRAVING = "dsm5_4"
DSM5_SUPERVISION_EXEMPT = ("dsm5_10", "dsm5_11")  # tolerance, withdrawal
EARLY_REMISSION_MONTHS = diagnosis.EARLY_REMISSION_MONTHS
SUSTAINED_REMISSION_MONTHS = diagnosis.SUSTAINED_REMISSION_MONTHS
_REMISSION_WORDS = {diagnosis.EARLY: "in early remission", diagnosis.SUSTAINED: "in sustained remission"}


def dsm5_findings(answers: Mapping[str, Any], extras: Mapping[str, Any]) -> diagnosis.Findings:
    met = frozenset(int(k.removeprefix("dsm5_")) for k, v in answers.items() if v == 1)
    return diagnosis.Findings(
        met=met,
        medical_supervision=bool(extras.get("medical_supervision")),
        on_maintenance_therapy=bool(extras.get("on_maintenance_therapy")),
        prior_oud=bool(extras.get("prior_oud")),
        months_without_criteria=extras.get("months_without_criteria"),
        prior_severity=extras.get("prior_severity"),
        controlled_environment=bool(extras.get("controlled_environment")),
    )


def dsm5_band(d: diagnosis.Diagnosis) -> Band:
    """The diagnosis as a band: the severity, or the severity and the remission (never blank)."""
    if d.status == diagnosis.ACTIVE and d.severity:
        return next(b for b in DSM5_BANDS if b.code == d.severity)
    if d.in_remission and d.severity:
        low, high = {"mild": (0, 3), "moderate": (0, 5), "severe": (0, 11)}[d.severity]
        label = f"{d.severity} opioid use disorder, {_REMISSION_WORDS[d.status]}"
        return Band(low, high, d.band, label)
    return DSM5_BANDS[0]


def _dsm5(answers: Mapping[str, int], total: int, extras: Mapping[str, object]) -> Interpretation:
    d = diagnosis.diagnose(dsm5_findings(answers, extras))
    band = dsm5_band(d)
    flags = ((d.status,) if d.in_remission else ()) + d.specifiers
    sources = diagnosis.SOURCES + (diagnosis.CODE_SOURCES if d.codes else ())
    return Interpretation(d.counted, band, flags, d.reasons, sources, said=d.said)


def dsm5_consistency(answers: Mapping[str, object], extras: Mapping[str, object]) -> list[ItemError]:
    """Answers and time frame that contradict each other, named by field (see keel.core.diagnosis)."""
    found = diagnosis.problems(dsm5_findings(answers, extras))
    return [
        ItemError(
            f"extras.{p.field}" if p.field != "answers" else "answers",
            p.reason,
            p.template,
            p.params,
            p.codes,
        )
        for p in found
    ]


DSM5_EXTRAS = (
    Extra(
        "medical_supervision",
        "bool",
        default=False,
        help="clinician attests opioids are taken solely under appropriate medical supervision",
    ),
    Extra("prior_oud", "bool", default=False, help="full OUD criteria were met before"),
    Extra(
        "months_without_criteria",
        "int",
        minimum=0,
        maximum=diagnosis.MONTHS_CEILING,
        help="months since a criterion other than craving was last met (for remission)",
    ),
    Extra(
        "prior_severity",
        "choice",
        choices=diagnosis.SEVERITIES,
        help="the severity when the criteria were last met (chooses the remission code)",
    ),
    Extra("on_maintenance_therapy", "bool", default=False),
    Extra("controlled_environment", "bool", default=False),
)


# --- BAM ----------------------------------------------------------------------------------------------

BAM_USE = ("bam_4", "bam_5", "bam_6")
BAM_RISK = ("bam_1", "bam_2", "bam_3", "bam_8", "bam_11", "bam_15")
BAM_PROTECTIVE = ("bam_9", "bam_10", "bam_12", "bam_13", "bam_14", "bam_16")
BAM_USE_FLAG_AT = 1
BAM_RISK_FLAG_AT = 12
BAM_PROTECTIVE_FLAG_AT = 12


def _bam(answers: Mapping[str, int], total: int, extras: Mapping[str, object]) -> Interpretation:
    use = sum(answers[k] for k in BAM_USE)
    risk = sum(answers[k] for k in BAM_RISK)
    protective = sum(answers[k] for k in BAM_PROTECTIVE)
    strict = extras.get("protective_comparison", "le") == "lt"
    low_protection = protective < BAM_PROTECTIVE_FLAG_AT if strict else protective <= BAM_PROTECTIVE_FLAG_AT
    flags = [
        name
        for name, on in (
            ("use", use >= BAM_USE_FLAG_AT),
            ("risk", risk >= BAM_RISK_FLAG_AT),
            ("low_protective", low_protection),
        )
        if on
    ]
    said = (
        _said(
            N_("Use %(use)s of 12, risk factors %(risk)s of 24, protective factors %(protective)s of 24."),
            use=use,
            risk=risk,
            protective=protective,
        ),
        _said(
            N_(
                "Flags follow a vendor's published cut-offs (use >= 1, risk >= 12, protective %(sign)s 12), "
                "not the VA manual; item-level review comes first."
            ),
            sign="<" if strict else "<=",  # a sign, the same in every language
        ),
        _said(
            N_("Satisfaction with progress (item 17): %(satisfaction)s of 4, outside all composites."),
            satisfaction=answers["bam_17"],
        ),
    )
    composites = {"use": use, "risk": risk, "protective": protective, "satisfaction": answers["bam_17"]}
    return _meant(None, None, flags, said, ("cacciola-2013", "blueprint-bam"), composites)


BAM_EXTRAS = (
    Extra(
        "protective_comparison",
        "choice",
        choices=("le", "lt"),
        default="le",
        help="flag protective factors at <= 12 (default) or < 12",
    ),
)


def bam_consistency(answers: Mapping[str, object]) -> list[ItemError]:
    """Heavy-drinking days (item 5) cannot be more than days with any alcohol (item 4): both are answered in
    the same day ranges (0, 1-3, 4-8, 9-15, 16-30), so a higher range for item 5 contradicts item 4 [S]."""
    any_days, heavy_days = answers.get("bam_4"), answers.get("bam_5")
    if isinstance(any_days, int) and isinstance(heavy_days, int) and heavy_days > any_days:
        return [
            ItemError(
                "bam_5",
                N_(
                    "must not be more than item bam_4: heavy-drinking days cannot exceed the days with any "
                    "alcohol"
                ),
            )
        ]
    return []


# --- C-SSRS screener ----------------------------------------------------------------------------------

CSSRS_LEVELS = (
    Band(0, 0, "none", "no risk identified"),
    Band(1, 1, "low", "low risk"),
    Band(2, 2, "moderate", "moderate risk"),
    Band(3, 3, "high", "high risk"),
)


def _cssrs(answers: Mapping[str, int], total: int, extras: Mapping[str, object]) -> Interpretation:
    yes = {k for k, v in answers.items() if v == 1}
    level, reasons = 0, []
    if yes & {"cssrs_1", "cssrs_2"}:
        level = max(level, 1)
        reasons.append(N_("A wish to be dead or thoughts of suicide in the past month: at least low risk."))
    if "cssrs_3" in yes:
        level = max(level, 2)
        reasons.append(N_("Thought about how: moderate risk."))
    if "cssrs_6" in yes and "cssrs_6b" not in yes:
        level = max(level, 2)
        reasons.append(N_("Suicidal behaviour more than 3 months ago: moderate risk."))
    if yes & {"cssrs_4", "cssrs_5"}:
        level = 3
        reasons.append(N_("Intent or a plan in the past month: high risk. Do not leave the person alone."))
    if "cssrs_6b" in yes:
        level = 3
        reasons.append(
            N_("Suicidal behaviour in the past 3 months: high risk. Do not leave the person alone.")
        )
    band = CSSRS_LEVELS[level]
    if not reasons:
        reasons.append(N_("No positive answers: no risk identified by the screener."))
    flags = ("suicide_risk", f"suicide_risk_{band.code}") if level else ()
    return Interpretation(None, band, flags, tuple(reasons), ("columbia-cssrs-screen", "columbia-triage"))


# --- ORT ----------------------------------------------------------------------------------------------

ORT_WEIGHTS: dict[str, tuple[int, int]] = {  # (female, male)
    "ort_family_alcohol": (1, 3),
    "ort_family_illegal": (2, 3),
    "ort_family_rx": (4, 4),
    "ort_personal_alcohol": (3, 3),
    "ort_personal_illegal": (4, 4),
    "ort_personal_rx": (5, 5),
    "ort_age_16_45": (1, 1),
    "ort_preadolescent_sexual_abuse": (3, 0),
    "ort_psych_add_ocd_bipolar_schizophrenia": (2, 2),
    "ort_depression": (1, 1),
}
ORT_BANDS = (
    Band(0, 3, "low", N_("low risk")),
    Band(4, 7, "moderate", N_("moderate risk")),
    Band(8, 26, "high", N_("high risk")),
)
# The reason by the weights used (the sex is said by the sentence, never as a loose word)
_ORT_REASON = {
    "female": N_(
        "ORT total %(score)s of 26 with female weights: %(band)s of aberrant drug-related behaviour with "
        "opioid therapy for pain."
    ),
    "male": N_(
        "ORT total %(score)s of 26 with male weights: %(band)s of aberrant drug-related behaviour with "
        "opioid therapy for pain."
    ),
}


def _ort(answers: Mapping[str, int], total: int, extras: Mapping[str, object]) -> Interpretation:
    column = 0 if extras["sex"] == "female" else 1
    score = sum(ORT_WEIGHTS[k][column] for k, v in answers.items() if v == 1)
    band = band_for(ORT_BANDS, score)
    reason = _said(_ORT_REASON["female" if column == 0 else "male"], score=score, band=_label(band))
    return _meant(score, band, (), [reason], ("webster-2005",))


ORT_EXTRAS = (
    Extra("sex", "choice", required=True, choices=("female", "male"), help=N_("selects the item weights")),
)


# --- Registry of interpreters -------------------------------------------------------------------------

Interpreter = Callable[[Mapping[str, int], int, Mapping[str, Any]], Interpretation]

INTERPRETERS: dict[str, Interpreter] = {
    "cows": _cows,
    "phq9": _phq9,
    "gad7": _gad7,
    "sows": _sows,
    "dsm5-oud": _dsm5,
    "bam": _bam,
    "cssrs-screen": _cssrs,
    "ort": _ort,
}
# Each instrument's bands (none: SOWS has no published bands, the BAM is read item by item); every band needs
# its words on the pages (`keel.assessments.meaning.MEANING`, tests/assessments/test_meaning_complete.py).
BANDS: dict[str, tuple[Band, ...]] = {
    "cows": COWS_BANDS,
    "phq9": PHQ9_BANDS,
    "gad7": GAD7_BANDS,
    "sows": (),
    "dsm5-oud": DSM5_BANDS,
    "bam": (),
    "cssrs-screen": CSSRS_LEVELS,
    "ort": ORT_BANDS,
}


def top_of_scale(instrument: Instrument) -> int:
    """The highest total an instrument reports, the top of its chart: its last band's end (ORT's weighted
    total reaches 26, beyond its items' plain sum of 10), else the plain sum of its items' highest answers
    (SOWS, 64)."""
    bands = BANDS.get(instrument.code)
    return bands[-1].high if bands else instrument.total_range[1]


EXTRAS: dict[str, tuple[Extra, ...]] = {"dsm5-oud": DSM5_EXTRAS, "bam": BAM_EXTRAS, "ort": ORT_EXTRAS}
CONSISTENCY: dict[str, Callable[[Mapping[str, Any]], list[ItemError]]] = {"bam": bam_consistency}
# Checks that need the extra inputs too (run once the items and the extras are each valid).
CROSS_CHECKS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], list[ItemError]]] = {
    "dsm5-oud": dsm5_consistency
}


def must_be_one_of(item: str, choices: tuple[str, ...]) -> ItemError:
    """A choice not among `choices`, said in plain words ("must be mild, moderate or severe"): the choices are
    the values to send, so they stay as they are in every language; the words around them are translated."""
    words = [str(c) for c in choices]
    if len(words) < 2:
        return ItemError.said(item, N_("must be %(choices)s"), ("choices",), choices=", ".join(words))
    return ItemError.said(
        item,
        N_("must be %(choices)s or %(last)s"),
        ("choices", "last"),
        choices=", ".join(words[:-1]),
        last=words[-1],
    )


def extra_errors(code: str, extras: Mapping[str, object]) -> tuple[dict[str, Any], list[ItemError]]:
    """Validate and complete an instrument's extra inputs: (values with defaults, problems)."""
    spec = {e.name: e for e in EXTRAS.get(code, ())}
    errors = [
        ItemError(f"extras.{k}", N_("not an input of this instrument")) for k in extras if k not in spec
    ]
    values: dict[str, Any] = {}
    for e in spec.values():
        value = extras.get(e.name, e.default)
        if value is None:
            if e.required:
                errors.append(
                    ItemError.said(
                        f"extras.{e.name}", N_("missing: %(value)s"), value=e.help or N_("required")
                    )
                )
            values[e.name] = None
            continue
        ok = (
            (e.kind == "bool" and isinstance(value, bool))
            or (e.kind == "choice" and value in e.choices)
            or (
                e.kind == "int"
                and isinstance(value, int)
                and not isinstance(value, bool)
                and (e.minimum is None or value >= e.minimum)
                and (e.maximum is None or value <= e.maximum)
            )
        )
        if not ok:
            errors.append(_wrong_extra(e))
        values[e.name] = value
    return values, errors


def _wrong_extra(e: Extra) -> ItemError:
    """An extra input of the wrong kind or out of its range, each said from a template marked here."""
    name = f"extras.{e.name}"
    if e.kind == "bool":
        return ItemError(name, N_("must be true or false"))
    if e.kind == "choice":
        return must_be_one_of(name, e.choices)
    if e.maximum is None:
        return ItemError.said(name, N_("must be a whole number of at least %(minimum)s"), minimum=e.minimum)
    return ItemError.said(
        name,
        N_("must be a whole number of at least %(minimum)s and at most %(maximum)s"),
        minimum=e.minimum,
        maximum=e.maximum,
    )
