"""One "not allowed" (issue #17): every app's refusal subclasses `keel.access.errors.NotAllowed`, keeps the
bases its own code and Django rely on, and the JSON API answers each with one handler: 403 and the body it
gave before, byte for byte."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from keel.access import policy
from keel.access.errors import NotAllowed
from keel.accounts.queries import ProgramSettingsNotAllowed
from keel.accounts.staff import NotAllowed as StaffNotAllowed
from keel.api import api, on_not_allowed
from keel.assessments.services import NotAllowed as AssessmentNotAllowed
from keel.measures.queries import MeasuresNotAllowed
from keel.patients.errors import NotAllowed as PatientNotAllowed
from keel.patients.services.flags import FlagNotAllowed
from keel.sharing.errors import SharingNotAllowed
from keel.treatment.services import HeldDoseNotAllowed, TakeHomeEndNotAllowed
from keel.treatment.services.policy import PolicyNotAllowed

# each refusal, and the base it had before (what its callers and Django catch)
REFUSALS: list[tuple[type[Exception], type[Exception]]] = [
    (policy.ActionNotAllowed, PermissionDenied),
    (AssessmentNotAllowed, PermissionDenied),
    (HeldDoseNotAllowed, PermissionDenied),
    (TakeHomeEndNotAllowed, PermissionDenied),
    (PatientNotAllowed, PermissionError),
    (FlagNotAllowed, PermissionError),
    (StaffNotAllowed, PermissionError),
    (ProgramSettingsNotAllowed, PermissionError),
    (PolicyNotAllowed, PermissionError),
    (MeasuresNotAllowed, Exception),
    (SharingNotAllowed, Exception),
]
IDS = [cls.__qualname__ + "@" + cls.__module__ for cls, _ in REFUSALS]


@pytest.mark.parametrize(("cls", "base"), REFUSALS, ids=IDS)
def test_each_refusal_is_a_not_allowed(cls: type[Exception], base: type[Exception]) -> None:
    assert issubclass(cls, NotAllowed)


@pytest.mark.parametrize(("cls", "base"), REFUSALS, ids=IDS)
def test_each_refusal_keeps_its_old_base(cls: type[Exception], base: type[Exception]) -> None:
    assert issubclass(cls, base)


@pytest.mark.parametrize(("cls", "base"), REFUSALS, ids=IDS)
def test_each_refusal_keeps_its_message(cls: type[Exception], base: type[Exception]) -> None:
    assert str(cls("Your role cannot do this.")) == "Your role cannot do this."


@pytest.mark.parametrize(("cls", "base"), REFUSALS, ids=IDS)
def test_the_api_answers_each_with_the_one_handler(cls: type[Exception], base: type[Exception]) -> None:
    assert api._lookup_exception_handler(cls("x")) is on_not_allowed


def test_no_refusal_has_a_handler_of_its_own() -> None:
    own = [cls.__qualname__ for cls, _ in REFUSALS if cls in api._exception_handlers]
    assert own == []


@pytest.mark.parametrize(("cls", "base"), REFUSALS, ids=IDS)
def test_the_403_is_as_before(cls: type[Exception], base: type[Exception]) -> None:
    request = RequestFactory().get("/api/v1/x")
    response = api.on_exception(request, cls("Your role cannot do this."))
    assert response.status_code == 403


@pytest.mark.parametrize(("cls", "base"), REFUSALS, ids=IDS)
def test_the_body_is_byte_for_byte_as_before(cls: type[Exception], base: type[Exception]) -> None:
    request = RequestFactory().get("/api/v1/x")
    response = api.on_exception(request, cls('Your role can\u2019t "do" this.'))
    assert response.content == b'{"message": "Your role can\\u2019t \\"do\\" this.", "errors": []}'


@pytest.mark.django_db
def test_a_refusal_on_a_route_is_a_403_with_its_message(world, signed_in) -> None:  # type: ignore[no-untyped-def]
    """End to end: a patient may not change her contact details on the API: since lane ownapi39 the route is
    a staff view, refused by the policy before the route's own check (keel.access.policy.fetch)."""
    client = signed_in("patient")
    response = client.patch(
        f"/api/v1/patients/{world.alice.pk}/contact", {"phone": "555-0100"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.content == (
        b'{"message": "This is the care team\'s view of a record. Your own record is at /api/v1/me.", '
        b'"errors": []}'
    )
