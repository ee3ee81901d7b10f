"""Lane words22: a questionnaire's answer problems are marked for translation where the core writes them
(`N_`, `ItemError.said` with %(name)s parts), and said in the reader's language on the pages and in the
API's 422. Before, the core wrote them as English f-strings ("must be female or male", "missing: selects
the item weights", "it is asked only when cssrs_2 is 1") and the API guessed their templates back with
patterns, so a Spanish reader got English for every reason the patterns missed."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from keel.core.instruments.interpretation import extra_errors
from keel.core.instruments.model import ItemError
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[2] / "src" / "keel"
SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}


def _reason_args(call: ast.Call) -> list[ast.expr]:
    """The words of `ItemError(item, reason)`, `Problem(field, reason)` or the template of their `.said`."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else ""
    if name in ("ItemError", "Problem") and len(call.args) > 1:
        return [call.args[1]]
    if (
        isinstance(func, ast.Attribute)
        and func.attr == "said"
        and getattr(func.value, "id", "") in ("ItemError", "Problem")
        and len(call.args) > 1
    ):
        return [call.args[1]]
    return []


def _unmarked(arg: ast.expr) -> bool:
    """Words with no catalogue entry: an f-string, a literal not inside `N_(...)`, a `+` or `%` of words."""
    if isinstance(arg, ast.Call) and getattr(arg.func, "id", "") == "N_":
        return not (len(arg.args) == 1 and isinstance(arg.args[0], ast.Constant))
    return isinstance(arg, ast.JoinedStr | ast.Constant | ast.BinOp)


def test_no_answer_problem_is_written_in_unmarked_words() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text()
        if "ItemError" not in text and "Problem(" not in text:
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call):
                found += [
                    f"{path.relative_to(SRC)}:{node.lineno}" for a in _reason_args(node) if _unmarked(a)
                ]
    assert found == []


def test_a_reason_keeps_its_english_and_its_template() -> None:
    _values, errors = extra_errors("ort", {"sex": "x"})
    assert [(e.item, e.reason) for e in errors] == [("extras.sex", "must be female or male")]
    assert errors[0].template == "must be %(choices)s or %(last)s"


def _score(code: str, body: dict[str, Any]) -> dict[str, str]:
    response = Client().post(
        f"/api/v1/instruments/{code}/score", json.dumps(body), content_type="application/json", **SPANISH
    )
    assert response.status_code == 422
    return {e["field"]: e["reason"] for e in response.json()["errors"]}


def test_the_api_says_a_missing_input_in_spanish() -> None:
    reasons = _score("ort", {"answers": {}})
    assert reasons["extras.sex"] == "falta: selecciona los pesos de las preguntas"


def test_the_api_says_a_wrong_choice_in_spanish_with_the_values_to_send_as_they_are() -> None:
    assert _score("ort", {"answers": {}, "extras": {"sex": "x"}})["extras.sex"] == "debe ser female o male"


def test_the_api_says_a_skipped_question_in_spanish() -> None:
    answers = {"cssrs_1": 0, "cssrs_2": 0, "cssrs_3": 1, "cssrs_6": 0}
    reasons = _score("cssrs-screen", {"answers": answers})
    assert reasons["answers.cssrs_3"] == "no debe responderse: solo se pregunta cuando cssrs_2 es 1"


def test_the_api_still_says_english_to_an_english_reader() -> None:
    response = Client().post(
        "/api/v1/instruments/ort/score",
        json.dumps({"answers": {}, "extras": {"sex": "x"}}),
        "application/json",
    )
    reasons = {e["field"]: e["reason"] for e in response.json()["errors"]}
    assert reasons["extras.sex"] == "must be female or male"


def test_a_spanish_clinicians_page_says_a_wrong_severity_in_spanish(world: World) -> None:
    """A DSM-5 form sent with a severity the page does not offer (an old tab, a changed form)."""
    client = sign_in(Client(), world.staff["prescriber"])
    form = {f"dsm5_{i}": "0" for i in range(1, 12)} | {"extra_prior_severity": "x"}
    response = client.post(f"/patients/{world.alice.pk}/instruments/dsm5-oud/", form, **SPANISH)
    page = response.content.decode()
    assert response.status_code == 422
    assert "must be mild" not in page
    assert "mild, moderate" not in page  # the values the API takes are not words on a page
    assert "Por favor, elija una de las respuestas que se muestran." in page


def test_a_spanish_patient_is_told_a_missing_answer_in_spanish(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    response = client.post("/me/instruments/phq9/", {"phq9_1": "1"}, **SPANISH)
    page = response.content.decode()
    assert response.status_code == 422
    assert "needs an answer" not in page
    assert "Por favor, elija una respuesta." in page


def test_itemerror_equality_ignores_the_template() -> None:
    assert ItemError.said("a", "at most %(n)s", n=3) == ItemError("a", "at most 3")
