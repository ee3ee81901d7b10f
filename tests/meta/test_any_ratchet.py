"""`Any` only where the data is free-form (issue #17): each file's count of `Any` may fall but never grow
above its entry in tools/any_allowed.toml, and each entry says why its data is free-form (or "to type").

`.venv/bin/python tools/any_inventory.py` lists them by file and kind; `--check` runs the same comparison.
"""

import importlib.util
import sys
import tomllib
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _inventory() -> ModuleType:
    spec = importlib.util.spec_from_file_location("any_inventory", ROOT / "tools" / "any_inventory.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("any_inventory", module)
    spec.loader.exec_module(module)
    return module


INVENTORY = _inventory()
TABLE = tomllib.loads((ROOT / "tools" / "any_allowed.toml").read_text(encoding="utf-8"))


def test_no_file_has_more_any_than_its_entry_allows() -> None:
    assert INVENTORY.grown(INVENTORY.counts(), INVENTORY.allowed()) == {}


def test_every_entry_says_why_its_data_is_free_form() -> None:
    assert [path for path, entry in TABLE.items() if not str(entry.get("why", "")).strip()] == []


def test_every_entry_names_a_file_that_exists() -> None:
    assert [path for path in TABLE if not (ROOT / path).is_file()] == []


def test_the_inventory_counts_parameters_returns_and_dicts(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import Any, cast\ndef f(a: Any, b: dict[str, Any]) -> Any:\n    return cast(Any, a)\n"
    )
    kinds = sorted(use.kind for use in INVENTORY.uses_in_text(sample.read_text(), "sample.py"))
    assert kinds == ["cast", "dict[str, Any]", "parameter", "return"]
