"""Dependencies point down only (ARCHITECTURE.md): no new import cycle between Keel's modules.

`tools/import_cycles.py` reads every runtime import of `src/keel` (inside functions too: an import moved into
a function to dodge a cycle is still a cycle). The cycles that stand are listed here, each with why; a new
one fails, and one that is gone must leave the list, so it only shrinks.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.clock_free

_TOOL = Path(__file__).resolve().parents[2] / "tools" / "import_cycles.py"

# Each cycle that stands, as the modules it may span, and why. A cycle found must lie inside one of them (one
# that reaches a module outside fails); each must still hold a cycle (one that is gone leaves the list).
_TAKE_HOME_PATHS = frozenset(
    {
        "keel.treatment.end_words",
        "keel.treatment.end_words.reading",
        "keel.treatment.services.doses.bottles",
        "keel.treatment.services.doses.bottles.hand_out",
        "keel.treatment.services.doses.bottles.kept_back",
        "keel.treatment.services.doses.bottles.redecide",
        "keel.treatment.services.doses.bottles.redecide.corrected_back",
        "keel.treatment.services.doses.bottles.redecide.dispatch",
        "keel.treatment.services.doses.bottles.redecide.go_on",
        "keel.treatment.services.doses.bottles.redecide.prescriber_end",
        "keel.treatment.services.doses.bottles.redecide.reword",
        "keel.treatment.services.doses.bottles.redecide.undo",
        "keel.treatment.services.doses.bottles.redecide.voided",
        "keel.treatment.services.doses.bottles.redecide.window",
        "keel.treatment.services.doses.bottles.take_back",
        "keel.treatment.services.doses.guards",
        "keel.treatment.services.doses.guards.day",
        "keel.treatment.services.doses.guards.qtc",
        "keel.treatment.services.doses.guards.verdict",
        "keel.treatment.services.qtc",
        "keel.treatment.services.take_homes",
        "keel.treatment.services.take_homes.ending",
        "keel.treatment.services.take_homes.prescribing",
        "keel.treatment.words",
    }
)
STANDING: dict[frozenset[str], str] = {
    frozenset(
        {"keel.accounts.passwords", "keel.accounts.tasks"}
    ): "the reset-link task and the service that queues it",
    frozenset({"keel.jobs.services", "keel.jobs.tasks"}): "the job-run task and the scheduler that queues it",
    _TAKE_HOME_PATHS: (
        "the take-home correction paths re-decide through one another (late imports): to be broken by the "
        "one model of a plan's coverage and end words (session 31 note); no module outside these may join"
    ),
}


def _tool() -> object:
    spec = importlib.util.spec_from_file_location("import_cycles", _TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["import_cycles"] = module
    spec.loader.exec_module(module)
    return module


def _cycles() -> list[frozenset[str]]:
    tool = _tool()
    return [frozenset(c) for c in tool.cycles(tool.edges(tool.modules()))]  # type: ignore[attr-defined]


def test_no_new_import_cycle() -> None:
    new = [sorted(c) for c in _cycles() if not any(c <= area for area in STANDING)]
    assert new == [], "a new import cycle: import a lower module instead (tools/import_cycles.py prints it)"


def test_a_cycle_that_is_gone_leaves_the_list() -> None:
    found = _cycles()
    gone = [sorted(area) for area in STANDING if not any(c <= area for c in found)]
    assert gone == []


def test_the_tool_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    tool = _tool()
    package = tmp_path / "keel"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from keel import b\n")
    (package / "b.py").write_text("def f():\n    from keel.a import x\n")
    found = tool.cycles(tool.edges(tool.modules(tmp_path)))  # type: ignore[attr-defined]
    assert found == [["keel.a", "keel.b"]]


def test_the_tool_leaves_out_an_import_for_the_type_checker_only(tmp_path: Path) -> None:
    tool = _tool()
    package = tmp_path / "keel"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from keel import b\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from keel.a import x\n"
    )
    found = tool.cycles(tool.edges(tool.modules(tmp_path)))  # type: ignore[attr-defined]
    assert found == []
