"""`keel score` and `keel instruments`: the same results as the API; clear errors and exit code 2."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from keel.assessments.models import Assessment
from keel.core.instruments import registry


def _score(*args: str) -> dict[str, object]:
    out = io.StringIO()
    call_command("score", *args, stdout=out)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def test_score_prints_the_result_json() -> None:
    answers = json.dumps({f"phq9_{i}": 2 for i in range(1, 10)})
    result = _score("phq9", "--answers", answers)
    assert result["total"] == 18 and result["band"]["code"] == "moderately_severe"  # type: ignore[index]
    assert "item9_positive" in result["flags"]  # type: ignore[operator]


def test_score_passes_extra_inputs() -> None:
    answers = json.dumps({item.link_id: 0 for item in registry.get("ort").items} | {"ort_family_alcohol": 1})
    assert _score("ort", "--answers", answers, "--extras", '{"sex": "male"}')["total"] == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--answers", "{}"], "unknown instrument 'nope'"),
        (["phq9", "--answers", "{not json"], "--answers: not valid JSON"),
        (["phq9", "--answers", "[1, 2]"], "--answers: must be a JSON object"),
        (["phq9", "--answers", '{"phq9_1": 7}'], "phq9_1: 7 is not allowed"),
        (["ort", "--answers", "{}", "--extras", '{"sex": "x"}'], "extras.sex: must be female or male"),
    ],
)
def test_score_rejects_bad_input_with_exit_code_2(args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as error:
        call_command("score", *args, stdout=io.StringIO())
    assert error.value.returncode == 2
    assert message in str(error.value)


@pytest.mark.django_db
@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.sampled_from(["pulse", "sweating", "restlessness", "bogus"]), st.integers(-2, 9)))
def test_any_invalid_cows_input_through_the_cli_exits_2_and_stores_nothing(answers: dict[str, int]) -> None:
    with pytest.raises(CommandError) as error:
        call_command("score", "cows", "--answers", json.dumps(answers), stdout=io.StringIO())
    assert error.value.returncode == 2
    assert Assessment.objects.count() == 0


def test_instruments_lists_the_catalog() -> None:
    out = io.StringIO()
    call_command("instruments", stdout=out)
    text = out.getvalue()
    assert all(
        code in text for code in ["bam", "cows", "cssrs-screen", "dsm5-oud", "gad7", "ort", "phq9", "sows"]
    )


def test_the_real_keel_score_command_exits_2_on_bad_answers(tmp_path: Path) -> None:
    keel = Path(sys.executable).parent / "keel"
    env = dict(os.environ, KEEL_DATA_DIR=str(tmp_path))
    env.pop("KEEL_DATABASE_URL", None)
    bad = subprocess.run(
        [str(keel), "score", "cows", "--answers", '{"pulse": 3}'],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert bad.returncode == 2
    assert "pulse: 3 is not allowed" in bad.stderr
    assert "sweating: missing" in bad.stderr
