"""DSM-5 opioid use disorder (keel.core.diagnosis): severity, the maintenance-therapy specifier, early and
sustained remission from the recorded time frame, contradictions refused by field, and the ICD-10-CM and
SNOMED CT codes."""

from __future__ import annotations

from typing import Any

import pytest

from keel.core import diagnosis
from keel.core.diagnosis import Findings, codes_for, diagnose, problems
from keel.core.instruments.model import InvalidAnswers
from keel.core.instruments.scoring import score


def dsm5(met: set[int]) -> dict[str, int]:
    return {f"dsm5_{n}": int(n in met) for n in range(1, 12)}


# --- The maintenance-therapy specifier excludes tolerance and withdrawal by itself --------------------


@pytest.mark.parametrize(
    ("met", "extras", "counted", "band"),
    [
        ({3, 4, 10, 11}, {"on_maintenance_therapy": True}, 2, "mild"),
        ({3, 4, 10, 11}, {"medical_supervision": True}, 2, "mild"),
        ({3, 4, 10, 11}, {}, 4, "moderate"),
        ({1, 2, 3, 4, 10, 11}, {"on_maintenance_therapy": True}, 4, "moderate"),
        ({1, 2, 3, 4, 10, 11}, {}, 6, "severe"),
        ({10, 11}, {"medical_supervision": True}, 0, "none"),  # vector 14
    ],
)
def test_maintenance_therapy_alone_drops_tolerance_and_withdrawal(
    met: set[int], extras: dict[str, Any], counted: int, band: str
) -> None:
    result = score("dsm5-oud", dsm5(met), extras)
    assert (result.total, result.band.code if result.band else None) == (counted, band)


def test_maintenance_therapy_with_only_tolerance_and_withdrawal_is_sustained_remission() -> None:
    extras = {"on_maintenance_therapy": True, "prior_severity": "severe"}
    result = score("dsm5-oud", dsm5({10, 11}), extras)
    assert result.band is not None
    assert result.band.code == "severe_sustained_remission"
    assert result.flags == ("sustained_remission", "on_maintenance_therapy")


# --- Remission: the time frame the clinician records ------------------------------------------------


@pytest.mark.parametrize(
    ("met", "extras", "status", "band"),
    [
        # vector 16: criteria earlier in the 12 months, none but craving for 4 months
        ({1, 2, 4}, {"months_without_criteria": 4}, "early_remission", "mild_early_remission"),
        # vector 17: 2 months is not remission; exactly 3 is early; 11 is early
        ({1, 2, 3, 5}, {"months_without_criteria": 2}, "active", "moderate"),
        ({1, 2, 3, 5}, {"months_without_criteria": 3}, "early_remission", "moderate_early_remission"),
        ({1, 2, 3, 5, 6, 7}, {"months_without_criteria": 11}, "early_remission", "severe_early_remission"),
        # vector 17: no criterion in 12 months but craving, prior OUD: sustained
        (
            {4},
            {"prior_oud": True, "prior_severity": "moderate"},
            "sustained_remission",
            "moderate_sustained_remission",
        ),
        (
            {4},
            {"prior_oud": True, "months_without_criteria": 12, "prior_severity": "mild"},
            "sustained_remission",
            "mild_sustained_remission",
        ),
        # prior OUD and no current criteria at all: in remission, never "does not meet"
        (
            set(),
            {"prior_oud": True, "prior_severity": "severe"},
            "sustained_remission",
            "severe_sustained_remission",
        ),
        # one criterion earlier in the year after a prior OUD, none for 5 months: early, by the prior severity
        (
            {6},
            {"prior_oud": True, "months_without_criteria": 5, "prior_severity": "mild"},
            "early_remission",
            "mild_early_remission",
        ),
        # without a prior OUD, one criterion is no diagnosis at all
        ({6}, {"months_without_criteria": 5}, "none", "none"),
        (set(), {}, "none", "none"),
        ({4}, {}, "none", "none"),  # vector 13
        # no time frame recorded and 2+ criteria: current
        ({1, 2, 4}, {"prior_oud": True}, "active", "mild"),
    ],
)
def test_remission_table(met: set[int], extras: dict[str, Any], status: str, band: str) -> None:
    result = score("dsm5-oud", dsm5(met), extras)
    assert result.band is not None
    assert result.band.code == band
    remission = [f for f in result.flags if f.endswith("remission")]
    assert remission == ([status] if status.endswith("remission") else [])


def test_controlled_environment_is_recorded_with_a_remission() -> None:
    extras = {"prior_oud": True, "prior_severity": "moderate", "controlled_environment": True}
    result = score("dsm5-oud", dsm5(set()), extras)
    assert "in_controlled_environment" in result.flags
    assert any("controlled environment" in r for r in result.reasons)


def test_controlled_environment_is_not_a_remission_by_itself() -> None:
    result = score("dsm5-oud", dsm5({1, 2, 3}), {"controlled_environment": True})
    assert result.flags == ()


@pytest.mark.parametrize(
    ("met", "extras", "field"),
    [
        # no criterion but craving in 12 months, yet "last met 3 months ago"
        (
            {4},
            {"prior_oud": True, "months_without_criteria": 3, "prior_severity": "mild"},
            "extras.months_without_criteria",
        ),
        # a criterion in the last 12 months, yet "none for 14 months"
        ({1, 2}, {"prior_oud": True, "months_without_criteria": 14}, "extras.months_without_criteria"),
        # a remission whose code cannot be chosen: no severity recorded and fewer than 2 criteria
        ({4}, {"prior_oud": True}, "extras.prior_severity"),
        (set(), {"on_maintenance_therapy": True}, "extras.prior_severity"),
        ({1, 2}, {"prior_severity": "worst"}, "extras.prior_severity"),
        ({1, 2}, {"months_without_criteria": 5000}, "extras.months_without_criteria"),
    ],
)
def test_contradictions_are_refused_naming_the_field(
    met: set[int], extras: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidAnswers) as error:
        score("dsm5-oud", dsm5(met), extras)
    assert [e.item for e in error.value.errors] == [field]


def test_core_diagnose_raises_on_problems() -> None:
    findings = Findings(met=frozenset({4}), prior_oud=True)
    assert [p.field for p in problems(findings)] == ["prior_severity"]
    with pytest.raises(ValueError, match="prior_severity"):
        diagnose(findings)


# --- ICD-10-CM and SNOMED CT ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("band", "icd", "snomed"),
    [
        ("mild", "F11.10", "5602001"),
        ("moderate", "F11.20", "75544000"),
        ("severe", "F11.20", "75544000"),
        ("mild_early_remission", "F11.11", "5602001"),
        ("mild_sustained_remission", "F11.11", "5602001"),
        ("moderate_early_remission", "F11.21", "75544000"),
        ("moderate_sustained_remission", "F11.21", "75544000"),
        ("severe_early_remission", "F11.21", "75544000"),
        ("severe_sustained_remission", "F11.21", "75544000"),
    ],
)
def test_icd10cm_and_snomed_by_band(band: str, icd: str, snomed: str) -> None:
    codes = codes_for(band)
    assert codes is not None
    assert (codes[0].code, codes[1].code) == (icd, snomed)


@pytest.mark.parametrize("band", ["none", "", None, "moderate_partial_remission", "mild_"])
def test_no_code_when_not_a_diagnosis(band: str | None) -> None:
    assert codes_for(band) is None


def test_every_diagnosis_band_has_a_code() -> None:
    assert all(codes_for(b) is not None for b in diagnosis.BANDS)
    assert len(diagnosis.BANDS) == 9


def test_result_reasons_and_sources_carry_the_code() -> None:
    result = score("dsm5-oud", dsm5({1, 2, 3, 4}), {})
    assert any("F11.20" in r for r in result.reasons)
    assert "icd10cm-f11" in result.sources


def test_every_source_id_is_cited() -> None:
    from keel.core.sources import SOURCES

    assert set(diagnosis.SOURCES + diagnosis.CODE_SOURCES) <= set(SOURCES)
