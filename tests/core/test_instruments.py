"""COWS, PHQ-9 and GAD-7: the clinical reference's test vectors, every band edge, validation, properties."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keel.core.instruments import registry
from keel.core.instruments.interpretation import (
    COWS_BANDS,
    DSM5_BANDS,
    GAD7_BANDS,
    ORT_BANDS,
    PHQ9_BANDS,
    band_for,
    cows_pulse_score,
)
from keel.core.instruments.model import InvalidAnswers
from keel.core.instruments.registry import UnknownInstrument
from keel.core.instruments.scoring import score

COWS_ORDER = [
    "pulse",
    "sweating",
    "restlessness",
    "pupils",
    "aches",
    "nose_eyes",
    "gi_upset",
    "tremor",
    "yawning",
    "anxiety",
    "gooseflesh",
]


def cows(values: list[int]) -> dict[str, int]:
    return dict(zip(COWS_ORDER, values, strict=True))


def phq9(values: list[int]) -> dict[str, int]:
    return {f"phq9_{i + 1}": v for i, v in enumerate(values)}


def gad7(values: list[int]) -> dict[str, int]:
    return {f"gad7_{i + 1}": v for i, v in enumerate(values)}


# --- COWS (reference vectors 1-8) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "total", "band"),
    [
        ([1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0], 9, "mild"),  # vector 1
        ([0] * 11, 0, "below_mild"),  # vector 2
        ([2, 2, 3, 2, 2, 2, 2, 2, 2, 2, 3], 24, "moderate"),  # vector 3 (upper edge)
        ([4, 3, 3, 2, 2, 2, 3, 2, 2, 2, 0], 25, "moderately_severe"),  # vector 4 (lower edge)
        ([4, 4, 5, 5, 4, 4, 5, 4, 4, 4, 5], 48, "severe"),  # vector 5 (maximum)
    ],
)
def test_cows_reference_vectors(values: list[int], total: int, band: str) -> None:
    result = score("cows", cows(values))
    assert (result.total, result.band and result.band.code) == (total, band)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (4, "below_mild"),
        (5, "mild"),
        (12, "mild"),
        (13, "moderate"),
        (36, "moderately_severe"),
        (37, "severe"),
    ],
)
def test_cows_band_edges(total: int, band: str) -> None:  # vector 6
    assert band_for(COWS_BANDS, total).code == band  # type: ignore[union-attr]


@pytest.mark.parametrize(("item", "value"), [("restlessness", 2), ("pupils", 3), ("gooseflesh", 1)])
def test_cows_rejects_values_outside_the_published_set(item: str, value: int) -> None:  # vector 7
    answers = cows([0] * 11) | {item: value}
    with pytest.raises(InvalidAnswers) as error:
        score("cows", answers)
    assert [e.item for e in error.value.errors] == [item]


@pytest.mark.parametrize(("bpm", "points"), [(80, 0), (81, 1), (100, 1), (101, 2), (120, 2), (121, 4)])
def test_cows_pulse_mapping(bpm: int, points: int) -> None:  # vector 8
    assert cows_pulse_score(bpm) == points


def test_cows_allowed_values_match_the_reference_exactly() -> None:
    allowed = {i.link_id: set(i.allowed) for i in registry.get("cows").items}
    assert allowed == {
        "pulse": {0, 1, 2, 4},
        "sweating": {0, 1, 2, 3, 4},
        "restlessness": {0, 1, 3, 5},
        "pupils": {0, 1, 2, 5},
        "aches": {0, 1, 2, 4},
        "nose_eyes": {0, 1, 2, 4},
        "gi_upset": {0, 1, 2, 3, 5},
        "tremor": {0, 1, 2, 4},
        "yawning": {0, 1, 2, 4},
        "anxiety": {0, 1, 2, 4},
        "gooseflesh": {0, 3, 5},
    }
    assert registry.get("cows").total_range == (0, 48)


# --- PHQ-9 and GAD-7 (reference vectors 18-21, 23) -------------------------------------------------


@pytest.mark.parametrize(
    ("values", "total", "band", "flags"),
    [
        ([1, 1, 1, 1, 1, 1, 1, 1, 0], 8, "mild", ()),  # vector 18
        ([0, 0, 0, 0, 0, 0, 0, 0, 1], 1, "minimal", ("item9_positive", "suicide_risk")),  # vector 19
        ([2, 2, 2, 1, 1, 1, 1, 0, 0], 10, "moderate", ("positive_screen",)),  # vector 20
        ([3] * 9, 27, "severe", ("positive_screen", "item9_positive", "suicide_risk")),  # vector 21
    ],
)
def test_phq9_reference_vectors(values: list[int], total: int, band: str, flags: tuple[str, ...]) -> None:
    result = score("phq9", phq9(values))
    assert (result.total, result.band.code, result.flags) == (total, band, flags)  # type: ignore[union-attr]


def test_a_nonzero_item_nine_is_never_hidden_by_a_low_total() -> None:
    result = score("phq9", phq9([0, 0, 0, 0, 0, 0, 0, 0, 1]))
    assert "item9_positive" in result.flags
    assert any("same-day suicide risk assessment" in r for r in result.reasons)


@pytest.mark.parametrize(
    ("values", "total", "band", "positive"),
    [
        ([1, 1, 1, 1, 1, 0, 0], 5, "mild", False),
        ([2, 2, 2, 2, 1, 0, 0], 9, "mild", False),
        ([2, 2, 2, 2, 2, 0, 0], 10, "moderate", True),
        ([3, 3, 3, 3, 3, 0, 0], 15, "severe", True),
    ],
)
def test_gad7_reference_vectors(
    values: list[int], total: int, band: str, positive: bool
) -> None:  # vector 23
    result = score("gad7", gad7(values))
    assert (result.total, result.band.code) == (total, band)  # type: ignore[union-attr]
    assert ("positive_screen" in result.flags) is positive


@pytest.mark.parametrize(
    ("bands", "edges"),
    [
        (
            PHQ9_BANDS,
            {
                4: "minimal",
                5: "mild",
                9: "mild",
                10: "moderate",
                14: "moderate",
                15: "moderately_severe",
                19: "moderately_severe",
                20: "severe",
                27: "severe",
            },
        ),
        (
            GAD7_BANDS,
            {4: "minimal", 5: "mild", 9: "mild", 10: "moderate", 14: "moderate", 15: "severe", 21: "severe"},
        ),
    ],
)
def test_phq9_and_gad7_band_edges(bands: Any, edges: dict[int, str]) -> None:
    assert {t: band_for(bands, t).code for t in edges} == edges  # type: ignore[union-attr]


def test_only_verified_loinc_codes_are_used() -> None:
    phq = registry.get("phq9")
    assert [i.loinc for i in phq.items] == [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
    ]  # item 9 verified in US Core STU7's example and LOINC's panel 44249-1 (issue #16)
    assert registry.questionnaire("phq9")["code"][0]["code"] == "44249-1"
    assert [i.loinc for i in registry.get("gad7").items] == [
        "69725-0",
        "68509-9",
        "69733-4",
        "69734-2",
        "69735-9",
        "69689-8",
        "69736-7",
    ]  # LOINC's GAD-7 panel 69737-5
    assert phq.loinc_total == "44261-6"
    assert registry.get("gad7").loinc_total == "70274-6"
    assert registry.get("cows").loinc_total is None  # no verified COWS LOINC; never 72514-3
    assert "72514-3" not in str(registry.questionnaire("cows"))


# --- SOWS (reference vector 9) ---------------------------------------------------------------------


@pytest.mark.parametrize(("value", "total"), [(1, 16), (4, 64), (0, 0)])
def test_sows_sums_sixteen_items_and_shows_no_band(value: int, total: int) -> None:
    result = score("sows", {f"sows_{i}": value for i in range(1, 17)})
    assert (result.total, result.band, result.flags) == (total, None, ())
    assert "no published severity bands" in result.reasons[0]


def test_sows_rejects_a_five() -> None:
    answers = {f"sows_{i}": 0 for i in range(1, 17)} | {"sows_7": 5}
    with pytest.raises(InvalidAnswers) as error:
        score("sows", answers)
    assert [e.item for e in error.value.errors] == ["sows_7"]


# --- Validation and properties -------------------------------------------------------------------


def test_every_problem_is_named_at_once() -> None:
    answers: dict[str, Any] = phq9([0] * 8) | {"phq9_3": 7, "phq9_4": "2", "bogus": 1}
    del answers["phq9_1"]
    with pytest.raises(InvalidAnswers) as error:
        score("phq9", answers)
    reasons = {e.item: e.reason for e in error.value.errors}
    assert set(reasons) == {"bogus", "phq9_1", "phq9_3", "phq9_4", "phq9_9"}
    assert "missing" in reasons["phq9_9"]
    assert "not allowed" in reasons["phq9_3"]


def test_booleans_are_not_answers() -> None:
    with pytest.raises(InvalidAnswers):
        score("gad7", gad7([0] * 6) | {"gad7_7": True})


def test_an_unknown_instrument_says_which_exist() -> None:
    with pytest.raises(UnknownInstrument) as error:
        score("nope", {})
    assert "cows" in str(error.value)


EXTRAS_FOR = {"ort": st.fixed_dictionaries({"sex": st.sampled_from(["female", "male"])})}


@st.composite
def _valid_answers(draw: Any, code: str) -> dict[str, int]:
    """A response that follows the question flow (enableWhen) and the instrument's consistency rules."""
    instrument = registry.get(code)
    answers: dict[str, int] = {}
    for item in instrument.items:
        if instrument.is_enabled(item, answers):
            answers[item.link_id] = draw(st.sampled_from(item.allowed))
    if code == "bam":
        answers["bam_5"] = min(answers["bam_5"], answers["bam_4"])
    return answers


ALL = ["bam", "cows", "cssrs-screen", "dsm5-oud", "gad7", "ort", "phq9", "sows"]
BANDED = {
    "cows": COWS_BANDS,
    "phq9": PHQ9_BANDS,
    "gad7": GAD7_BANDS,
    "dsm5-oud": DSM5_BANDS,
    "ort": ORT_BANDS,
}


@pytest.mark.parametrize("code", sorted(BANDED))
def test_bands_cover_the_range_without_gaps_and_never_go_backwards(code: str) -> None:
    bands = BANDED[code]
    low, high = bands[0].low, bands[-1].high
    assert all(band_for(bands, t) is not None for t in range(low, high + 1))
    assert all(a.high + 1 == b.low for a, b in itertools.pairwise(bands))


@pytest.mark.parametrize("code", ALL)
def test_any_valid_response_scores_in_range_reproducibly(code: str) -> None:
    @given(_valid_answers(code), EXTRAS_FOR.get(code, st.just({})))
    def check(answers: dict[str, int], extras: dict[str, Any]) -> None:
        result = score(code, answers, extras)
        if code in BANDED:
            bands = BANDED[code]
            assert result.total is not None
            assert bands[0].low <= result.total <= bands[-1].high
        assert result == score(code, dict(answers), dict(extras))  # reproducible from (code, version, input)
        assert result.reasons
        assert result.sources

    check()


@pytest.mark.parametrize("code", ALL)
def test_any_out_of_set_value_is_rejected_naming_that_item(code: str) -> None:
    @given(_valid_answers(code), EXTRAS_FOR.get(code, st.just({})), st.data())
    def check(answers: dict[str, int], extras: dict[str, Any], data: Any) -> None:
        link_id = data.draw(st.sampled_from(sorted(answers)))
        value = data.draw(
            st.integers(-50, 50).filter(lambda v: v not in registry.get(code).item(link_id).allowed)
        )
        with pytest.raises(InvalidAnswers) as error:
            score(code, answers | {link_id: value}, extras)
        assert link_id in [e.item for e in error.value.errors]

    check()


def test_every_shipped_definition_has_an_interpreter_and_a_version() -> None:
    from keel.core.instruments.interpretation import INTERPRETERS

    assert (
        set(registry.codes())
        == set(INTERPRETERS)
        == {
            "bam",
            "cows",
            "cssrs-screen",
            "dsm5-oud",
            "gad7",
            "ort",
            "phq9",
            "sows",
        }
    )
    for code in registry.codes():
        instrument = registry.get(code)
        assert instrument.version
        assert instrument.licence
        assert registry.questionnaire(code)["resourceType"] == ("Questionnaire")
    assert registry.get("sows").total_range == (0, 64)


@pytest.mark.parametrize("code", ALL)
def test_every_item_and_answer_has_a_spanish_text(code: str) -> None:
    english, spanish = registry.get(code), registry.get(code, "es")
    assert spanish.title != english.title
    for en, es in zip(english.items, spanish.items, strict=True):
        assert es.text != en.text, en.link_id
        assert es.allowed == en.allowed and es.enable_when == en.enable_when  # language never changes rules
        for o_en, o_es in zip(en.options, es.options, strict=True):
            assert o_es.display, (
                en.link_id,
                o_en,
            )
            assert o_es.display != o_en.display or o_en.display in {"No"}, (
                en.link_id,
                o_en,
            )
