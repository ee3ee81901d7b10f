"""Issue #17: the three name folds. The signature check (`keel.core.sharing._folded`) is the registration's
duplicate-search fold (`keel.core.names.person_name_key`); the FHIR string search's fold
(`interop.rest.searches._fold`) stays apart on purpose (FHIR's case- and accent-insensitive prefix match)."""

from __future__ import annotations

import pytest

from keel.core.names import person_name_key
from keel.core.sharing import _folded
from keel.interop.rest.searches import _fold


@pytest.mark.parametrize(
    "name",
    [
        "María Núñez",
        "maria  nunez",
        "O'Brien García-López",
        "O\u2019Brien Garcia Lopez",
        "Иван Петров",
        "李小龙",
    ],
)
def test_signature_fold_is_the_person_name_key(name: str) -> None:
    assert _folded(name) == person_name_key(name)


def test_names_in_another_script_no_longer_all_match() -> None:
    """Before issue #17 the signature fold kept only ASCII: "Иван" and "Пётр" both read "" and matched."""
    assert _folded("Иван Петров") != _folded("Пётр Сидоров")
    assert _folded("Иван Петров") == _folded("иван  петров")


def test_apostrophe_shapes_and_dashes_read_alike_for_a_signature() -> None:
    assert _folded("O\u2019Brien García-López") == _folded("o'brien garcia lopez")


def test_fhir_fold_is_case_and_accents_only() -> None:
    """FHIR string search: case and accents fold; punctuation and spacing stay as written."""
    assert _fold("María Núñez") == "maria nunez"
    assert _fold("García-López") == "garcia-lopez"
    assert _fold("O'Brien") == "o'brien"
    assert _fold("García-López") != person_name_key("García-López")
