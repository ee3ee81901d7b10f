"""keel.core is plain Python: no Django, no database, no I/O."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import keel.core
from keel.core.decision import Decision, Reason

CORE = Path(keel.core.__file__).parent
FORBIDDEN = ("django", "ninja", "keel.accounts", "keel.audit", "keel.patients", "keel.web", "keel.access")


def test_no_core_module_imports_django_or_the_shell() -> None:
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(FORBIDDEN)]
    assert offenders == []


def test_importing_every_core_module_loads_no_django() -> None:
    modules = [
        "keel.core." + ".".join(p.relative_to(CORE).with_suffix("").parts)
        for p in CORE.rglob("*.py")
        if p.name != "__init__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_a_decision_lists_each_source_once_in_order() -> None:
    decision = Decision(
        rule="example",
        version="1",
        decision="wait",
        reasons=(Reason("first", ("a", "b")), Reason("second", ("b", "c"))),
    )
    assert decision.sources == ("a", "b", "c")
    assert decision.as_dict()["reasons"][1] == {"text": "second", "sources": ["b", "c"]}
