"""Issue #20: a self-guided account's record, by its id, on every patient route, for every role: never seen
(404, no data), not even by the account itself through a staff route; the denial is audited."""

from __future__ import annotations

import pytest

from keel.audit.models import AuditEvent
from keel.patients.models import Patient
from tests.access.expectations import ROLES, ROUTES
from tests.access.test_matrix import _client, _request
from tests.conftest import World

CASES = [(name, role) for name, r in ROUTES.items() if r.patient_scoped for role in ROLES]


@pytest.mark.parametrize(("name", "role"), CASES)
def test_no_role_reaches_a_self_guided_record_by_any_patient_route(
    world: World, name: str, role: str
) -> None:
    route = ROUTES[name]
    record = Patient.objects.get(user=world.dana)
    before = AuditEvent.objects.count()
    response = _request(
        _client(world, role),
        route.method,
        route.path.format(patient=record.pk, assessment=999999),
        route.body,
        record,
    )
    if role == "anonymous":
        assert response.status_code == route.expect["anonymous"][0]  # type: ignore[index]
        return
    # her own account on a staff route: 403, no data (the integrator's decision: lanes ownapi39 for the API,
    # fixpriv39 for the pages, `policy.refuse_staff_view_to_own_account`); every other role: 404
    # (her own identity photo's page is not a staff view: web.middleware.OWN_PAGES_UNDER_STAFF; a 404 here)
    staff_view = route.path.startswith(("/patients/", "/api/v1/"))
    staff_view = staff_view and route.path != "/patients/{patient}/photo/"
    assert response.status_code == (403 if role == "self_guided" and staff_view else 404)
    assert "dana-own" not in response.content.decode()
    assert record.record_number not in response.content.decode()
    denied = list(AuditEvent.objects.order_by("id")[before:])
    assert len(denied) == 1
    assert denied[0].action == "denied"
