"""FHIR R4 (4.0.1) structural validation with fhir.resources 6.4.0, run in its own environment.

Reads one JSON document per line on stdin; writes one JSON line per document: a list of problems (empty when
the document is valid R4). Runs under .venv-fhir-r4/bin/python, never inside Keel's environment, and imports
nothing from Keel.
"""

import json
import sys

import fhir.resources
from fhir.resources import construct_fhir_element

if fhir.resources.__fhir_version__ != "4.0.1":
    sys.exit(f"fhir.resources models are FHIR {fhir.resources.__fhir_version__}, not R4 4.0.1")


def problems(doc):
    if not isinstance(doc, dict) or not isinstance(doc.get("resourceType"), str):
        return ["not a FHIR resource (no resourceType)"]
    try:
        construct_fhir_element(doc["resourceType"], doc)
    except LookupError as exc:
        return [str(exc)]
    except Exception as exc:  # pydantic's ValidationError lists every problem
        return [line for line in str(exc).splitlines() if line.strip()]
    return []


for line in sys.stdin:
    sys.stdout.write(json.dumps(problems(json.loads(line))) + "\n")
    sys.stdout.flush()
