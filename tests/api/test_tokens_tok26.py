"""Lane tok26: what lane fix25e left on API tokens.

1. Every write route of the OpenAPI schema is walked with each staff role's unbound token and a body built
   from its schema: a route that creates, hands or resets a credential or an account (found by the words of
   its path and summary) must be refused to every token (403, the token's words, audited), unless it is in
   `REACHABLE_BY_TOKEN` below with its reason; and no write at all may leave a new account, invitation,
   token, code or role behind. Invitations and role changes are refused now (`api_auth.staff_access_only`).
2. A medication order by a token (review 25d H4, a forged `orders_version`): the answer is the same, byte for
   byte, whether or not the person has any order; nothing written; a session keeps the whole 409.
3. A staff token issued with no recipient: its answer says plainly that it releases no record (English and
   Spanish); a bound one names its recipient; a patient's own token says nothing (unchanged)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from keel.accounts.models import ApiToken, Invitation, User
from keel.api_auth import STAFF_ACCESS_TOKEN, VERSIONED_TOKEN
from keel.audit.models import Action, AuditEvent
from keel.patients.models import ActivationCode, EmergencyAccess, SecondFactorReset
from keel.treatment.models import Medication, MedicationOrder
from keel.treatment.services import prescribe
from tests.conftest import PASSWORD, World, sign_in, totp_now

pytestmark = pytest.mark.django_db

ROLES = ("nurse", "prescriber", "counselor", "program_admin")
WRITES = ("post", "put", "patch", "delete")
# The words of a route that creates, hands or resets a credential or an account (path and summary).
CREDENTIAL_WORDS = re.compile(
    r"invit|\brole\b|token|password|-code\b|second.factor|two-step|activat|account|access|credential|"
    r"sign.in|reset|enrol|mfa|staff member",
    re.IGNORECASE,
)
# Credential-looking routes a token still reaches, each with its reason (the route's docstring says more).
REACHABLE_BY_TOKEN = {
    ("post", "/api/v1/auth/tokens"): "no token is read (auth=None): the caller's own password and second "
    "factor issue the caller's own token, never someone else's",
    ("delete", "/api/v1/auth/tokens/{token_id}"): "ends one of the caller's own tokens; hands nothing",
    ("post", "/api/v1/auth/activate"): "no token is read (auth=None): the desk's one-time code is the "
    "credential, and handing the code is refused to tokens",
    ("post", "/api/v1/auth/reset-with-code"): "no token is read (auth=None): the code is the credential",
    ("post", "/api/v1/auth/password-reset"): "no token is read (auth=None): the link goes to the account's "
    "own address",
    ("post", "/api/v1/auth/password-reset/confirm"): "no token is read (auth=None): the emailed link is the "
    "credential",
    ("post", "/api/v1/me/password"): "the caller's own password, changed only with the current one (the "
    "credential itself); hands nothing to anyone",
    ("post", "/api/v1/patients/{patient_id}/care-team"): "a patient's care team: which colleague, already on "
    "the program's staff with their own sign-in and role, cares for them; no credential is made or changed",
    ("delete", "/api/v1/patients/{patient_id}/care-team/{user_id}"): "takes a colleague off a care team",
    ("post", "/api/v1/patients/care-teams"): "the care team of several patients at once (as above)",
    ("post", "/api/v1/emergency-access/{patient_id}/end"): "ends the caller's own emergency access early; "
    "hands nothing",
    ("post", "/api/v1/patients/{patient_id}/disclosures"): "a release under a consent (TokenUse.RELEASE, a "
    "bound token's one use): a record to its recipient, no credential; the password is the caller's own",
    ("post", "/api/v1/patients/{patient_id}/fhir/export"): "a release under a consent (as above)",
}
TOKEN_WORDS = (
    "An API token cannot"  # how every refusal of a token as such begins (desk, staff, order, emergency)
)


def _token(user: Any, recipient: str = "") -> str:
    from keel.accounts import services

    return services.create_token(user=user, name="ehr", recipient_name=recipient).secret


def _bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _schema() -> dict[str, Any]:
    return dict(Client().get("/api/v1/openapi.json").json())


def _writes(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return sorted(
        (method, path, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if method in WRITES
    )


def _hands_a_credential(path: str, op: dict[str, Any]) -> bool:
    return bool(CREDENTIAL_WORDS.search(f"{path} {op.get('summary', '')}"))


def _resolved(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _example(node: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> Any:
    """A value the schema takes (its required keys only): the body a script would send."""
    node = _resolved(node, schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node and depth < 6:
            return _example(node[key][0], schema, depth + 1)
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        props = node.get("properties", {})
        return {k: _example(props[k], schema, depth + 1) for k in node.get("required", []) if depth < 6}
    return {
        "string": "2026-01-01" if node.get("format") == "date" else "x",
        "integer": 1,
        "number": 1,
        "boolean": True,
        "array": [],
    }.get(str(kind), "x")


def _body(op: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    content = op.get("requestBody", {}).get("content", {})
    found = content.get("application/json", {}).get("schema")
    value = _example(found, schema) if found else {}
    return value if isinstance(value, dict) else {}


def _filled(path: str, world: World) -> str:
    values = {"patient_id": world.alice.pk, "slug": "riverside", "user_id": world.staff["nurse"].pk}
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), path)


def _send(method: str, path: str, body: dict[str, Any], secret: str, **extra: str) -> Any:
    send = getattr(Client(raise_request_exception=False), method)
    return send(path, json.dumps(body), content_type="application/json", **_bearer(secret), **extra)


def _refused_as_a_token(response: Any) -> bool:
    if response.status_code != 403:
        return False
    return str(response.json().get("message", "")).startswith(TOKEN_WORDS)


def _credentials() -> tuple[object, ...]:
    """What a credential-handing write leaves behind: accounts and their roles and passwords, invitations,
    tokens, one-time codes, second factor resets, emergency access."""
    return (
        sorted(User.objects.values_list("pk", "role", "password")),
        Invitation.objects.count(),
        ApiToken.objects.count(),
        ActivationCode.objects.count(),
        SecondFactorReset.objects.count(),
        EmergencyAccess.objects.count(),
    )


def test_the_walk_finds_the_routes_it_must() -> None:
    schema = _schema()
    flagged = {(m, p) for m, p, op in _writes(schema) if _hands_a_credential(p, op)}
    assert ("post", "/api/v1/programs/{slug}/invitations") in flagged
    assert ("post", "/api/v1/programs/{slug}/staff/{user_id}/role") in flagged
    assert ("post", "/api/v1/patients/{patient_id}/password-reset-code") in flagged
    assert len(_writes(schema)) > 40


def test_every_reasoned_allowance_is_still_a_write_of_the_schema() -> None:
    writes = {(m, p) for m, p, _op in _writes(_schema())}
    assert set(REACHABLE_BY_TOKEN) <= writes, set(REACHABLE_BY_TOKEN) - writes


@pytest.mark.parametrize("role", ROLES)
def test_no_credential_handing_write_is_reachable_by_a_staff_token(world: World, role: str) -> None:
    schema = _schema()
    secret = _token(world.staff[role])
    reached = []
    for method, path, op in _writes(schema):
        if not _hands_a_credential(path, op) or (method, path) in REACHABLE_BY_TOKEN:
            continue
        response = _send(method, _filled(path, world), _body(op, schema), secret)
        if not _refused_as_a_token(response):
            reached.append(f"{method.upper()} {path}: {response.status_code}")
    assert reached == [], "\n".join(reached)


@pytest.mark.parametrize("role", ["nurse", "program_admin"])
def test_no_write_by_a_token_leaves_a_credential_behind(world: World, role: str) -> None:
    schema = _schema()
    secret = _token(world.staff[role])
    before = _credentials()
    changed = []
    for method, path, op in _writes(schema):
        if (method, path) == ("post", "/api/v1/auth/tokens"):
            continue  # the caller's own password makes the caller's own token (REACHABLE_BY_TOKEN)
        _send(method, _filled(path, world), _body(op, schema), secret)
        if _credentials() != before:
            changed.append(f"{method.upper()} {path}")
            before = _credentials()
    assert changed == []


def test_an_invitation_by_an_admins_token_is_refused_audited_and_sends_nothing(world: World) -> None:
    from django.core import mail

    before = AuditEvent.objects.filter(action=Action.DENIED, reason=STAFF_ACCESS_TOKEN).count()
    response = _send(
        "post",
        "/api/v1/programs/riverside/invitations",
        {"email": "new.nurse@example.org", "role": "nurse"},
        _token(world.staff["program_admin"]),
    )
    assert response.status_code == 403
    assert not Invitation.objects.filter(email="new.nurse@example.org").exists()
    assert mail.outbox == []
    assert AuditEvent.objects.filter(action=Action.DENIED, reason=STAFF_ACCESS_TOKEN).count() == before + 1


def test_a_role_change_by_an_admins_token_is_refused(world: World) -> None:
    nurse = world.staff["nurse"]
    response = _send(
        "post",
        f"/api/v1/programs/riverside/staff/{nurse.pk}/role",
        {"role": "program_admin"},
        _token(world.staff["program_admin"]),
    )
    assert response.status_code == 403
    assert User.objects.get(pk=nurse.pk).role == "nurse"


def test_the_staff_access_refusal_is_said_in_spanish(world: World) -> None:
    response = _send(
        "post",
        "/api/v1/programs/riverside/invitations",
        {"email": "new.nurse@example.org", "role": "nurse"},
        _token(world.staff["program_admin"]),
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert "invitar a un miembro del personal" in response.json()["message"]


def test_the_audit_page_says_the_new_refusals_in_spanish() -> None:
    from django.utils import translation

    from keel.web.audit_words import reason_words

    with translation.override("es"):
        assert reason_words(STAFF_ACCESS_TOKEN).startswith("Token de API rechazado")
        assert reason_words(VERSIONED_TOKEN).startswith("Token de API rechazado")


def test_a_signed_in_admin_still_invites(world: World) -> None:
    client = sign_in(Client(), world.staff["program_admin"])
    response = client.post(
        "/api/v1/programs/riverside/invitations",
        json.dumps({"email": "new.nurse@example.org", "role": "nurse"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content[:300]


def test_an_admins_token_does_not_turn_a_staff_members_account_off(world: World) -> None:
    """The lead's decision at the merge with lane fix26a (was: this lane's "an admin's token still turns a
    leaver's account off", 200): a stolen admin token could turn off every nurse and stop the dosing window;
    a staff token's writes are an allow list (review 26a), and this write is not on it."""
    nurse = world.staff["nurse"]
    response = _send(
        "post",
        f"/api/v1/programs/riverside/staff/{nurse.pk}/deactivate",
        {},
        _token(world.staff["program_admin"]),
    )
    assert response.status_code == 403, response.content[:300]
    assert User.objects.get(pk=nurse.pk).is_active


# --- 2. A medication order by a token: the same answer whatever orders the person has ---------------------


def _zero_version(patient: Any) -> str:
    return "-".join([str(patient.pk)] + ["0"] * len(Medication.values))


def _order_by(client: Client, patient: Any, version: str, **extra: Any) -> Any:
    return client.post(
        f"/api/v1/patients/{patient.pk}/orders",
        data=json.dumps({"medication": "methadone", "dose_mg": "45", "orders_version": version}),
        content_type="application/json",
        **extra,
    )


def test_a_tokens_order_is_answered_the_same_with_or_without_orders(world: World) -> None:
    secret = _token(world.staff["prescriber"])
    alice = world.alice
    none_yet = _order_by(Client(), alice, _zero_version(alice), **_bearer(secret))
    prescribe(by=world.staff["prescriber"], patient_id=alice.pk, medication="methadone", dose_mg="40")
    one_now = _order_by(Client(), alice, _zero_version(alice), **_bearer(secret))
    assert (none_yet.status_code, none_yet.content) == (one_now.status_code, one_now.content)


def test_a_tokens_order_with_the_right_version_is_answered_the_same_too(world: World) -> None:
    from keel.treatment.queries import orders_version

    secret = _token(world.staff["prescriber"])
    alice = world.alice
    prescribe(by=world.staff["prescriber"], patient_id=alice.pk, medication="methadone", dose_mg="40")
    right = _order_by(Client(), alice, orders_version(alice), **_bearer(secret))
    forged = _order_by(Client(), alice, _zero_version(alice), **_bearer(secret))
    assert (right.status_code, right.content) == (forged.status_code, forged.content)


def test_a_tokens_order_is_refused_audited_and_writes_nothing(world: World) -> None:
    alice = world.alice
    before = AuditEvent.objects.filter(action=Action.DENIED, reason=VERSIONED_TOKEN).count()
    response = _order_by(Client(), alice, _zero_version(alice), **_bearer(_token(world.staff["prescriber"])))
    assert response.status_code == 403
    assert not MedicationOrder.objects.filter(patient=alice).exists()
    assert AuditEvent.objects.filter(action=Action.DENIED, reason=VERSIONED_TOKEN).count() == before + 1


def test_the_order_refusal_is_said_in_spanish(world: World) -> None:
    secret = _token(world.staff["prescriber"])
    response = _order_by(
        Client(), world.alice, _zero_version(world.alice), **_bearer(secret), HTTP_ACCEPT_LANGUAGE="es"
    )
    assert "no puede escribir una orden de medicamento" in response.json()["message"]


def test_a_signed_in_prescriber_still_gets_the_whole_409(world: World) -> None:
    alice = world.alice
    prescribe(by=world.staff["prescriber"], patient_id=alice.pk, medication="methadone", dose_mg="40")
    response = _order_by(sign_in(Client(), world.staff["prescriber"]), alice, _zero_version(alice))
    assert response.status_code == 409
    assert response.json()["changed"]["newest_order"]["dose_mg"] == "40.00"


# --- 3. A staff token with no recipient says that it releases no record ------------------------------------


def _issue(world: World, user: Any, recipient: str = "", **extra: Any) -> Any:
    body: dict[str, Any] = {"username": user.username, "password": PASSWORD, "recipient_name": recipient}
    if user.pk in world.devices:
        body["otp_code"] = totp_now(world.devices[user.pk])
    return Client().post("/api/v1/auth/tokens", json.dumps(body), content_type="application/json", **extra)


def test_a_staff_token_with_no_recipient_says_it_releases_no_record(world: World) -> None:
    response = _issue(world, world.staff["nurse"])
    assert response.status_code == 201, response.content[:300]
    assert "releases no person's record" in response.json()["note"]


def test_a_staff_token_with_no_recipient_says_so_in_spanish(world: World) -> None:
    response = _issue(world, world.staff["nurse"], HTTP_ACCEPT_LANGUAGE="es")
    assert "no entrega la historia de ninguna persona" in response.json()["note"]


def test_a_bound_staff_token_names_its_recipient(world: World) -> None:
    response = _issue(world, world.staff["nurse"], recipient="County ED")
    assert "only to County ED" in response.json()["note"]


def test_a_patients_own_token_says_nothing_new(world: World) -> None:
    response = _issue(world, world.alice.user)
    assert response.status_code == 201, response.content[:300]
    assert "note" not in response.json()
