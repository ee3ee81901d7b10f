"""Every source id Keel cites has a citation (issue #17: walking the guide found 26 ids the instruments, rules
and recovery tools returned that `keel.core.sources` did not know, and pages dropped them without a word)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from keel.core.sources import SOURCES, cite

CORE = Path(__file__).resolve().parents[2] / "src" / "keel" / "core"
DEFINITIONS = CORE / "instruments" / "definitions"
SOURCE_EXTENSION = "https://keel.invalid/fhir/source"
# A source id: lower-case words and numbers joined by hyphens (kroenke-2001, reference-9.1-fentanyl).
SOURCE_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9.]+)+$")


def _tuples_of_ids(path: Path) -> set[str]:
    """Every string in a tuple whose items are all source-shaped strings: how the core writes the sources
    of a reason, an interpretation, a rule or a skill."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Tuple) and node.elts:
            values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
            if len(values) == len(node.elts) and all(
                isinstance(v, str) and SOURCE_ID.match(v) for v in values
            ):
                found.update(values)
    return found


def _core_cited() -> list[str]:
    cited: set[str] = set()
    for path in CORE.rglob("*.py"):
        if path.name != "sources.py":
            cited |= _tuples_of_ids(path)
    return sorted(cited)


def _definition_cited() -> list[tuple[str, str]]:
    cited = []
    for path in sorted(DEFINITIONS.glob("*.json")):
        for extension in json.loads(path.read_text()).get("extension", []):
            if extension.get("url") == SOURCE_EXTENSION:
                cited.append((path.stem, extension["valueString"]))
    return cited


def test_the_core_cites_sources():
    assert len(_core_cited()) > 40


def test_the_instrument_definitions_cite_sources():
    assert len(_definition_cited()) > 10


@pytest.mark.parametrize("source_id", _core_cited())
def test_every_source_the_core_cites_has_a_citation(source_id):
    assert source_id in SOURCES


@pytest.mark.parametrize(("instrument", "source_id"), _definition_cited())
def test_every_source_an_instrument_cites_has_a_citation(instrument, source_id):
    assert source_id in SOURCES


def test_every_citation_has_words():
    assert [s.id for s in SOURCES.values() if len(s.citation) < 20] == []


def test_cite_refuses_an_unknown_id():
    with pytest.raises(KeyError):
        cite("no-such-source")
