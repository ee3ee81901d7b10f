"""The FHIR R4 read API at /fhir/R4/ (issue #16): metadata, read and search by resource type,
`Patient/{id}/$everything`; paging with `_count` and next links; errors as OperationOutcome.

Every request authenticates as the JSON API does (a Bearer token, else the signed-in session with its second
factor), reads through the access policy (a record outside the caller's scope is a 404 like a missing one; the
clinical types only for roles that see the clinical area; a peer specialist's Patient has no record number or
birth date, and searching by them is refused), and writes one audit row listing what it returned. Searches run
over `policy.patients_visible_to`, so they never reach another program. Source: `fhir-r4-search`.

One module per job, re-exported here so `from keel.interop import rest` serves every caller:

- `outcomes`: `FhirError`, the OperationOutcome answer, the 404 for a missing or out-of-scope record;
- `params`: the types and search parameters served, the request checks, paging and the searchset Bundle;
- `auth`: who is asking, their scope and areas, the audit row per read, the Keel-Consent rule for a staff
  member's API token;
- `reads`: `<Type>/<id>`; `searches`: `<Type>?...` and `Questionnaire?url=`;
- `patient_everything`: `Patient/{id}/$everything`; `capability`: `metadata`.
"""

from keel.interop.rest.capability import capability_statement, metadata
from keel.interop.rest.outcomes import FhirError, outcome, unknown
from keel.interop.rest.params import (
    COMMON,
    DEFAULT_COUNT,
    MAX_COUNT,
    MAX_OFFSET,
    PAGING_SOURCE,
    READ_ONLY_TYPES,
    SEARCH_PARAMS,
    TYPES,
)
from keel.interop.rest.patient_everything import BASIS_PARAMS, everything
from keel.interop.rest.reads import read
from keel.interop.rest.searches import questionnaire_search, search

__all__ = [
    "BASIS_PARAMS",
    "COMMON",
    "DEFAULT_COUNT",
    "MAX_COUNT",
    "MAX_OFFSET",
    "PAGING_SOURCE",
    "READ_ONLY_TYPES",
    "SEARCH_PARAMS",
    "TYPES",
    "FhirError",
    "capability_statement",
    "everything",
    "metadata",
    "outcome",
    "questionnaire_search",
    "read",
    "search",
    "unknown",
]
