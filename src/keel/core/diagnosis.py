"""DSM-5 opioid use disorder: the diagnosis from the criteria met, their time frame and the specifiers,
with its ICD-10-CM and SNOMED CT codes. Standard library only.

Criteria [V: DSM-5-TR as reproduced in BCCSU guideline Appendix 2 (`bccsu-appendix-2`) and PMC6590307
Table 1]: at least 2 of 11 within one 12-month period; 2-3 mild, 4-5 moderate, 6 or more severe.
- Tolerance (10) and withdrawal (11) are not counted for a person taking opioids solely under appropriate
  medical supervision (a clinician's attestation, reference conflict 15).
- "On maintenance therapy" [V: BCCSU App. 2]: the person takes a prescribed agonist, partial agonist,
  agonist/antagonist or full antagonist and none of the criteria have been met for that class of medication
  "except tolerance to, or withdrawal from, the agonist". So the specifier by itself excludes 10 and 11; it
  needs no separate supervision answer. It is prescribed for opioid use disorder, so it also says the full
  criteria were met before.
- "In early remission" [V]: after full criteria were previously met, none met for at least 3 months but less
  than 12 months, except craving (4). "In sustained remission" [V]: none met at any time during 12 months or
  longer, except craving. "In a controlled environment" [V]: access to opioids is restricted; both it and
  maintenance therapy are recorded with a remission.

The time frame the clinician records: the 11 answers are the criteria met in the last 12 months (the checklist
asks so), and `months_without_criteria` is how long ago a criterion other than craving was last met (so "the
last 3 months" is `months_without_criteria >= 3`). Answers and time frame that contradict each other are
refused, naming the field. A person with earlier opioid use disorder and no criterion in the last 12 months is
in sustained remission, never "does not meet the criteria".

Codes [ICD-10-CM tabular list, F11 "Opioid related disorders"; the inclusion terms as reproduced from the
tabular list (`icd10cm-f11-inclusion`) and the code titles in HL7 mCODE's Elixhauser value set
(`hl7-mcode-elixhauser`); clinical reference, third-pass correction 12]:
F11.10 Opioid abuse, uncomplicated (mild); F11.11 Opioid abuse, in remission ("Opioid use disorder, mild, in
early/sustained remission"); F11.20 Opioid dependence, uncomplicated (moderate, severe); F11.21 Opioid
dependence, in remission ("Opioid use disorder, moderate/severe, in early/sustained remission"). The code
follows the current severity, or in remission the severity of the criteria met (DSM-5-TR: "Code based on
current severity/remission"). The specifiers maintenance therapy and controlled environment have no codes.
A co-occurring opioid intoxication, withdrawal or induced disorder is coded instead (F11.22-, F11.23,
F11.24...): Keel does not record those here. SNOMED CT [V, `snomed-oud`]: 5602001 Opioid abuse (mild),
75544000 Opioid dependence (moderate, severe); SNOMED CT has no remission concept Keel could cite, so
remission is carried by the record's status (FHIR clinicalStatus `remission`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import field as dataclass_field
from typing import Protocol

from keel.core.decision import Param, Reason
from keel.core.words import gettext_noop as N_

CRAVING = 4
TOLERANCE = 10
WITHDRAWAL = 11
CRITERIA = tuple(range(1, 12))
EARLY_REMISSION_MONTHS = 3
SUSTAINED_REMISSION_MONTHS = 12
MONTHS_CEILING = 1200  # a hundred years: anything more is a typing error
SEVERITIES = ("mild", "moderate", "severe")
NONE, ACTIVE, EARLY, SUSTAINED = "none", "active", "early_remission", "sustained_remission"
SOURCES = ("apa-dsm5-tr", "pmc6590307", "bccsu-appendix-2")
CODE_SOURCES = ("icd10cm-f11", "icd10cm-f11-inclusion", "hl7-mcode-elixhauser", "snomed-oud")


@dataclass(frozen=True)
class Code:
    system: str  # "icd10cm" or "snomed"
    code: str
    display: str


# (ICD-10-CM, SNOMED CT) by (mild or not, in remission)
_CODES = {
    (True, False): (
        Code("icd10cm", "F11.10", "Opioid abuse, uncomplicated"),
        Code("snomed", "5602001", "Opioid abuse"),
    ),
    (True, True): (
        Code("icd10cm", "F11.11", "Opioid abuse, in remission"),
        Code("snomed", "5602001", "Opioid abuse"),
    ),
    (False, False): (
        Code("icd10cm", "F11.20", "Opioid dependence, uncomplicated"),
        Code("snomed", "75544000", "Opioid dependence"),
    ),
    (False, True): (
        Code("icd10cm", "F11.21", "Opioid dependence, in remission"),
        Code("snomed", "75544000", "Opioid dependence"),
    ),
}


@dataclass(frozen=True)
class Findings:
    """What the clinician recorded: the criteria met in the last 12 months and the rest of the picture."""

    met: frozenset[int]
    medical_supervision: bool = False
    on_maintenance_therapy: bool = False
    prior_oud: bool = False
    months_without_criteria: int | None = None
    prior_severity: str | None = None  # the severity when the criteria were last met, for a remission code
    controlled_environment: bool = False


@dataclass(frozen=True)
class Problem:
    """One field's problem: `reason` in English, marked for the catalogue (`N_`); one with a value keeps its
    template and parts (`said`) so a reader is told it in their language."""

    field: str
    reason: str
    template: str = dataclass_field(default="", compare=False, repr=False)
    params: tuple[tuple[str, str], ...] = dataclass_field(default=(), compare=False, repr=False)
    codes: tuple[str, ...] = dataclass_field(default=(), compare=False, repr=False)  # values, not words

    @classmethod
    def said(cls, name: str, template: str, codes: tuple[str, ...] = (), **params: object) -> Problem:
        shown = {key: f"{value}" for key, value in params.items()}
        return cls(name, template % shown, template, tuple(shown.items()), codes)


@dataclass(frozen=True)
class Diagnosis:
    status: str  # none, active, early_remission, sustained_remission
    severity: str | None  # mild, moderate, severe; in remission the severity the code follows
    counted: int  # criteria counted in the 12 months
    specifiers: tuple[str, ...] = ()  # on_maintenance_therapy, in_controlled_environment (remission only)
    reasons: tuple[str, ...] = ()
    # the same reasons as templates (marked for the catalogue) and parameters, shown in the reader's language
    said: tuple[Reason, ...] = field(default=(), compare=False)

    @property
    def in_remission(self) -> bool:
        return self.status in (EARLY, SUSTAINED)

    @property
    def band(self) -> str:
        """One code for the whole diagnosis: none, mild..severe, or e.g. moderate_early_remission."""
        if self.status == NONE or self.severity is None:
            return NONE
        return self.severity if self.status == ACTIVE else f"{self.severity}_{self.status}"

    @property
    def codes(self) -> tuple[Code, Code] | None:
        return codes_for(self.band)


def severity_for(count: int) -> str | None:
    if count >= 6:
        return "severe"
    if count >= 4:
        return "moderate"
    if count >= 2:
        return "mild"
    return None


def parse_band(band: str | None) -> tuple[str, str] | None:
    """(severity, status) of a band code, or None for "none", blank and anything unknown."""
    if not band or band not in BANDS:
        return None
    severity, _sep, status = band.partition("_")
    return severity, status or ACTIVE


def codes_for(band: str | None) -> tuple[Code, Code] | None:
    """(ICD-10-CM, SNOMED CT) for a diagnosis band, or None when it is not an opioid use disorder."""
    parsed = parse_band(band)
    if parsed is None:
        return None
    severity, status = parsed
    return _CODES[(severity == "mild", status != ACTIVE)]


# Every band that is an opioid use disorder (active or in remission): what a measure counts as a diagnosis.
BANDS: tuple[str, ...] = tuple(
    s if status == ACTIVE else f"{s}_{status}" for status in (ACTIVE, EARLY, SUSTAINED) for s in SEVERITIES
)


def counted(f: Findings) -> frozenset[int]:
    if f.medical_supervision or f.on_maintenance_therapy:
        return f.met - {TOLERANCE, WITHDRAWAL}
    return f.met


def problems(f: Findings) -> list[Problem]:
    """Answers and time frame that contradict each other, or a remission whose code cannot be chosen."""
    return _out_of_range(f) or _contradictions(f) or _remission_without_code(f)


def _out_of_range(f: Findings) -> list[Problem]:
    """Criteria that are not DSM-5's, a prior severity of no name, months outside their bounds."""
    out: list[Problem] = []
    bad = sorted(f.met - set(CRITERIA))
    if bad:
        out.append(Problem.said("answers", N_("not DSM-5 criteria: %(items)s"), items=bad))
    if f.prior_severity is not None and f.prior_severity not in SEVERITIES:
        out.append(
            Problem.said(
                "prior_severity",
                N_("must be %(choices)s or %(last)s"),
                ("choices", "last"),
                choices=", ".join(SEVERITIES[:-1]),
                last=SEVERITIES[-1],
            )
        )
    months = f.months_without_criteria
    if months is not None and not 0 <= months <= MONTHS_CEILING:
        out.append(
            Problem.said(
                "months_without_criteria",
                N_("must be between %(low)s and %(high)s"),
                low=0,
                high=MONTHS_CEILING,
            )
        )
    return out


def _contradictions(f: Findings) -> list[Problem]:
    """Months without criteria that the last 12 months' answers contradict (craving aside)."""
    months = f.months_without_criteria
    if months is None:
        return []
    others = counted(f) - {CRAVING}
    if not others and months < SUSTAINED_REMISSION_MONTHS:
        return [
            Problem(
                "months_without_criteria",
                N_(
                    "contradicts the answers: no criterion other than craving was met in the last 12 months, "
                    "so this is 12 or more (or leave it empty)"
                ),
            )
        ]
    if others and months >= SUSTAINED_REMISSION_MONTHS:
        return [
            Problem(
                "months_without_criteria",
                N_(
                    "contradicts the answers: a criterion other than craving was met in the last 12 months, "
                    "so this is under 12"
                ),
            )
        ]
    return []


def _remission_without_code(f: Findings) -> list[Problem]:
    """A remission whose code needs the severity when the criteria were last met, and none was given."""
    d = _diagnose(f)
    if d.in_remission and d.severity is None:
        return [
            Problem(
                "prior_severity",
                N_(
                    "missing: fewer than 2 criteria in the last 12 months, so the severity when the "
                    "criteria were last met chooses the remission code"
                ),
            )
        ]
    return []


def diagnose(f: Findings) -> Diagnosis:
    """The diagnosis. Raises ValueError naming the problems; call `problems` first to report them by field."""
    found = problems(f)
    if found:
        raise ValueError("; ".join(f"{p.field}: {p.reason}" for p in found))
    return _diagnose(f)


SEVERITY_WORDS = {"mild": N_("mild"), "moderate": N_("moderate"), "severe": N_("severe")}
MAINTENANCE_NOTE = N_(
    "Keel's reading, which clinicians disagree on: DSM-5 does not count tolerance or withdrawal for a person "
    'taking opioids solely under appropriate medical supervision, and its "on maintenance therapy" '
    "specifier excepts tolerance to, or withdrawal from, the prescribed agonist; Keel counts a person on "
    "maintenance therapy as under that supervision, with no separate supervision answer."
)


class _Say(Protocol):
    """Adds one reason, with the diagnosis' sources, to the reasons said so far."""

    def __call__(self, template: str, **params: Param) -> None: ...


def _say_dropped(f: Findings, kept: frozenset[int], say: _Say) -> None:
    """Why tolerance and withdrawal were not counted, when they were met but dropped."""
    if f.met == kept:
        return
    if f.on_maintenance_therapy:
        say(
            N_(
                "Tolerance and withdrawal not counted: on maintenance therapy (tolerance to, or "
                "withdrawal from, the prescribed medication); %(dropped)s dropped."
            ),
            dropped=len(f.met - kept),
        )
        say(MAINTENANCE_NOTE)
    else:
        say(
            N_(
                "Tolerance and withdrawal not counted: opioids taken only under appropriate medical "
                "supervision (clinician attestation); %(dropped)s dropped."
            ),
            dropped=len(f.met - kept),
        )


def _status(f: Findings, count: int, others: frozenset[int], say: _Say) -> str:
    """None, active, early or sustained remission. Remission needs the full criteria met before (a prior
    diagnosis, maintenance therapy, or 2 or more criteria in the last 12 months): sustained when no criterion
    but craving in the last 12 months, early when none but craving for 3 months or more; otherwise 2 or more
    criteria is active."""
    history = f.prior_oud or f.on_maintenance_therapy or count >= 2
    months = f.months_without_criteria
    status = NONE
    if history and not others:
        status = SUSTAINED
        say(
            N_(
                "Full criteria were met before and no criterion except craving in the last 12 months: in "
                "sustained remission."
            )
        )
    elif history and months is not None and months >= EARLY_REMISSION_MONTHS:
        status = EARLY
        say(
            N_(
                "No criterion except craving for %(months)s months (3 to under 12) after the full criteria "
                "were met: in early remission."
            ),
            months=months,
        )
    elif count >= 2:
        status = ACTIVE
        if months is not None:
            say(
                N_("A criterion was met %(months)s months ago: under 3 months is not remission."),
                months=months,
            )
    elif f.prior_oud:
        say(
            N_(
                "Full criteria were met before, but a criterion other than craving was met in the last 3 "
                "months (or when is not recorded): not in remission, and fewer than 2 criteria in 12 months."
            )
        )
    return status


def _severity(f: Findings, status: str, count: int, say: _Say) -> str | None:
    """The severity of the criteria counted; in remission with fewer than 2 criteria, the severity when the
    criteria were last met. A prior severity given while the criteria counted set one is said to be unused."""
    severity: str | None = None
    if status == ACTIVE:
        severity = severity_for(count)
    elif status in (EARLY, SUSTAINED):
        severity = severity_for(count) or f.prior_severity
        if severity and severity_for(count) is None:
            say(
                N_("Severity when the criteria were last met: %(severity)s."),
                severity=SEVERITY_WORDS[severity],
            )
    if f.prior_severity is not None and severity_for(count) is not None:
        say(
            N_(
                "The severity when the criteria were last met (%(severity)s) is not used: it chooses the "
                "code only in remission with fewer than 2 criteria in the last 12 months; here the criteria "
                "counted set the severity."
            ),
            severity=SEVERITY_WORDS[f.prior_severity],
        )
    return severity


def _specifiers(f: Findings, status: str, say: _Say) -> list[str]:
    """Maintenance therapy and controlled environment, recorded only with a remission."""
    specifiers: list[str] = []
    if status in (EARLY, SUSTAINED):
        if f.on_maintenance_therapy:
            specifiers.append("on_maintenance_therapy")
            say(N_("Taking a prescribed medication for opioid use disorder: on maintenance therapy."))
        if f.controlled_environment:
            specifiers.append("in_controlled_environment")
            say(N_("Lives where access to opioids is restricted: in a controlled environment."))
    return specifiers


def _diagnose(f: Findings) -> Diagnosis:
    said: list[Reason] = []

    def say(template: str, **params: Param) -> None:
        said.append(Reason.said(template, SOURCES, **params))

    kept = counted(f)
    count = len(kept)
    others = kept - {CRAVING}
    say(N_("%(count)s of 11 criteria met in the last 12 months."), count=count)
    _say_dropped(f, kept, say)
    status = _status(f, count, others, say)
    severity = _severity(f, status, count, say)
    specifiers = _specifiers(f, status, say)
    codes = Diagnosis(status, severity, count).codes
    if codes is not None:
        said.append(
            Reason.said(
                N_("ICD-10-CM %(icd)s %(icd_display)s; SNOMED CT %(snomed)s %(snomed_display)s."),
                CODE_SOURCES,
                icd=codes[0].code,
                icd_display=codes[0].display,
                snomed=codes[1].code,
                snomed_display=codes[1].display,
            )
        )
    elif status == NONE:
        say(N_("Does not meet the criteria for opioid use disorder (needs 2 or more in 12 months)."))
    return Diagnosis(
        status, severity, count, tuple(specifiers), tuple(r.text for r in said), said=tuple(said)
    )
