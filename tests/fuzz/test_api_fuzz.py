"""SECURITY.md T3: no server error for anything a client can send. Schemathesis generates requests from
Keel's own OpenAPI document (valid and invalid bodies, parameters and headers) for every operation, and
sends them as every persona (anonymous, a patient, each staff role, staff of another program) through the
real WSGI application and database, a share of them aimed at real patients. Every answer must be below 500,
and every error must come in the API's one shape ({"message", "errors": [{"field", "reason"}]}).

The suite sends `KEEL_FUZZ_EXAMPLES` cases per operation and persona (default 3: about 1,500 requests, a few
seconds); `.ci/run` sets more and fails unless each database's run sent at least 10,000 (SECURITY.md's
figure; the count is in var/test-runs/<vendor>.json). Deterministic: the same cases every run (hypothesis
`derandomize`; no feedback from the answers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode

from keel.accounts import services as accounts
from keel.patients.models import PatientFlag
from keel.recovery.schemas import CheckInIn
from keel.wsgi import application
from tests.access.expectations import ROLES
from tests.conftest import World
from tests.fuzz import EXAMPLES, fuzz_settings, missing_security_headers

pytestmark = pytest.mark.django_db

SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
PERSONAS = [*ROLES, "other_program"]  # the access table's roles, and staff of another program


def _headers(world: World, persona: str) -> dict[str, str]:
    if persona == "anonymous":
        return {}
    user = world.lakeside_nurse if persona == "other_program" else world.user(persona)
    return {"Authorization": f"Bearer {accounts.create_token(user=user, name='fuzz').secret}"}


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """The app is called as a WSGI server calls it, so it would close the database connection after each
    request, and with it the test's transaction on PostgreSQL; Django's own test client does the same."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def records(world: World) -> dict[str, list[int | None]]:
    """Real rows of the own patient (Alice) for the ids in paths: a methadone dose, a PHQ-9, an open flag.
    Each id is left as generated or replaced by a real one (None: as generated)."""
    from keel.recovery import services as recovery
    from keel.treatment import services as treatment
    from tests.access.test_matrix import _assessment_for

    treatment.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=30
    )
    dose = treatment.record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30").dose
    raw = {"craving": 3, "mood": 4, "used": True, "used_what": ["heroin"], "medication": "taken"}
    recovery.record_checkin(
        by=world.alice.user, data=CheckInIn.posted(raw), key="fuzz"
    )  # raises the reported-use flag
    return {
        # Most generated ids name no patient (404 before any input is read): aim a share at real patients
        # (own, same program, other program) so that the bodies reach the services that validate them.
        "patient_id": [None, world.alice.pk, world.bob.pk, world.charlie.pk],
        "dose_id": [None, dose.pk],
        "assessment_id": [None, _assessment_for(world.alice).pk],
        "flag_id": [None, PatientFlag.objects.get(patient=world.alice).pk],
    }


@pytest.mark.usefixtures("keep_connection")
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_no_request_gets_a_server_error(
    world: World,
    records: dict[str, list[int | None]],
    operation: Any,
    record_property: Callable[[str, object], None],
) -> None:
    sent: list[tuple[str, int]] = []
    headers = {persona: _headers(world, persona) for persona in PERSONAS}
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @fuzz_settings(EXAMPLES)
    @given(case=cases, ids=st.fixed_dictionaries({k: st.sampled_from(v) for k, v in records.items()}))
    def one(persona: str, case: Any, ids: dict[str, int | None]) -> None:
        for name, real in ids.items():
            if real is not None and name in (case.path_parameters or {}):
                case.path_parameters[name] = real
        case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        response = case.call(headers=headers[persona])
        sent.append((persona, response.status_code))
        assert response.status_code < 500, (persona, case.as_curl_command(), response.text[:500])
        answered = {k.lower(): v[0] for k, v in response.headers.items()}
        assert not missing_security_headers(answered), (
            case.as_curl_command(),
            response.status_code,
            answered,
        )
        if response.status_code >= 400:  # one error shape, whatever went wrong
            body = response.json()
            # a refused dose also carries the rule's decision (its reasons and sources) beside the two keys
            assert {"message", "errors"} <= set(body), response.text[:300]
            assert isinstance(body["errors"], list), response.text[:300]
            assert all(set(e) == {"field", "reason"} for e in body["errors"]), response.text[:300]

    for persona in PERSONAS:
        one(persona)
    assert {persona for persona, _ in sent} == set(PERSONAS)
    record_property("fuzz_requests", len(sent))  # summed into var/test-runs/<vendor>.json for .ci/run
