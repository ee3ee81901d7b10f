"""The opioid use disorder diagnosis as a FHIR R4 Condition, coded in ICD-10-CM and SNOMED CT.

From the latest DSM-5 opioid use disorder result (severity by criteria met: 2-3 mild, 4-5 moderate,
6+ severe).
Codes from keel.core.diagnosis (the one definition; cited there: `icd10cm-f11`, `icd10cm-f11-inclusion`,
`hl7-mcode-elixhauser`, `snomed-oud`; the same pairing in the HL7 SHIFT task force's OUD example,
`shift-demo-oud`): mild F11.10 Opioid abuse, uncomplicated + SNOMED 5602001 Opioid abuse; moderate or severe
F11.20 Opioid dependence, uncomplicated + SNOMED 75544000 Opioid dependence; in early or sustained remission
F11.11 / F11.21 with clinical status `remission`, the remission and the specifiers (on maintenance therapy, in
a controlled environment) in the code's text. Severity in SNOMED CT as FHIR R4's
condition-severity value set codes it (255604002 mild, 6736007 moderate, 24484000 severe; `fhir-r4`).
Category `problem-list-item`. A self-check the person filled alone (her account a patient's or a
self-guided one, `SELF_CHECK_ROLES`) is `provisional`; a clinician's, `confirmed`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from keel.assessments.fhir import changed_at
from keel.assessments.queries import SELF_CHECK_ROLES
from keel.core import diagnosis
from keel.interop.fhir.base import ICD10CM, SNOMED, instant, last_updated, ref

if TYPE_CHECKING:
    from keel.assessments.models import Assessment

CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
SEVERITY = {
    "mild": ("255604002", "Mild"),
    "moderate": ("6736007", "Moderate"),
    "severe": ("24484000", "Severe"),
}
SYSTEMS = {"icd10cm": ICD10CM, "snomed": SNOMED}
REMISSION_TEXT = {"early_remission": "in early remission", "sustained_remission": "in sustained remission"}
SPECIFIER_TEXT = {
    "on_maintenance_therapy": "on maintenance therapy",
    "in_controlled_environment": "in a controlled environment",
}


def condition(
    a: Assessment, *changed: datetime, band: str | None = None, refuted: bool = False
) -> dict[str, Any]:
    """One DSM-5 result that is (or said, `band`) an opioid use disorder (active or in remission) as a
    Condition; struck or refuted, `verificationStatus` says so (`_no_longer_stands`). `changed`: other times
    the resource changed (strikes of later results, review 36g hole 4; a later result that refutes it, a
    strike that handed it over: lane fix37a)."""
    band = band or a.band
    parsed = diagnosis.parse_band(band)
    codes = diagnosis.codes_for(band)
    if parsed is None or codes is None:
        raise ValueError(f"not an opioid use disorder band: {band!r}")
    severity, status = parsed
    remission = status != diagnosis.ACTIVE
    severity_code, severity_text = SEVERITY[severity]
    staff = getattr(a.filled_by, "role", "") not in SELF_CHECK_ROLES  # one definition of a self-check
    flags = (a.result.get("flags") or []) if isinstance(a.result, dict) and band == a.band else []
    words = [f"Opioid use disorder, {severity}"]
    if remission:
        words.append(REMISSION_TEXT[status])
    words += [SPECIFIER_TEXT[f] for f in flags if f in SPECIFIER_TEXT]
    out: dict[str, Any] = {
        "resourceType": "Condition",
        "id": f"oud-{a.pk}",
        "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "remission" if remission else "active"}]},
        "verificationStatus": {
            "coding": [{"system": VERIFICATION, "code": "confirmed" if staff else "provisional"}]
        },
        "category": [
            {"coding": [{"system": CATEGORY, "code": "problem-list-item", "display": "Problem List Item"}]}
        ],
        "severity": {"coding": [{"system": SNOMED, "code": severity_code, "display": severity_text}]},
        "code": {
            "coding": [{"system": SYSTEMS[c.system], "code": c.code, "display": c.display} for c in codes],
            "text": ", ".join(words),
        },
        "subject": ref("Patient", a.patient_id),
        "recordedDate": instant(a.filled_at),
        "evidence": [{"detail": [ref("QuestionnaireResponse", f"assessment-{a.pk}")]}],
    }
    out["recorder"] = ref("Practitioner", a.filled_by_id) if staff else ref("Patient", a.patient_id)
    _no_longer_stands(out, struck=_struck(a), refuted=refuted)
    # its correction's time once corrected (review 33e hole 4), and any later result's strike (36g hole 4)
    return last_updated(out, changed_at(a), *changed)


def _no_longer_stands(out: dict[str, object], *, struck: bool, refuted: bool) -> None:
    """R4 Condition.verificationStatus for a diagnosis that no longer stands (lane fix37a). Struck as entered
    in error (the wrong person, the wrong form): `entered-in-error`, "the statement was entered in error and
    is not valid": the record it came from is not valid, so Keel says nothing of the condition itself, and
    `clinicalStatus` is absent (con-5; review 36g hole 3). Refuted: the result stands, corrected below two
    criteria, or a later result (a clinician's over a self-check) says the criteria are not met: `refuted`,
    "ruled out by diagnostic and clinical evidence": that result is the evidence, and the statement was not
    made in error; `clinicalStatus` `inactive` ("no longer evidence of the condition"; con-3: a problem-list
    item not entered in error keeps one; never `resolved`, which says she had it)."""
    if struck:
        del out["clinicalStatus"]
        out["verificationStatus"] = {"coding": [{"system": VERIFICATION, "code": "entered-in-error"}]}
    elif refuted:
        out["clinicalStatus"] = {"coding": [{"system": CLINICAL, "code": "inactive"}]}
        out["verificationStatus"] = {"coding": [{"system": VERIFICATION, "code": "refuted"}]}


def _struck(a: Assessment) -> bool:
    return bool(getattr(a, "entered_in_error", False))


def said_diagnosis(a: Assessment) -> str | None:
    """The last diagnosis band `a` said, as entered or as a correction (`bands_said`), else None: a result
    that once said one may have been sent as the Condition."""
    said = getattr(a, "bands_said", ()) or (a.band,)
    return next((b for b in reversed(said) if b in diagnosis.BANDS), None)


def _dsm(assessments: Iterable[Assessment]) -> list[Assessment]:
    return sorted((a for a in assessments if a.instrument == "dsm5-oud"), key=lambda a: (a.filled_at, a.pk))


def condition_for(
    assessments: list[Assessment],
    *,
    outranked: Iterable[Assessment] = (),
    handed_over: Iterable[datetime] = (),
    outranked_last: bool = False,
) -> dict[str, Any] | None:
    """The Condition from the latest of these DSM-5 results that stands, when it is an opioid use disorder
    (active or in remission). Once a result said a diagnosis, the Condition never goes (a 404 would leave
    another system holding it; review 36g hole 3, lane fix37a): when the latest result that stands is no
    diagnosis, it is the latest result that stands and once said one, `refuted` (a later "does not meet the
    criteria", or its own correction below two criteria); else the latest struck one, entered in error;
    else a self-check that a clinician's "not met" outranks (`outranked`: only those that were once the
    Condition, `once_the_condition`), refuted; of these two, the one that last stood as the Condition first
    (`outranked_last`: the self-check, when it stood after the last strike; lane fix37i, re37f 2).
    `meta.lastUpdated`: the
    latest change of what it is built from: its result, the results whose change changed it
    (`_changed_it`), the clinicians' results that outrank a self-check, `handed_over` (the strikes that
    handed it to a self-check: `record._conditions`). No clock (lane fix38c): remission is the DSM-5 result's
    own specifier, as the clinician recorded it; Keel never infers it from the time since."""
    dsm = _dsm(assessments)
    standing = [a for a in dsm if not _struck(a)]
    found = _basis(standing, dsm, _dsm(outranked), outranked_last=outranked_last)
    if found is None:
        return None
    basis, outranking = found
    band = said_diagnosis(basis)
    times = [changed_at(a) for a in (*_changed_it(basis, dsm), *outranking)] + list(handed_over)
    refuted = basis is not (standing[-1] if standing else None) or band != basis.band
    return condition(basis, *times, band=band, refuted=refuted)


def _changed_it(basis: Assessment, dsm: list[Assessment]) -> list[Assessment]:
    """The results whose last change (`changed_at`) changed what the Condition says. A standing basis: every
    later result (a strike that made it the latest again, review 36g hole 4; a later "not met" that refutes
    it). A struck basis (no result that stands ever said a diagnosis): the strikes of the results that said
    one, the last of which left it entered in error (the strike of the earlier one too, when the later was
    struck first); what follows says no diagnosis and changes nothing."""
    if _struck(basis):
        return [a for a in dsm if _struck(a) and said_diagnosis(a) is not None]
    return dsm[dsm.index(basis) + 1 :] if basis in dsm else []


def _basis(
    standing: list[Assessment], dsm: list[Assessment], outranked: list[Assessment], *, outranked_last: bool
) -> tuple[Assessment, list[Assessment]] | None:
    """The result the Condition is built from and the results outranking it (a self-check's: the
    clinicians'), by `condition_for`'s order: the latest standing result that said a diagnosis, else the
    latest of any (struck) and an outranked self-check's, the one that last stood as the Condition first."""
    pools = [(dsm, []), (outranked, dsm)]
    for pool, outranking in [(standing, []), *(pools[::-1] if outranked_last else pools)]:
        basis = next((a for a in reversed(pool) if said_diagnosis(a) is not None), None)
        if basis is not None:
            return basis, outranking
    return None


def once_the_condition(
    events: Iterable[tuple[Assessment, bool]], clinicians: set[int]
) -> tuple[set[int], bool]:
    """The self-checks that were once the Condition, and whether one stood as it after the last strike of a
    clinician's diagnosis (lane fix37i, re37f 1-2), from the DSM-5 results entered and struck (`True`) in the
    order it happened. The self-checks are the Condition while none of the clinicians' results (`clinicians`)
    stands (`record._diagnosing`): each self-check filled then, or standing when a strike left none (it was
    handed over), was once the Condition. One filled while a clinician's result stands never was: it is
    outranked from the start, and sending it (refuted) would put an opioid use disorder Condition in a record
    that never held one (42 CFR Part 2, minimum necessary)."""
    standing: set[int] = set()
    seen: set[int] = set()
    once: set[int] = set()
    self_last = False
    for a, struck in events:
        if a.pk in clinicians:
            (standing.discard if struck else standing.add)(a.pk)
            self_last = self_last and not (struck and said_diagnosis(a) is not None)
        elif said_diagnosis(a) is not None:
            seen.add(a.pk)
        if not standing and seen:
            once |= seen
            self_last = True
    return once, self_last
