"""mypy runs strict with nothing loosened (issue #17: "mypy strict with fewer relaxations than today").

The only overrides left name third-party packages that ship no types; migrations are checked like any
other module.
"""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MYPY = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
# strict's own flags: turning any of them off is a relaxation.
STRICT_FLAGS = {
    "warn_unused_configs",
    "disallow_any_generics",
    "disallow_subclassing_any",
    "disallow_untyped_calls",
    "disallow_untyped_defs",
    "disallow_incomplete_defs",
    "check_untyped_defs",
    "disallow_untyped_decorators",
    "warn_redundant_casts",
    "warn_unused_ignores",
    "warn_return_any",
    "no_implicit_reexport",
    "strict_equality",
    "extra_checks",
}


def test_strict_is_on() -> None:
    assert MYPY["strict"] is True


def test_no_strict_flag_is_turned_off() -> None:
    assert sorted(k for k in MYPY if k in STRICT_FLAGS and MYPY[k] is False) == []


def test_no_module_ignores_its_errors() -> None:
    assert [o["module"] for o in MYPY.get("overrides", []) if o.get("ignore_errors")] == []


def test_overrides_only_excuse_missing_third_party_types() -> None:
    loosened = [o for o in MYPY.get("overrides", []) if set(o) - {"module", "ignore_missing_imports"}]
    assert loosened == []


def test_no_keel_module_is_excused_from_missing_imports() -> None:
    modules = [m for o in MYPY.get("overrides", []) for m in o["module"]]
    assert [m for m in modules if m.startswith("keel")] == []
