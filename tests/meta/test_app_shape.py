"""Every app has the same files with the same jobs (ARCHITECTURE.md, "The app shape"; issue #17).

Read from the source tree (AST, no Django): each app under `src/keel/` (a folder with `apps.py`) has `models`,
`services`, `queries`, `schemas`, `views`, `urls`, `api` (a module or a package) and `templates/`, unless
`NONE_BECAUSE` names why it has none; a module or package named `queries` writes nothing, and neither do an
app's `views`, `*_views` or `api` (they call services), unless `WRITE_BECAUSE` names the call and why; no
module outside migrations is over 800 lines (a file that outgrows one subject becomes a package split by
subdomain), unless `LONG_BECAUSE` names it. Each listed row must still be needed, so the lists only shrink.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.clock_free

KEEL = Path(__file__).resolve().parents[2] / "src" / "keel"
FILES = ("models", "services", "queries", "schemas", "views", "urls", "api", "templates/")
WRITES = frozenset(
    {
        "save",
        "create",
        "update",
        "delete",
        "bulk_create",
        "bulk_update",
        "get_or_create",
        "update_or_create",
        "select_for_update",
    }
)
MOST_LINES = 800

# app -> {file it has none of: why}.
NONE_BECAUSE: dict[str, dict[str, str]] = {
    "audit": {f: "no pages: the audit trail's page is web's" for f in ("views", "urls", "templates/")},
    "careteam": {f: "only reads other apps' rows: nothing of its own stored" for f in ("models", "services")},
    "interop": {"templates/": "speaks FHIR and REST: its one download is a file, no page"},
    "jobs": {
        **{f: "the worker: no pages" for f in ("views", "urls", "templates/")},
        **{f: "the worker: no API (the CLI and the scheduler run it)" for f in ("schemas", "api")},
    },
    "measures": {f: "only reads other apps' rows: nothing of its own stored" for f in ("models", "services")},
    "public": {
        **{f: "anonymous pages: nothing stored" for f in ("models", "services", "queries")},
        **{f: "anonymous pages: no API" for f in ("schemas", "api")},
    },
    "reminders": {f: "pages and sending only: no API" for f in ("schemas", "api")},
    "selfguided": {f: "pages only: no API" for f in ("schemas", "api")},
    "web": {
        **{f: "the home, patient and audit pages over other apps' services and queries" for f in FILES[:3]},
        **{f: "pages only: no API" for f in ("schemas", "api")},
    },
}

# (path under src/keel, the call's receiver and name) -> why it is no write or why it stays.
WRITE_BECAUSE: dict[tuple[str, str], str] = {
    ("careteam/queries/listing.py", "seen.update"): "a set of ids, no row",
    ("careteam/queries/tail.py", "missed.update"): "a set, no row",
    ("measures/queries.py", "hidden_total.update"): "a Counter, no row",
    ("sharing/views.py", "context.update"): "the template's context dict, no row",
    ("treatment/queries/orders.py", "found.select_for_update"): (
        "episode_open(lock=True): the one definition of an open episode, read under the episode's lock "
        "inside prescribe's transaction (services/orders.py) and unlocked by the window; one function so "
        "the two cannot drift (review 20a, tests/treatment/test_order_and_discharge_race.py)"
    ),
}

# path under src/keel -> why it is still over MOST_LINES.
LONG_BECAUSE: dict[str, str] = {
    "core/sharing.py": "another lane types and fixes it in session 32: to be split by subdomain after",
}


def _apps() -> list[Path]:
    return sorted(path.parent for path in KEEL.rglob("apps.py") if "migrations" not in path.parts)


def _has(app: Path, name: str) -> bool:
    if name.endswith("/"):
        return (app / name.rstrip("/")).is_dir()
    return (app / f"{name}.py").is_file() or (app / name / "__init__.py").is_file()


def _modules_named(where: Path, *names: str, ending: str = "") -> Iterator[Path]:
    """Every module named one of `names` (or ending in `ending`) under `where`, and every module of a package
    so named."""
    for path in sorted(where.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        inside = path.relative_to(where).parts
        if (
            path.stem in names
            or (ending and path.stem.endswith(ending))
            or any(p in names for p in inside[:-1])
        ):
            yield path


def _writes(source: str) -> Iterator[str]:
    """Each ORM write call in a module's source, as its receiver and name (`Thing.objects.create`);
    decorators (a router's `delete` verb) are no calls of the ORM."""
    tree = ast.parse(source)
    decorators = {
        id(d)
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        for d in node.decorator_list
    }
    for node in ast.walk(tree):
        if id(node) in decorators:
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
            yield ast.unparse(node.func)


def _found_writes() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    reading = list(_modules_named(KEEL, "queries"))
    for app in _apps():
        reading += _modules_named(app, "views", "api", ending="_views")
    for path in reading:
        found |= {
            (path.relative_to(KEEL).as_posix(), call) for call in _writes(path.read_text(encoding="utf-8"))
        }
    return found


def test_every_app_has_its_files_or_says_why_not() -> None:
    missing = {app.name: {f for f in FILES if not _has(app, f)} for app in _apps()}
    unexplained = {app: files - set(NONE_BECAUSE.get(app, {})) for app, files in missing.items()}
    assert not {app: files for app, files in unexplained.items() if files}, "add the file, or a row with why"
    stale = {app: set(rows) - missing.get(app, set()) for app, rows in NONE_BECAUSE.items()}
    assert not {app: files for app, files in stale.items() if files}, "the app has it now: remove the row"


def test_reads_and_pages_write_nothing() -> None:
    found = _found_writes()
    assert not found - set(WRITE_BECAUSE), "move the write into the app's services (or list it with why)"
    assert not set(WRITE_BECAUSE) - found, "that call is gone: remove its row"


def test_no_module_is_over_800_lines() -> None:
    long = {
        path.relative_to(KEEL).as_posix()
        for path in KEEL.rglob("*.py")
        if "migrations" not in path.parts and len(path.read_text(encoding="utf-8").splitlines()) > MOST_LINES
    }
    assert not long - set(LONG_BECAUSE), "split it into a package by subdomain"
    assert not set(LONG_BECAUSE) - long, "it is short now: remove its row"


def test_the_scan_sees_a_write() -> None:
    """The AST scan itself: an ORM write is found, a router's verb is not."""
    source = "@router.delete('/x')\ndef f():\n    Thing.objects.create(a=1)\n    row.save()\n"
    assert set(_writes(source)) == {"Thing.objects.create", "row.save"}
