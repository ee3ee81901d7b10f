"""Passwords (issue #18): a signed-in person changes theirs (the current one again, Django's validators, other
sessions end, audited); a forgotten one is reset through an emailed link that works once and expires, that
never tells whether the account exists, and after which the second factor is still asked."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.accounts.models import User
from keel.audit.models import AuditEvent
from keel.jobs.services import run_queue
from tests.conftest import PASSWORD, Mailbox, World, sign_in

pytestmark = pytest.mark.django_db
NEW = "a long and unusual passphrase"


@pytest.fixture(autouse=True)
def _worker_keeps_the_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """The queue's worker closes connections that are not in autocommit between tasks, as a long-running
    process should; inside a test's transaction on PostgreSQL that would close the test's own connection."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


HEALTH_WORDS = [
    "opioid",
    "methadone",
    "buprenorphine",
    "patient",
    "treatment",
    "dose",
    "recovery",
    "Riverside",
]


def _change(client: Client, **change: str) -> Any:
    body = {"current_password": PASSWORD, "new_password": NEW, "new_password_again": NEW, **change}
    return client.post("/api/v1/me/password", json.dumps(body), content_type="application/json")


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def _with_email(user: Any, address: str = "nurse@riverside.example") -> Any:
    user.email = address
    user.save(update_fields=["email"])
    return user


def _ask(address: str = "nurse@riverside.example", *, client: Client | None = None) -> Any:
    """Ask for a reset link, then run the queue once (the worker sends the email)."""
    response = (client or Client()).post(
        "/api/v1/auth/password-reset", json.dumps({"email": address}), content_type="application/json"
    )
    run_queue()
    return response


def _link(box: Mailbox, address: str = "nurse@riverside.example") -> str:
    found = re.search(
        r"http://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)", Mailbox.body(box.to(address)[-1])
    )
    assert found
    return found.group(1)


def _reset(link: str, password: str = NEW, again: str | None = None) -> Any:
    return Client().post(link, {"password": password, "password_again": password if again is None else again})


# --- Change while signed in ----------------------------------------------------------------------------


def test_a_nurse_changes_her_password(world: World, signed_in: Any) -> None:
    assert _change(signed_in("nurse")).status_code == 200
    assert User.objects.get(pk=world.staff["nurse"].pk).check_password(NEW)


def test_the_session_that_changed_it_stays_signed_in(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    _change(client)
    assert client.get("/patients/").status_code == 200


def test_her_other_sessions_end(world: World, signed_in: Any) -> None:
    other = signed_in("nurse")
    _change(signed_in("nurse"))
    assert other.get("/patients/").status_code == 302


def test_a_wrong_current_password_changes_nothing(world: World, signed_in: Any) -> None:
    response = _change(signed_in("nurse"), current_password="not it")
    assert _fields(response) == ["current_password"]
    assert User.objects.get(pk=world.staff["nurse"].pk).check_password(PASSWORD)


def test_a_wrong_current_password_counts_toward_the_lockout(world: World, signed_in: Any) -> None:
    _change(signed_in("nurse"), current_password="not it")
    assert AuditEvent.objects.filter(
        action="failed_login", reason__startswith="re-authentication for password"
    ).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"new_password": "", "new_password_again": ""}, "new_password"),
        ({"new_password": "123", "new_password_again": "123"}, "new_password"),
        ({"new_password_again": "something else"}, "new_password_again"),
        ({"new_password": PASSWORD, "new_password_again": PASSWORD}, "new_password"),
    ],
)
def test_a_bad_new_password_names_the_field(
    world: World, signed_in: Any, change: dict[str, str], field: str
) -> None:
    response = _change(signed_in("nurse"), **change)
    assert response.status_code == 422
    assert _fields(response) == [field]


def test_the_change_is_audited(world: World, signed_in: Any) -> None:
    _change(signed_in("nurse"))
    assert (
        AuditEvent.objects.filter(target_id=str(world.staff["nurse"].pk), reason="password changed").count()
        == 1
    )


def test_a_patient_changes_hers_on_the_page(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    form = {"current_password": PASSWORD, "new_password": NEW, "new_password_again": NEW}
    response = client.post("/accounts/password/", form)
    assert response.status_code == 200
    assert User.objects.get(pk=world.alice.user.pk).check_password(NEW)


def test_the_page_names_a_wrong_current_password(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    form = {"current_password": "nope", "new_password": NEW, "new_password_again": NEW}
    response = client.post("/accounts/password/", form)
    assert list(response.context["form"].errors) == ["current_password"]


def test_the_page_in_spanish(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    body = client.get("/accounts/password/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Cambiar su contraseña" in body


def test_a_token_caller_ends_every_session(world: World, signed_in: Any) -> None:
    from keel.accounts import services

    session = signed_in("nurse")
    secret = services.create_token(user=world.staff["nurse"]).secret
    body = {"current_password": PASSWORD, "new_password": NEW, "new_password_again": NEW}
    response = Client().post(
        "/api/v1/me/password",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200
    assert session.get("/patients/").status_code == 302


# --- Reset by email -------------------------------------------------------------------------------------


def test_a_reset_link_is_emailed(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    assert _ask().status_code == 202
    assert len(smtp_server.to("nurse@riverside.example")) == 1


def test_the_answer_is_the_same_for_an_address_nobody_has(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    known, unknown = _ask(), _ask("nobody@riverside.example")
    assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())


def test_the_page_answers_the_same_for_an_address_nobody_has(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    known = Client().post("/accounts/password/reset/", {"email": "nurse@riverside.example"})
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@riverside.example"})
    notice = re.compile(r'<p class="notice" role="status">(.*?)</p>', re.S)
    said = [(r.status_code, notice.findall(r.content.decode())) for r in (known, unknown)]
    assert said[0] == said[1]


def test_nothing_is_sent_for_an_address_nobody_has(world: World, smtp_server: Mailbox) -> None:
    _ask("nobody@riverside.example")
    assert smtp_server.messages == []


def test_a_turned_off_account_gets_no_link(world: World, smtp_server: Mailbox) -> None:
    nurse = _with_email(world.staff["nurse"])
    nurse.is_active = False
    nurse.save()
    _ask()
    assert smtp_server.messages == []


def test_a_bad_address_names_the_field(world: World, smtp_server: Mailbox) -> None:
    assert _fields(_ask("not an address")) == ["email"]


def test_the_email_carries_no_health_information(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    _ask()
    message = smtp_server.to("nurse@riverside.example")[0]
    text = (message["Subject"] + Mailbox.body(message)).lower()
    assert [w for w in HEALTH_WORDS if w.lower() in text] == []


def test_the_link_sets_a_new_password(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    _ask()
    assert _reset(_link(smtp_server)).status_code == 200
    assert User.objects.get(pk=world.staff["nurse"].pk).check_password(NEW)


def test_the_link_works_once(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    _ask()
    link = _link(smtp_server)
    _reset(link)
    assert Client().get(link).status_code == 404


def test_the_link_expires(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    with time_machine.travel("2026-03-10T15:00:00+00:00", tick=False):
        _ask()
    with time_machine.travel("2026-03-10T16:00:01+00:00", tick=False):  # 60 minutes and a second
        assert Client().get(_link(smtp_server)).status_code == 404


def test_a_tampered_link_does_not_work(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    _ask()
    link = _link(smtp_server)
    assert Client().get(link[:-3] + "xx/").status_code == 404


def test_a_weak_new_password_names_the_field(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    _ask()
    response = _reset(_link(smtp_server), "123")
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["password"]


def test_different_passwords_name_the_second(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    _ask()
    response = _reset(_link(smtp_server), NEW, "something else")
    assert list(response.context["form"].errors) == ["password_again"]


def test_the_reset_signs_nobody_in(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    _ask()
    client = Client()
    client.post(_link(smtp_server), {"password": NEW, "password_again": NEW})
    assert client.get("/patients/").status_code == 302


def test_after_a_reset_the_second_factor_is_still_asked(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    _ask()
    _reset(_link(smtp_server))
    response = Client().post("/accounts/login/", {"username": "r-nurse", "password": NEW})
    assert response["Location"] == "/accounts/login/verify/"


def test_a_reset_ends_every_session_and_token(world: World, signed_in: Any, smtp_server: Mailbox) -> None:
    from keel.accounts import services

    session = signed_in("nurse")
    issued = services.create_token(user=world.staff["nurse"])
    _with_email(world.staff["nurse"])
    _ask()
    _reset(_link(smtp_server))
    assert session.get("/patients/").status_code == 302
    assert services.user_for_token(issued.secret) is None


def test_the_reset_is_audited(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    _ask()
    _reset(_link(smtp_server))
    assert (
        AuditEvent.objects.filter(target_id=str(world.staff["nurse"].pk), reason="password reset").count()
        == 1
    )


def test_the_api_resets_with_uid_and_token(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    _ask()
    uid, token = _link(smtp_server).strip("/").split("/")[-2:]
    body = {"uid": uid, "token": token, "password": NEW, "password_again": NEW}
    response = Client().post(
        "/api/v1/auth/password-reset/confirm", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200
    assert User.objects.get(pk=world.staff["nurse"].pk).check_password(NEW)


def test_the_api_refuses_a_used_link(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    _ask()
    link = _link(smtp_server)
    _reset(link)
    uid, token = link.strip("/").split("/")[-2:]
    body = {"uid": uid, "token": token, "password": NEW + "!", "password_again": NEW + "!"}
    response = Client().post(
        "/api/v1/auth/password-reset/confirm", json.dumps(body), content_type="application/json"
    )
    assert _fields(response) == ["link"]


def test_the_reset_page_in_spanish(world: World) -> None:
    body = Client().get("/accounts/password/reset/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "¿Olvidó su contraseña?" in body


# --- Reset requests: no timing oracle, rate-limited (issue #19) -----------------------------------------

VARYING = {"set-cookie", "x-request-id", "date"}  # the CSRF cookie and the request's own id


def _headers(response: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in response.headers.items() if k.lower() not in VARYING}


def _post(address: str, *, client: Client | None = None) -> Any:
    return (client or Client()).post(
        "/api/v1/auth/password-reset", json.dumps({"email": address}), content_type="application/json"
    )


def test_the_api_answers_byte_for_byte_the_same(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    known, unknown = _post("nurse@riverside.example"), _post("nobody@riverside.example")
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)


def test_the_api_headers_are_the_same(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    known, unknown = _post("nurse@riverside.example"), _post("nobody@riverside.example")
    assert _headers(known) == _headers(unknown)


def test_the_page_answers_byte_for_byte_the_same_apart_from_csrf(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    known = Client().post("/accounts/password/reset/", {"email": "nurse@riverside.example"})
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@riverside.example"})
    csrf = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
    assert (known.status_code, csrf.sub(b"", known.content)) == (
        unknown.status_code,
        csrf.sub(b"", unknown.content),
    )


def test_the_page_headers_are_the_same(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    known = Client().post("/accounts/password/reset/", {"email": "nurse@riverside.example"})
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@riverside.example"})
    assert _headers(known) == _headers(unknown)


def test_the_request_itself_sends_nothing(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    _post("nurse@riverside.example")
    assert smtp_server.messages == []  # the same work as for an unknown address: only queued


def test_the_worker_sends_the_queued_link(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    _post("nurse@riverside.example")
    run_queue()
    assert len(smtp_server.to("nurse@riverside.example")) == 1


def test_the_queued_link_is_in_the_language_asked_in(world: World, smtp_server: Mailbox) -> None:
    _with_email(world.staff["nurse"])
    Client().post(
        "/accounts/password/reset/", {"email": "nurse@riverside.example"}, HTTP_ACCEPT_LANGUAGE="es"
    )
    run_queue()
    assert smtp_server.to("nurse@riverside.example")[0]["Subject"] == "Elija una contraseña nueva de Keel"


def test_the_limit_per_address_holds_across_processes(
    world: World, smtp_server: Mailbox, settings: Any
) -> None:
    # Two clients stand for two web processes: they share only the database (and its cache table).
    settings.KEEL_PASSWORD_RESET_PER_ADDRESS = 2
    first, second = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    _post("nurse@riverside.example", client=first)
    _post("nurse@riverside.example", client=second)
    assert _post("nurse@riverside.example", client=first).status_code == 429


def test_the_limit_per_address_ignores_case(world: World, smtp_server: Mailbox, settings: Any) -> None:
    settings.KEEL_PASSWORD_RESET_PER_ADDRESS = 1
    _post("nurse@riverside.example")
    assert _post("NURSE@Riverside.example").status_code == 429


def test_the_limit_per_client_holds_across_processes(
    world: World, smtp_server: Mailbox, settings: Any
) -> None:
    settings.KEEL_PASSWORD_RESET_PER_CLIENT = 2
    first, second = Client(REMOTE_ADDR="10.0.0.9"), Client(REMOTE_ADDR="10.0.0.9")
    _post("a@riverside.example", client=first)
    _post("b@riverside.example", client=second)
    assert _post("c@riverside.example", client=first).status_code == 429


def test_another_client_is_not_held_by_ones_limit(world: World, smtp_server: Mailbox, settings: Any) -> None:
    settings.KEEL_PASSWORD_RESET_PER_CLIENT = 1
    _post("a@riverside.example", client=Client(REMOTE_ADDR="10.0.0.9"))
    assert _post("b@riverside.example", client=Client(REMOTE_ADDR="10.0.0.10")).status_code == 202


def test_the_api_says_plainly_when_limited(world: World, smtp_server: Mailbox, settings: Any) -> None:
    settings.KEEL_PASSWORD_RESET_PER_ADDRESS = 1
    _post("nurse@riverside.example")
    assert _post("nurse@riverside.example").json() == {
        "message": "Too many requests for a new password. Try again in an hour.",
        "errors": [],
    }


def test_the_page_says_plainly_when_limited(world: World, smtp_server: Mailbox, settings: Any) -> None:
    settings.KEEL_PASSWORD_RESET_PER_ADDRESS = 1
    Client().post("/accounts/password/reset/", {"email": "nurse@riverside.example"})
    response = Client().post("/accounts/password/reset/", {"email": "nurse@riverside.example"})
    assert (response.status_code, "Too many requests" in response.content.decode()) == (429, True)


def test_a_limited_request_sends_nothing(world: World, smtp_server: Mailbox, settings: Any) -> None:
    _with_email(world.staff["nurse"])
    settings.KEEL_PASSWORD_RESET_PER_ADDRESS = 1
    _post("nurse@riverside.example")
    _post("nurse@riverside.example")
    run_queue()
    assert len(smtp_server.to("nurse@riverside.example")) == 1


def test_the_window_ends_after_an_hour(world: World, smtp_server: Mailbox, settings: Any) -> None:
    settings.KEEL_PASSWORD_RESET_PER_ADDRESS = 1
    with time_machine.travel("2026-03-10T15:00:00+00:00", tick=False):
        _post("nurse@riverside.example")
    with time_machine.travel("2026-03-10T16:00:01+00:00", tick=False):
        assert _post("nurse@riverside.example").status_code == 202
