"""Lane acct35: one account per username regardless of case, held by the database (a unique index on
LOWER(username)). A name taken meanwhile by another request (between the check and the insert) answers as
the check does, 422 naming `username`, on every route that makes an account (the activation API and page,
the invitation page, self-guided sign-up); sign-in folds case exactly as the check and the index do."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from keel.accounts import services
from keel.accounts.models import Role, User
from keel.accounts.services import people
from tests.conftest import PASSWORD, Mailbox, World
from tests.review34d._setup import activation_code, password_step, record_without_account

pytestmark = pytest.mark.django_db
NEW = "a wholly different passphrase 77"


@pytest.fixture
def taken_meanwhile(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another request makes "MariaG" after this one checked the name (and the model's own check ran):
    this request's insert meets the unique index, as in a race."""
    original = User.full_clean

    def then_another_takes_it(self: User, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self.username.lower() == "mariag" and not User.objects.filter(username="MariaG").exists():
            User.objects.create(username="MariaG", role=Role.PATIENT)

    monkeypatch.setattr(User, "full_clean", then_another_takes_it)


def test_the_check_refuses_the_same_name_in_another_case(world: World) -> None:
    services.create_user(username="MariaG", role="patient", password=PASSWORD, program_slug=None)
    with pytest.raises(services.AccountError) as refused:
        services.create_user(username="mariag", role="patient", password=PASSWORD, program_slug=None)
    assert refused.value.field == "username"


def test_a_name_taken_meanwhile_is_the_field_error_not_a_500(world: World, taken_meanwhile: None) -> None:
    with pytest.raises(services.AccountError) as refused:
        services.create_user(username="mariag", role="patient", password=PASSWORD, program_slug=None)
    assert (refused.value.field, refused.value.message) == ("username", "that username is taken")


def test_a_name_taken_meanwhile_makes_nothing_of_the_refused_one(world: World, taken_meanwhile: None) -> None:
    with pytest.raises(services.AccountError):
        services.create_user(username="mariag", role="patient", password=PASSWORD, program_slug=None)
    assert not User.objects.filter(username="mariag").exists()


def test_the_activation_api_answers_422_naming_username(world: World, taken_meanwhile: None) -> None:
    code = activation_code(world, record_without_account(world))
    body = {"code": code, "username": "mariag", "password": PASSWORD, "password_again": PASSWORD}
    answer = Client().post("/api/v1/auth/activate", body, content_type="application/json")
    assert (answer.status_code, [e["field"] for e in answer.json()["errors"]]) == (422, ["username"])


def test_the_activation_page_says_so_beside_the_field(world: World, taken_meanwhile: None) -> None:
    code = activation_code(world, record_without_account(world))
    body = {"code": code, "username": "mariag", "password": PASSWORD, "password_again": PASSWORD}
    answer = Client().post("/accounts/activate/", body)
    assert (answer.status_code, "that username is taken" in answer.content.decode()) == (422, True)


def test_the_activation_code_still_works_after_the_race(world: World, taken_meanwhile: None) -> None:
    code = activation_code(world, record_without_account(world))
    body = {"code": code, "username": "mariag", "password": PASSWORD, "password_again": PASSWORD}
    Client().post("/api/v1/auth/activate", body, content_type="application/json")
    body["username"] = "maria.g2"
    assert Client().post("/api/v1/auth/activate", body, content_type="application/json").status_code == 201


def _invitation_link(world: World, box: Mailbox) -> str:
    from tests.conftest import sign_in

    admin = sign_in(Client(), world.staff["program_admin"])
    invite = {"email": "nia@riverside.example", "role": "nurse", "first_name": "Nia", "last_name": "O"}
    sent = admin.post("/api/v1/programs/riverside/invitations", invite, content_type="application/json")
    assert sent.status_code == 201
    found = re.search(r"http://testserver(/accounts/invitation/[^/\s]+/)", Mailbox.body(box.messages[-1]))
    assert found
    return found.group(1)


def test_the_invitation_page_answers_422_naming_username(
    world: World, smtp_server: Mailbox, taken_meanwhile: None
) -> None:
    from tests.review34d._setup import code_for_key

    link = _invitation_link(world, smtp_server)
    browser = Client()
    browser.get(link)
    code = code_for_key(browser.session["keel_invitation"]["key"])
    form = {"username": "mariag", "password": NEW, "password_again": NEW, "code": code}
    answer = browser.post(link, form)
    assert (answer.status_code, "that username is taken" in answer.content.decode()) == (422, True)


def test_self_guided_sign_up_answers_on_the_field(world: World, taken_meanwhile: None) -> None:
    from keel.selfguided import services as selfguided
    from keel.selfguided.errors import SelfGuidedInvalid

    with pytest.raises(SelfGuidedInvalid) as refused:
        selfguided.sign_up(
            username="mariag",
            password=NEW,
            password_again=NEW,
            time_zone="America/New_York",
            understood=True,
            address="192.0.2.7",
        )
    assert [e.field for e in refused.value.errors] == ["username"]


@pytest.mark.parametrize("typed", ["émile", "ÉMILE", "Émile", "EMILE", "emile"])
def test_sign_in_reaches_the_account_exactly_when_the_name_is_taken(world: World, typed: str) -> None:
    """Whatever the database folds (PostgreSQL every letter, SQLite A to Z), the check an account is made
    with and the sign-in name agree: a typed name reaches "Émile" only if "Émile" would refuse it."""
    services.create_user(username="Émile", role="patient", password=PASSWORD, program_slug=None)
    assert (people.sign_in_name(typed) == "Émile") == services.username_taken(typed)


def test_a_non_ascii_name_signs_in_typed_in_capitals(world: World) -> None:
    services.create_user(username="Émile", role="patient", password=PASSWORD, program_slug=None)
    browser = Client()
    assert password_step(browser, "ÉMILE").status_code == 302


def test_a_name_of_no_account_folds_only_ascii_letters(world: World) -> None:
    assert people.sign_in_name(" ÉMILIE-X ") == "Émilie-x"


def test_the_listing_command_says_none_when_none(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("duplicate_usernames")
    assert "No two accounts" in capsys.readouterr().out


def test_the_migration_names_the_listing_command() -> None:
    from importlib import import_module

    migration = import_module("keel.accounts.migrations.0007_username_unique_any_case")
    assert "keel duplicate_usernames" in migration.DUPLICATES_FOUND


@pytest.fixture
def made_before_the_rule(world: World) -> None:
    """Two accounts differing only by case, as a database before `accounts/0007` holds them (the index is
    dropped inside the test's transaction, which puts it back)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute('DROP INDEX "user_username_unique_any_case"')
    User.objects.create(username="MariaG", role=Role.PATIENT)
    User.objects.create(username="mariag", role=Role.PATIENT)


def test_the_migration_stops_on_accounts_differing_only_by_case(made_before_the_rule: None) -> None:
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps
    from django.core.management.base import CommandError
    from django.db import connection

    migration = import_module("keel.accounts.migrations.0007_username_unique_any_case")
    with pytest.raises(CommandError, match="keel duplicate_usernames"):
        migration._no_duplicates(apps, SimpleNamespace(connection=connection))


def test_the_listing_names_both_accounts(
    made_before_the_rule: None, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("duplicate_usernames")
    out = capsys.readouterr().out
    assert ("'MariaG'" in out, "'mariag'" in out) == (True, True)


def test_the_listing_changes_nothing(made_before_the_rule: None) -> None:
    call_command("duplicate_usernames")
    assert sorted(User.objects.filter(username__iexact="mariag").values_list("username", flat=True)) == [
        "MariaG",
        "mariag",
    ]
