"""DSM-5 OUD, BAM, C-SSRS screener and ORT: the reference's vectors 10-17 and 24-36, and their edges."""

from __future__ import annotations

from typing import Any

import pytest

from keel.core.instruments.model import InvalidAnswers
from keel.core.instruments.scoring import score


def dsm5(met: set[int]) -> dict[str, int]:
    return {f"dsm5_{i}": int(i in met) for i in range(1, 12)}


# --- DSM-5 OUD (vectors 10-17) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("met", "supervised", "count", "band"),
    [
        ({1, 2, 4}, False, 3, "mild"),  # 10
        ({1, 2, 3, 4}, False, 4, "moderate"),  # 11
        ({1, 2, 3, 4, 5}, False, 5, "moderate"),  # 11
        ({1, 2, 3, 4, 10, 11}, False, 6, "severe"),  # 12
        ({4}, False, 1, "none"),  # 13: needs at least 2
        ({10, 11}, True, 0, "none"),  # 14: tolerance and withdrawal dropped under supervision
        ({3, 4, 10, 11}, True, 2, "mild"),  # 15
        ({3, 4, 10, 11}, False, 4, "moderate"),  # 15
        (set(), False, 0, "none"),
        (set(range(1, 12)), False, 11, "severe"),
    ],
)
def test_dsm5_severity(met: set[int], supervised: bool, count: int, band: str) -> None:
    result = score("dsm5-oud", dsm5(met), {"medical_supervision": supervised})
    assert (result.total, result.band.code) == (count, band)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("met", "months", "flag"),
    [
        ({1, 2, 4}, 4, "early_remission"),  # 16: craving may remain (criteria earlier in the 12 months)
        ({1, 2}, 2, None),  # 17: not yet
        ({1, 2}, 3, "early_remission"),  # 17: exactly 3 months
        ({1, 2}, 11, "early_remission"),
        ({4}, 12, "sustained_remission"),  # 17: 12 months, craving still present
        ({1}, 2, None),  # a criterion other than craving in the last 3 months: no remission
    ],
)
def test_dsm5_remission_specifiers(met: set[int], months: int, flag: str | None) -> None:
    extras = {"prior_oud": True, "months_without_criteria": months, "prior_severity": "moderate"}
    result = score("dsm5-oud", dsm5(met), extras)
    remission = [f for f in result.flags if f.endswith("remission")]
    assert remission == ([flag] if flag else [])
    if flag:
        assert result.band is not None and result.band.code.endswith(
            flag
        )  # severity and remission, never blank


def test_remission_needs_a_prior_diagnosis() -> None:
    result = score("dsm5-oud", dsm5({6}), {"prior_oud": False, "months_without_criteria": 5})
    assert result.flags == ()


def test_maintenance_and_controlled_environment_specifiers_attach_to_remission() -> None:
    extras = {
        "prior_oud": True,
        "months_without_criteria": 14,
        "prior_severity": "severe",
        "on_maintenance_therapy": True,
        "controlled_environment": True,
    }
    result = score("dsm5-oud", dsm5(set()), extras)
    assert result.flags == ("sustained_remission", "on_maintenance_therapy", "in_controlled_environment")
    not_remitted = score("dsm5-oud", dsm5({1, 2}), {**extras, "months_without_criteria": 1})
    assert not_remitted.flags == ()


@pytest.mark.parametrize(
    ("extras", "field"),
    [
        ({"medical_supervision": "yes"}, "extras.medical_supervision"),
        ({"months_without_criteria": -1}, "extras.months_without_criteria"),
        ({"months_without_criteria": 2.5}, "extras.months_without_criteria"),
        ({"mood": 3}, "extras.mood"),
    ],
)
def test_dsm5_bad_extra_inputs_are_named(extras: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidAnswers) as error:
        score("dsm5-oud", dsm5({1}), extras)
    assert [e.item for e in error.value.errors] == [field]


# --- BAM (vectors 34-36) ------------------------------------------------------------------------------

VECTOR_34 = {
    1: 2,
    2: 1,
    3: 2,
    4: 0,
    5: 0,
    6: 3,
    8: 2,
    9: 3,
    10: 0,
    11: 2,
    12: 1,
    13: 4,
    14: 4,
    15: 1,
    16: 3,
    17: 2,
}


def bam(values: dict[int, int]) -> dict[str, int]:
    return {f"bam_{k}": v for k, v in values.items()}


def test_bam_vector_34_composites_and_flags() -> None:
    result = score("bam", bam(VECTOR_34))
    assert result.composites == {"use": 3, "risk": 10, "protective": 15, "satisfaction": 2}
    assert result.flags == ("use",)
    assert result.total is None and result.band is None  # BAM has no validated total
    assert any("vendor" in r for r in result.reasons)


def test_bam_vector_35_all_zero_flags_low_protection() -> None:
    result = score("bam", bam(dict.fromkeys(VECTOR_34, 0)))
    assert result.composites["protective"] == 0
    assert result.flags == ("low_protective",)


@pytest.mark.parametrize(("value", "ok"), [(4, True), (0, True), (2, False), (1, False)])
def test_bam_vector_36_item_14_is_no_0_or_yes_4(value: int, ok: bool) -> None:
    answers = bam(VECTOR_34 | {14: value})
    if ok:
        assert score("bam", answers).composites["protective"] == 11 + value
    else:
        with pytest.raises(InvalidAnswers):
            score("bam", answers)


@pytest.mark.parametrize(("comparison", "flagged"), [("le", True), ("lt", False)])
def test_bam_protective_flag_comparison_is_configurable_at_exactly_12(comparison: str, flagged: bool) -> None:
    answers = bam(VECTOR_34 | {9: 0, 10: 1, 12: 1, 13: 2, 14: 4, 16: 4})  # protective 12
    result = score("bam", answers, {"protective_comparison": comparison})
    assert result.composites["protective"] == 12
    assert ("low_protective" in result.flags) is flagged


def test_bam_risk_flag_at_12() -> None:
    at_12 = score("bam", bam(VECTOR_34 | {1: 3, 3: 3}))
    assert at_12.composites["risk"] == 12
    assert "risk" in at_12.flags
    at_11 = score("bam", bam(VECTOR_34 | {1: 2, 3: 3}))
    assert at_11.composites["risk"] == 11
    assert "risk" not in at_11.flags


@pytest.mark.parametrize(("any_days", "heavy_days"), [(0, 2), (0, 1), (1, 2), (2, 4), (3, 4)])
def test_bam_heavy_drinking_days_above_drinking_days_are_refused(any_days: int, heavy_days: int) -> None:
    with pytest.raises(InvalidAnswers) as error:
        score("bam", bam(VECTOR_34 | {4: any_days, 5: heavy_days}))
    assert [e.item for e in error.value.errors] == ["bam_5"]
    assert "bam_4" in error.value.errors[0].reason


@pytest.mark.parametrize(("any_days", "heavy_days"), [(0, 0), (2, 2), (4, 1), (4, 4)])
def test_bam_heavy_drinking_days_within_drinking_days_are_accepted(any_days: int, heavy_days: int) -> None:
    assert score("bam", bam(VECTOR_34 | {4: any_days, 5: heavy_days})).composites["use"] >= heavy_days


# --- C-SSRS screener (vectors 24-29) -----------------------------------------------------------------


def cssrs(**answers: int | None) -> dict[str, int | None]:
    return {f"cssrs_{k.removeprefix('q')}": v for k, v in answers.items()}


@pytest.mark.parametrize(
    ("answers", "level"),
    [
        (cssrs(q1=0, q2=0, q6=0), "none"),
        (cssrs(q1=1, q2=0, q6=0), "low"),  # 24
        (cssrs(q1=1, q2=1, q3=1, q4=0, q5=0, q6=0), "moderate"),  # 25
        (cssrs(q1=1, q2=1, q3=1, q4=1, q5=0, q6=0), "high"),  # 26
        (cssrs(q1=1, q2=1, q3=0, q4=0, q5=1, q6=0), "high"),
        (cssrs(q1=0, q2=0, q6=1, q6b=0), "moderate"),  # 27
        (cssrs(q1=0, q2=0, q6=1, q6b=1), "high"),  # 28
        (cssrs(q1=1, q2=1, q3=0, q4=0, q5=0, q6=0), "low"),
    ],
)
def test_cssrs_triage_takes_the_highest_level(answers: dict[str, int], level: str) -> None:
    result = score("cssrs-screen", answers)
    assert result.band.code == level  # type: ignore[union-attr]
    assert ("suicide_risk" in result.flags) is (level != "none")


def test_cssrs_questions_3_to_5_are_not_asked_when_question_2_is_no() -> None:  # 29
    with pytest.raises(InvalidAnswers) as error:
        score("cssrs-screen", cssrs(q1=0, q2=0, q3=1, q6=0))
    assert [e.item for e in error.value.errors] == ["cssrs_3"]
    assert "asked only when cssrs_2" in error.value.errors[0].reason


def test_cssrs_questions_3_to_5_are_required_when_question_2_is_yes() -> None:
    with pytest.raises(InvalidAnswers) as error:
        score("cssrs-screen", cssrs(q1=1, q2=1, q6=0))
    assert [e.item for e in error.value.errors] == ["cssrs_3", "cssrs_4", "cssrs_5"]


def test_cssrs_the_recency_question_follows_only_a_yes_to_question_6() -> None:
    with pytest.raises(InvalidAnswers):
        score("cssrs-screen", cssrs(q1=0, q2=0, q6=0, q6b=1))
    with pytest.raises(InvalidAnswers):
        score("cssrs-screen", cssrs(q1=0, q2=0, q6=1))


# --- ORT (vectors 30-32) ------------------------------------------------------------------------------


def ort(*checked: str) -> dict[str, int]:
    names = [
        "family_alcohol",
        "family_illegal",
        "family_rx",
        "personal_alcohol",
        "personal_illegal",
        "personal_rx",
        "age_16_45",
        "preadolescent_sexual_abuse",
        "psych_add_ocd_bipolar_schizophrenia",
        "depression",
    ]
    return {f"ort_{n}": int(n in checked) for n in names}


VECTOR_30 = ("family_alcohol", "personal_rx", "age_16_45", "preadolescent_sexual_abuse", "depression")


@pytest.mark.parametrize(
    ("sex", "checked", "total", "band"),
    [
        ("female", VECTOR_30, 11, "high"),  # 30
        ("male", VECTOR_30, 10, "high"),  # 31
        ("female", ("family_illegal", "age_16_45", "depression"), 4, "moderate"),  # 32
        ("male", ("depression",), 1, "low"),  # 32
        ("female", (), 0, "low"),
        ("male", ("family_alcohol",), 3, "low"),  # band edge 3
        ("female", ("personal_alcohol", "depression"), 4, "moderate"),  # band edge 4
        ("female", ("personal_alcohol", "personal_illegal"), 7, "moderate"),  # band edge 7
        ("female", ("personal_alcohol", "personal_rx"), 8, "high"),  # band edge 8
    ],
)
def test_ort_sex_weights_and_bands(sex: str, checked: tuple[str, ...], total: int, band: str) -> None:
    result = score("ort", ort(*checked), {"sex": sex})
    assert (result.total, result.band.code) == (total, band)  # type: ignore[union-attr]


@pytest.mark.parametrize("sex", ["female", "male"])
def test_ort_maximum_is_26_for_both_sexes(sex: str) -> None:
    everything = {k: 1 for k in ort()}
    assert score("ort", everything, {"sex": sex}).total == 26


@pytest.mark.parametrize("extras", [{}, {"sex": "other"}, {"sex": None}])
def test_ort_needs_sex_to_choose_the_weights(extras: dict[str, Any]) -> None:
    with pytest.raises(InvalidAnswers) as error:
        score("ort", ort(), extras)
    assert [e.item for e in error.value.errors] == ["extras.sex"]
