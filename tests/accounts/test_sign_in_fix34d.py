"""Lane fix34d (review 34d): the walks around each fix. A code that adds an authenticator is used up on every
route (the invitation too, another browser, a wrong code writes nothing); a password change ends every token
(by the page, by the API in a session or with a token; a refused change ends none); a username the rule
refuses is a message on `username` on every route that makes an account (nothing written, the code or the
invitation still works); signing in folds the username's case and the lockout counts one name."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.accounts import services
from keel.accounts.models import ApiToken, Invitation, User
from keel.accounts.second_factor import remove_second_factor
from tests.conftest import PASSWORD, Mailbox, World, sign_in, totp_now
from tests.review34d._setup import (
    PENDING,
    activation_code,
    api_token,
    code_for_key,
    password_step,
    record_without_account,
)

pytestmark = pytest.mark.django_db
NEW = "a wholly different passphrase 77"
INVITE = {"email": "nia@riverside.example", "role": "nurse", "first_name": "Nia", "last_name": "Okafor"}


def _invitation_link(world: World, box: Mailbox) -> str:
    admin = sign_in(Client(), world.staff["program_admin"])
    sent = admin.post(
        "/api/v1/programs/riverside/invitations", json.dumps(INVITE), content_type="application/json"
    )
    assert sent.status_code == 201
    found = re.search(
        r"http://testserver(/accounts/invitation/[^/\s]+/)", Mailbox.body(box.to(INVITE["email"])[-1])
    )
    assert found
    return found.group(1)


def _accept(client: Client, link: str, username: str = "nia") -> tuple[Any, str]:
    client.get(link)
    code = code_for_key(client.session["keel_invitation"]["key"])
    form = {"username": username, "password": NEW, "password_again": NEW, "code": code}
    return client.post(link, form), code


# --- Hole 1: the enrolment code is used up ------------------------------------------------------------


def test_the_code_typed_on_the_invitation_gets_no_token(world: World, smtp_server: Mailbox) -> None:
    accepted, code = _accept(Client(), _invitation_link(world, smtp_server))
    assert accepted.status_code == 302
    assert api_token(Client(), "nia", code, password=NEW).status_code == 401


def test_the_enrolment_code_does_not_sign_in_a_second_browser(world: World) -> None:
    nurse = world.staff["nurse"]
    setup = remove_second_factor(nurse).setup_code.code  # lane acct35: handed to her by the admin
    first = Client()
    password_step(first, nurse.username)
    first.get("/accounts/login/verify/")
    code = code_for_key(first.session[PENDING]["key"])
    assert first.post("/accounts/login/verify/", {"setup_code": setup, "code": code}).status_code == 302
    second = Client()
    assert password_step(second, nurse.username).status_code == 302
    assert second.post("/accounts/login/verify/", {"setup_code": setup, "code": code}).status_code != 302
    assert "_auth_user_id" not in second.session


def test_a_wrong_enrolment_code_writes_nothing(world: World) -> None:
    nurse = world.staff["nurse"]
    setup = remove_second_factor(nurse).setup_code.code
    browser = Client()
    password_step(browser, nurse.username)
    browser.get("/accounts/login/verify/")
    right = code_for_key(browser.session[PENDING]["key"])
    wrong = f"{(int(right) + 500000) % 1000000:06d}"
    assert browser.post("/accounts/login/verify/", {"setup_code": setup, "code": wrong}).status_code == 422
    assert not TOTPDevice.objects.filter(user=nurse).exists()


def test_the_new_device_takes_the_next_code(world: World) -> None:
    """The step recorded is the one used, not a later one: the authenticator's next code signs in."""
    nurse = world.staff["nurse"]
    device = services.enroll_totp(user=nurse, key_hex="ab" * 20, code=code_for_key("ab" * 20))
    totp = TOTP(bytes.fromhex(device.key))
    assert device.last_t in {totp.t() - 1, totp.t()}, "the step of the code used, as django-otp keeps it"
    totp.drift = 1  # the authenticator's next code (within django-otp's tolerance of one step)
    assert services.verify_totp(nurse, f"{totp.token():06d}") is not None


# --- Hole 2: a password change ends every token -------------------------------------------------------


def _change_by_api(client: Client, current: str = PASSWORD, **headers: str) -> Any:
    body = {"current_password": current, "new_password": NEW, "new_password_again": NEW}
    return client.post("/api/v1/me/password", body, content_type="application/json", **headers)


def _works(secret: str) -> bool:
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200


def test_the_api_change_in_a_session_ends_every_token(world: World) -> None:
    nurse = world.staff["nurse"]
    issued = services.create_token(user=nurse, name="script")
    page = sign_in(Client(), nurse)
    assert _change_by_api(page).status_code == 200
    assert not _works(issued.secret)
    assert page.get("/api/v1/me").status_code == 200, "the session the change was made in stays"


def test_the_api_change_with_a_token_ends_that_token_too(world: World) -> None:
    alice = world.alice.user
    other = services.create_token(user=alice, name="phone")
    used = services.create_token(user=alice, name="laptop")
    answer = _change_by_api(Client(), HTTP_AUTHORIZATION=f"Bearer {used.secret}")
    assert answer.status_code == 200
    assert not _works(used.secret) and not _works(other.secret)
    assert _works(services.create_token(user=alice, name="after").secret), "a token made after works"


def test_a_refused_change_ends_no_token(world: World) -> None:
    nurse = world.staff["nurse"]
    issued = services.create_token(user=nurse, name="script")
    assert _change_by_api(sign_in(Client(), nurse), current="not my password").status_code == 422
    assert _works(issued.secret)
    assert ApiToken.objects.filter(user=nurse, revoked_at__isnull=True).count() == 1


# --- Hole 3: a username the rule refuses ----------------------------------------------------------------


@pytest.mark.parametrize("username", ["Ana Ruiz", "ana/ruiz", "ana\u200bruiz"])
def test_the_invitation_page_names_the_username(world: World, smtp_server: Mailbox, username: str) -> None:
    link = _invitation_link(world, smtp_server)
    browser = Client()
    refused, _code = _accept(browser, link, username=username)
    assert refused.status_code == 422
    assert "No spaces" in refused.content.decode()
    assert not User.objects.filter(email=INVITE["email"]).exists()
    assert Invitation.objects.get(email=INVITE["email"]).accepted_at is None
    assert _accept(browser, link, username="ana.ruiz")[0].status_code == 302, "the link still works"


def test_the_activation_api_names_username_in_spanish_and_the_code_still_works(world: World) -> None:
    code = activation_code(world, record_without_account(world))
    body = {"code": code, "username": "Maria Gonzalez", "password": PASSWORD, "password_again": PASSWORD}
    answer = Client().post(
        "/api/v1/auth/activate", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="es"
    )
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["username"]
    assert not User.objects.filter(username__iexact="Maria Gonzalez").exists()
    body["username"] = "MariaG"
    assert Client().post("/api/v1/auth/activate", body, content_type="application/json").status_code < 300


def test_create_user_names_the_field_the_model_refuses(world: World) -> None:
    with pytest.raises(services.AccountError) as refused:
        services.create_user(username="two words", role="nurse", password=PASSWORD, program_slug="riverside")
    assert refused.value.field == "username"
    with pytest.raises(services.AccountError) as long_name:
        services.create_user(
            username="ok-name",
            role="nurse",
            password=PASSWORD,
            program_slug="riverside",
            first_name="x" * 151,
        )
    assert long_name.value.field == "first_name"
    assert not User.objects.filter(username__in=["two words", "ok-name"]).exists()


# --- Decision 1: the username's case is folded at sign-in; one lockout count -------------------------------


@pytest.mark.parametrize("typed", ["ALICE", "Alice", "  aLiCe "])
def test_the_page_signs_in_whatever_the_case(world: World, typed: str) -> None:
    browser = Client()
    assert password_step(browser, typed).status_code == 302
    assert browser.session["_auth_user_id"] == str(world.alice.user.pk)


def test_the_api_token_route_folds_the_case(world: World) -> None:
    nurse = world.staff["nurse"]
    answer = api_token(Client(), nurse.username.upper(), totp_now(world.devices[nurse.pk]))
    assert answer.status_code == 201


def test_failures_in_any_case_share_one_lockout(world: World) -> None:
    browser = Client()
    for typed in ["ALICE", "alice", "Alice", "aLICE"]:
        assert password_step(browser, typed, "wrong password again").status_code == 200
    password_step(browser, "alicE", "wrong password again")  # the fifth (AXES_FAILURE_LIMIT) locks
    assert password_step(browser, "alice").status_code == 429
    assert password_step(browser, "ALICE").status_code == 429
    assert password_step(browser, "bob").status_code == 302, "another person's count is untouched"


def test_a_name_of_no_account_is_counted_once_too(world: World) -> None:
    browser = Client()
    for typed in ["Nobody", "NOBODY", "nobody", "noBody", "nobodY"]:
        password_step(browser, typed, "wrong password again")
    assert password_step(browser, "nobody").status_code == 429
    assert password_step(browser, "alice").status_code == 302
