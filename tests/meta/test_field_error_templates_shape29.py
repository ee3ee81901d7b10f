"""Lane shape29: a field problem's words that come in through a variable are marked too. The tool's
`--check` (`tools/mark_field_errors.py`) looked only at words written in the call itself, so
`FieldError("start", TAKEN)` with `TAKEN = "this person already has an appointment at this time"` reached a
Spanish reader in English, as did three more (a photo sent another way, a program value changed without a
reason)."""

from __future__ import annotations

import pytest
from django.utils import translation

from keel.appointments import services as appointments
from keel.core.rules.inputs import FieldError
from keel.web import field_words
from tests.meta.test_field_error_words import ROOT, SRC, _tool


def test_no_field_problem_comes_unmarked_through_a_variable() -> None:
    tool = _tool()
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        found += [f"{path.relative_to(ROOT)}:{w}" for w in tool.unmarked_through_variables(path.read_text())]
    assert found == []


UNMARKED = {
    "a said template held in a module constant": (
        'T = "at most %(n)s"\n\ndef f(n):\n    return FieldError.said("x", T, n=n)\n'
    ),
    "a reason held in a module constant": (
        'TAKEN = "taken"\n\ndef f():\n    return FieldError("start", TAKEN)\n'
    ),
    "a reason held in a local name": 'def f():\n    why = "taken"\n    return FieldError("start", why)\n',
    "a reason either way of a condition": (
        'def f(ok):\n    why = N_("a") if ok else "b"\n    return FieldError("start", why)\n'
    ),
    "a template handed to a helper": (
        'def f(t, n):\n    return FieldError.said("x", t, n=n)\n\n'
        'def g():\n    return f("at most %(n)s", 3)\n'
    ),
    "a reason handed to a helper by keyword": (
        "def f(name, *, why):\n    return FieldError(name, why)\n\n"
        'def g():\n    return f("x", why="say why")\n'
    ),
    "a template keyword held in a module constant": (
        'T = "at most %(n)s"\n\ndef f():\n    return FieldError("x", "at most 3", template=T)\n'
    ),
    "a template no call of the module tells": 'def f(t):\n    return ItemError.said("x", t)\n',
    "an item's template in a module constant": (
        'T = "a %(n)s"\n\ndef f():\n    return ItemError.said("x", T, n=1)\n'
    ),
}


@pytest.mark.parametrize("source", UNMARKED.values(), ids=UNMARKED.keys())
def test_unmarked_words_through_a_variable_fail_the_check(source: str) -> None:
    assert _tool().unmarked_through_variables(source) != []


MARKED = {
    "a said template held in a marked constant": (
        'T = N_("at most %(n)s")\n\ndef f(n):\n    return FieldError.said("x", T, n=n)\n'
    ),
    "a reason held in a marked constant": (
        'TAKEN = N_("taken")\n\ndef f():\n    return FieldError("start", TAKEN)\n'
    ),
    "a marked template handed to a helper": (
        'def f(t, n):\n    return FieldError.said("x", t, n=n)\n\n'
        'def g():\n    return f(N_("at most %(n)s"), 3)\n'
    ),
    "a marked template imported from a keel module": (
        "from keel.core.rules.inputs import DUPLICATE_KEY\n\n"
        'def f():\n    return FieldError("x", "is given more than once", template=DUPLICATE_KEY)\n'
    ),
    "a template carried by a value already made": (
        'def f(why):\n    return FieldError("consent", why.text, why.template)\n'
    ),
    "a reason a parser worked out": 'def f(text):\n    why = check(text)\n    return FieldError("x", why)\n',
}


@pytest.mark.parametrize("source", MARKED.values(), ids=MARKED.keys())
def test_marked_words_through_a_variable_pass_the_check(source: str) -> None:
    assert _tool().unmarked_through_variables(source) == []


@pytest.mark.parametrize(
    ("english", "spanish"),
    [
        (appointments.TAKEN, "esta persona ya tiene una cita a esta hora"),
        (appointments.MISSING, "esta hora no existe ese día (se cambia la hora); elija otra"),
        (
            "send the photo as multipart/form-data, in a part named photo",
            "envíe la foto como multipart/form-data, en una parte llamada photo",
        ),
        ("say why the program changes this value", "diga por qué el programa cambia este valor"),
    ],
)
def test_a_problem_once_unmarked_is_said_in_spanish(english: str, spanish: str) -> None:
    with translation.override("es"):
        assert field_words.said(FieldError("x", english)) == spanish
