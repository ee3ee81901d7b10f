"""Review 15a: about 35 request bodies were plain ninja `Schema`s, which drop a key that is not one of their
fields without a word: `{"sequence": 1, "amount_mg": 60, "sedatd": true}` (a misspelt "sedated") RECORDED
the dose instead of holding it. Every JSON request body now refuses a key that is not one of its fields, with
a 422 naming it in the words the core's bodies use ("not an input of this rule"), nested objects too (a
low-dose schedule's days, an opioid in a report of last use, the take-home criteria).

The bodies are collected from the OpenAPI document (every operation with a JSON request body), not from a
hand list, so a new route is held to it. A body read by ninja (`keel.schemas.In`) is refused with ninja's
other body checks, before the route runs (as a field of the wrong type always was); a body the core checks
(`keel.api_body.CoreIn`) is judged after the access checks, as before. Run on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from pydantic import BaseModel, ValidationError

from keel.api_body import CoreIn
from keel.audit.models import AuditEvent
from keel.schemas import In
from keel.treatment import services
from keel.treatment.models import DoseRecord, MedicationOrder, TakeHomePlan
from keel.treatment.queries import orders_version
from keel.treatment.schemas import TakeHomeCriteriaIn
from tests.access.expectations import ROUTES
from tests.conftest import World, sign_in

EXTRA = "zz_not_a_field"
UNKNOWN = "not an input of this rule"
# A JSON body that is not a Keel body: another standard's resource, checked by its own rules.
FOREIGN = {
    ("post", "/api/v1/patients/{patient_id}/fhir/questionnaire-responses"): "a FHIR R4 resource (or Bundle)",
}


def _subclasses(cls: type) -> list[type]:
    return [c for sub in cls.__subclasses__() for c in (sub, *_subclasses(sub))]


def _document() -> dict[str, Any]:
    """The OpenAPI document as the API builds it (GET /api/v1/openapi.json serves it as JSON)."""
    from keel.api import api

    return json.loads(json.dumps(api.get_openapi_schema(), default=str))  # type: ignore[no-any-return]


def _json_bodies(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, schema) of every operation whose request body may be JSON."""
    found = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                found.append((method, path, content["application/json"]["schema"]))
    return found


OPERATIONS = _json_bodies(_document())
OPERATION_IDS = [f"{m.upper()} {p}" for m, p, _s in OPERATIONS]
MODELS: dict[str, type[BaseModel]] = {c.__name__: c for c in (*_subclasses(In), *_subclasses(CoreIn))}


def _model_of(schema: dict[str, Any]) -> type[BaseModel]:
    ref = str(schema.get("$ref", ""))
    name = ref.removeprefix("#/components/schemas/")
    assert ref and name in MODELS, f"a JSON body that is neither an In nor a CoreIn: {schema}"
    return MODELS[name]


def _keel_bodies() -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, s) for m, p, s in OPERATIONS if (m, p) not in FOREIGN]


def test_the_document_has_the_bodies_this_review_found() -> None:
    names = {_model_of(s).__name__ for _m, _p, s in _keel_bodies()}
    assert {"DoseIn", "OrderIn", "OverrideIn", "TakeHomeIn", "AppointmentIn", "ConsentIn", "ScoreIn"} <= names
    assert len(_keel_bodies()) >= 50


@pytest.mark.parametrize(("method", "path", "schema"), OPERATIONS, ids=OPERATION_IDS)
def test_every_json_body_is_a_model_that_refuses_other_keys(method: str, path: str, schema: Any) -> None:
    if (method, path) in FOREIGN:
        assert schema == {"type": "object"}, FOREIGN[(method, path)]
        return
    model = _model_of(schema)
    assert issubclass(model, In | CoreIn)
    assert model.model_config.get("extra") == "forbid"


def _objects(schema: Any, components: dict[str, Any], seen: frozenset[str] = frozenset()) -> list[Any]:
    """Every object schema with named properties in `schema`, following references."""
    if isinstance(schema, list):
        return [o for s in schema for o in _objects(s, components, seen)]
    if not isinstance(schema, dict):
        return []
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        return [] if name in seen else _objects(components[name], components, seen | {name})
    found = [schema] if schema.get("properties") else []
    for key in ("properties", "items", "anyOf", "oneOf", "allOf", "additionalProperties"):
        part = schema.get(key)
        found += _objects(
            list(part.values()) if isinstance(part, dict) and key == "properties" else part, components, seen
        )
    return found


@pytest.mark.django_db
def test_every_object_in_a_json_body_says_no_other_keys() -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    components = doc["components"]["schemas"]
    open_ = [
        f"{m.upper()} {p}: {sorted(o['properties'])}"
        for m, p, s in _keel_bodies()
        for o in _objects(s, components)
        if o.get("additionalProperties") is not False
    ]
    assert open_ == []


@pytest.mark.parametrize(
    "model", sorted(set(_subclasses(In)), key=lambda c: c.__name__), ids=lambda c: c.__name__
)
def test_a_ninja_body_refuses_an_unknown_key_by_name(model: type[In]) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate({EXTRA: True})
    extra = [e for e in caught.value.errors() if e["type"] == "extra_forbidden"]
    assert [e["loc"] for e in extra] == [(EXTRA,)]


def test_the_take_home_criteria_are_the_services_criteria() -> None:
    assert tuple(TakeHomeCriteriaIn.__annotations__) == services.CRITERIA_KEYS


# --- Over HTTP: every operation, from a caller who may act ------------------------------------------------

# The role who may act on each kind of route (the person themselves on /me/...; the program's admin on its
# settings and staff; a prescriber on Alice's care team for the rest).
PROGRAM_ADMIN_PATHS = ("/api/v1/programs/", "/api/v1/patients/care-teams")
PROGRAM_ADMIN_ACTIONS = ("/undo-death",)  # a death recorded by mistake, undone (lane dead29b)
FRONT_DESK_PATHS = ("/activation-code", "/password-reset-code", "/contact", "/second-factor/reset")


def _client_for(world: World, method: str, path: str) -> Client:
    if path.startswith("/api/v1/auth/"):
        return Client()  # no one is signed in to make a token, activate an account or reset a password
    if path.startswith("/api/v1/me/"):
        return sign_in(Client(), world.alice.user)
    if path.startswith(PROGRAM_ADMIN_PATHS) or path.endswith(PROGRAM_ADMIN_ACTIONS):
        return sign_in(Client(), world.staff["program_admin"])
    if path.endswith(FRONT_DESK_PATHS) or path in ("/api/v1/patients", "/api/v1/emergency-access"):
        return sign_in(Client(), world.staff["nurse"])
    return sign_in(Client(), world.staff["prescriber"])


def _fill(world: World, path: str) -> str:
    ids = {"patient_id": world.alice.pk, "slug": "riverside", "name": "methadone-dose"}
    out = path
    while "{" in out:
        start, end = out.index("{"), out.index("}")
        out = out[:start] + str(ids.get(out[start + 1 : end], 999999)) + out[end + 1 :]
    return out


def _base(world: World, path: str) -> dict[str, Any]:
    """The rest of a body whose route judges some fields before an unknown key: the bulk care team reads its
    people first (they name the program whose admins decide, review 17h), then the unknown key."""
    if path == "/api/v1/patients/care-teams":
        return {"patient_ids": [world.alice.pk], "user_id": world.staff["nurse"].pk}
    return {}


def _fields(response: Any) -> list[str]:
    return [str(e["field"]).removeprefix("input.") for e in response.json().get("errors", [])]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"),
    [(m, p) for m, p, _s in _keel_bodies()],
    ids=[f"{m.upper()} {p}" for m, p, _s in _keel_bodies()],
)
def test_every_json_body_answers_an_unknown_key_with_a_422_naming_it(
    world: World, method: str, path: str
) -> None:
    client = _client_for(world, method, path)
    response = client.generic(
        method.upper(),
        _fill(world, path),
        json.dumps({**_base(world, path), EXTRA: True}),
        content_type="application/json",
    )
    assert response.status_code == 422, response.content[:400]
    assert EXTRA in _fields(response), response.content[:400]


# --- The dose, named: a misspelt "sedated" is refused and nothing is written --------------------------------


def _post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


@pytest.fixture
def order(world: World) -> MedicationOrder:
    return services.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=30
    )


def _dose(world: World, body: dict[str, Any], role: str = "nurse") -> Any:
    client = sign_in(Client(), world.staff[role])
    return _post(client, f"/api/v1/patients/{world.alice.pk}/doses", body)


@pytest.mark.django_db
def test_a_misspelt_sedated_is_a_422_naming_it(world: World, order: MedicationOrder) -> None:
    response = _dose(world, {"sequence": 1, "amount_mg": "30", "sedatd": True})
    assert response.status_code == 422, response.content
    assert response.json() == {
        "message": "Some fields are not valid.",
        "errors": [{"field": "sedatd", "reason": UNKNOWN}],
    }


@pytest.mark.django_db
def test_a_misspelt_sedated_records_no_dose_and_no_audit_row_of_one(
    world: World, order: MedicationOrder
) -> None:
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    _dose(world, {"sequence": 1, "amount_mg": "30", "sedatd": True})
    assert not DoseRecord.objects.filter(patient=world.alice).exists()
    written = AuditEvent.objects.exclude(pk__in=before)
    assert not written.filter(target_type="dose").exists()


@pytest.mark.django_db
def test_sedated_spelt_right_still_holds_the_dose(world: World, order: MedicationOrder) -> None:
    response = _dose(world, {"sequence": 1, "sedated": True})
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "held"


@pytest.mark.django_db
def test_the_same_dose_without_the_misspelling_is_recorded(world: World, order: MedicationOrder) -> None:
    response = _dose(world, {"sequence": 1, "amount_mg": "30"})
    assert response.status_code == 201, response.content
    assert DoseRecord.objects.filter(patient=world.alice).count() == 1


@pytest.mark.django_db
def test_a_caller_off_the_team_is_still_refused_a_dose_by_404(world: World, order: MedicationOrder) -> None:
    response = _post(
        sign_in(Client(), world.lakeside_nurse),
        f"/api/v1/patients/{world.alice.pk}/doses",
        {"sequence": 1, "amount_mg": "30"},
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_role_that_may_not_dose_is_still_refused_by_403(world: World, order: MedicationOrder) -> None:
    assert _dose(world, {"sequence": 1, "amount_mg": "30"}, role="counselor").status_code == 403


# --- The other medication routes ----------------------------------------------------------------------------


def _prescriber(world: World) -> Client:
    return sign_in(Client(), world.staff["prescriber"])


@pytest.mark.django_db
def test_an_order_with_a_misspelt_field_is_refused_by_name(world: World) -> None:
    body = {
        "medication": "methadone",
        "dose_mg": "30",
        "overide_reason": "titrating up on a slow schedule",
        "order_version": 0,
        "orders_version": orders_version(world.alice),
    }
    response = _post(_prescriber(world), f"/api/v1/patients/{world.alice.pk}/orders", body)
    assert (response.status_code, _fields(response)) == (422, ["overide_reason"])
    assert not MedicationOrder.objects.filter(patient=world.alice).exists()


@pytest.mark.django_db
def test_a_low_dose_day_with_a_misspelt_key_is_refused_by_name(world: World) -> None:
    body = {
        "medication": "buprenorphine",
        "dose_mg": "2",
        "schedule": [{"day": 1, "mg": 0.5}, {"dya": 2}],
        "order_version": 0,
        "orders_version": orders_version(world.alice),
    }
    response = _post(_prescriber(world), f"/api/v1/patients/{world.alice.pk}/orders", body)
    assert (response.status_code, _fields(response)) == (422, ["schedule.1.dya"])
    assert not MedicationOrder.objects.filter(patient=world.alice).exists()


@pytest.mark.django_db
def test_an_override_with_a_misspelt_field_is_refused_by_name(world: World, order: MedicationOrder) -> None:
    body = {"max_total_mg": 55, "reason": "split dose after vomiting witnessed", "medicaton": "methadone"}
    response = _post(_prescriber(world), f"/api/v1/patients/{world.alice.pk}/dose-overrides", body)
    assert (response.status_code, _fields(response)) == (422, ["medicaton"])


@pytest.mark.django_db
def test_a_take_home_plan_with_a_misspelt_field_is_refused_by_name(
    world: World, order: MedicationOrder
) -> None:
    body = {"criteria": {k: True for k in services.CRITERIA_KEYS}, "state_max_day": 1}
    response = _post(_prescriber(world), f"/api/v1/patients/{world.alice.pk}/take-homes", body)
    assert (response.status_code, _fields(response)) == (422, ["state_max_day"])
    assert not TakeHomePlan.objects.filter(patient=world.alice).exists()


@pytest.mark.django_db
def test_a_misspelt_take_home_criterion_is_refused_by_name(world: World, order: MedicationOrder) -> None:
    criteria = {**{k: True for k in services.CRITERIA_KEYS}, "regular_attendence": True}
    response = _post(
        _prescriber(world), f"/api/v1/patients/{world.alice.pk}/take-homes", {"criteria": criteria}
    )
    assert (response.status_code, _fields(response)) == (422, ["criteria.regular_attendence"])
    assert not TakeHomePlan.objects.filter(patient=world.alice).exists()


@pytest.mark.django_db
def test_an_opioid_in_a_report_of_last_use_with_a_misspelt_key_is_refused(world: World) -> None:
    body = {"opioids": [{"opioid": "heroin", "last_use": "2026-11-25T06:30:00-05:00"}]}
    response = _post(_prescriber(world), f"/api/v1/patients/{world.alice.pk}/last-use", body)
    assert (response.status_code, _fields(response)) == (422, ["opioids.0.last_use"])


# --- One per other app ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_appointment_with_a_misspelt_field_is_refused_by_name(world: World) -> None:
    body = {"date": "2030-03-15", "start": "09:30", "end": "10:30", "kind": "counseling", "with": 1}
    response = _post(_prescriber(world), f"/api/v1/patients/{world.alice.pk}/appointments", body)
    assert (response.status_code, _fields(response)) == (422, ["with"])


@pytest.mark.django_db
def test_an_assessment_with_a_misspelt_field_is_refused_by_name(world: World) -> None:
    body = {"instrument": "phq9", "answers": {f"phq9_{i}": 0 for i in range(1, 10)}, "filled": "2026-01-01"}
    response = _post(sign_in(Client(), world.alice.user), "/api/v1/me/assessments", body)
    assert (response.status_code, _fields(response)) == (422, ["filled"])


@pytest.mark.django_db
def test_a_consent_with_a_misspelt_field_is_refused_by_name(world: World) -> None:
    body = {
        "recipient_name": "Valley Primary Care",
        "purpose": "treatment",
        "categories": ["medication"],
        "expires_on": "2099-01-01",
        "signature": "Alicia Zamorano",
        "understood": True,
        "categorys": ["checkins"],
    }
    response = _post(sign_in(Client(), world.alice.user), "/api/v1/me/consents", body)
    assert (response.status_code, _fields(response)) == (422, ["categorys"])


@pytest.mark.django_db
def test_a_token_request_with_a_misspelt_field_is_refused_by_name(world: World) -> None:
    body = {"username": "alice", "password": "wrong password 123", "expires_in": 7}
    response = _post(Client(), "/api/v1/auth/tokens", body)
    assert (response.status_code, _fields(response)) == (422, ["expires_in"])


@pytest.mark.django_db
def test_a_flag_resolution_with_a_misspelt_field_is_refused_by_name(world: World) -> None:
    response = _post(
        _prescriber(world), f"/api/v1/patients/{world.alice.pk}/flags/999999/resolve", {"nte": "x"}
    )
    assert response.status_code == 422
    assert "nte" in _fields(response)


@pytest.mark.django_db
def test_an_export_with_a_misspelt_field_is_refused_by_name(world: World) -> None:
    body = {"basis": "patient_request", "password": "x", "recipient": "me"}
    response = _post(_prescriber(world), f"/api/v1/patients/{world.alice.pk}/fhir/export", body)
    assert response.status_code == 422
    assert _fields(response) == ["recipient"]


@pytest.mark.django_db
def test_an_unknown_key_is_said_as_the_core_bodies_say_it(world: World) -> None:
    """The same shape and words as a `CoreIn` body's unknown key (registration, review 17h)."""
    response = _post(sign_in(Client(), world.alice.user), "/api/v1/me/assessments", {"zz": 1})
    assert response.json()["message"] == "Some fields are not valid."
    assert {"field": "zz", "reason": UNKNOWN} in response.json()["errors"]


@pytest.mark.django_db
def test_an_unknown_key_from_a_caller_off_the_team_says_nothing_of_the_record(
    world: World, order: MedicationOrder
) -> None:
    """A ninja body's unknown key is refused before the route runs, as a field of the wrong type always was:
    a caller who may not act gets the same 422 for a real patient as for no patient at all (no 404 or 403
    to tell them apart, nothing written); with a body without it they still get their 404 (above)."""
    outsider = sign_in(Client(), world.lakeside_nurse)
    body = {"sequence": 1, "amount_mg": "30", "sedatd": True}
    real = _post(outsider, f"/api/v1/patients/{world.alice.pk}/doses", body)
    none = _post(outsider, "/api/v1/patients/999999/doses", body)
    assert (real.status_code, real.json()) == (none.status_code, none.json())
    assert real.status_code == 422
    assert not DoseRecord.objects.exists()
    assert not AuditEvent.objects.filter(patient_id=world.alice.pk, target_type="dose").exists()


def _model_for(method: str, path: str) -> type[BaseModel] | None:
    for m, p, schema in _keel_bodies():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(p)) + "$"
        if m.upper() == method and re.match(pattern, path):
            return _model_of(schema)
    return None


def test_the_access_tables_bodies_carry_only_their_fields() -> None:
    """The access table (`tests/access/expectations.py`) answers each role 403/404 where it may not act: with
    a key its body does not know, a ninja body would be a 422 for everyone, and the table would test no
    access."""
    checked, stray = 0, []
    for name, route in ROUTES.items():
        model = route.body is not None and _model_for(
            route.method, route.path.format(patient=1, assessment=1)
        )
        if model:
            checked += 1
            stray += [f"{name}: {k}" for k in route.body or {} if k not in model.model_fields]
    assert stray == []
    assert checked >= 40
