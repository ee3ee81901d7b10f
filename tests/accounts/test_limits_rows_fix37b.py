"""Lane fix37b (review 36m-5, storage): the rows the code's and the link's limits write.

1. Every distinct wrong activation code made a `SignupBucket` row (its try was spent before the code was
   looked up) that nothing ever deleted: a script posting a million random codes wrote a million rows. Now
   a try is spent, and a row written, only for a code found live; a wrong code is answered on `code` as
   before (no per-address guard exists for a desk code: 30**12 codes, each wrong one audited). A link's
   try was already spent only for an open invitation (held here). A bucket whose window has passed is
   full again, as if it had no row: such rows are deleted when a new bucket is written.
2. The refusal of a name in use when an account is made from a code or a link is one helper
   (`accounts.services.refuse_name_in_use`), not one per module.
"""

from __future__ import annotations

import inspect
import json
import secrets
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.accounts import staff
from keel.core.rules.inputs import FieldsInvalid
from keel.patients.services import activation
from keel.selfguided import limits
from keel.selfguided.models import SignupBucket
from tests.conftest import World
from tests.review34d._setup import activation_code, code_for_key, record_without_account

pytestmark = pytest.mark.django_db
PASSPHRASE = "a long and unusual passphrase"
WRONG_CODES = 12


def _activate_api(code: str, username: str, address: str = "198.51.100.37") -> Any:
    body = {"code": code, "username": username, "password": PASSPHRASE, "password_again": PASSPHRASE}
    return Client().post(
        "/api/v1/auth/activate", json.dumps(body), content_type="application/json", REMOTE_ADDR=address
    )


def _activate_page(code: str, username: str, address: str = "198.51.100.37") -> Any:
    form = {"code": code, "username": username, "password": PASSPHRASE, "password_again": PASSPHRASE}
    return Client().post("/accounts/activate/", form, REMOTE_ADDR=address)


def _random_code() -> str:
    return "".join(secrets.choice("ABCDEFGHJKMNPQRSTVWXYZ23456789") for _i in range(12))


# --- 1. a try, and its row, only for a live code ----------------------------------------------------------


def test_wrong_activation_codes_write_no_bucket_rows(world: World) -> None:
    before = SignupBucket.objects.count()
    for _try in range(WRONG_CODES):
        _activate_api(_random_code(), "kai-37b")
    assert SignupBucket.objects.count() == before


def test_wrong_codes_on_the_page_write_no_bucket_rows(world: World) -> None:
    before = SignupBucket.objects.count()
    for _try in range(WRONG_CODES):
        _activate_page(_random_code(), "kai-37b")
    assert SignupBucket.objects.count() == before


def test_a_wrong_code_is_still_answered_on_the_code(world: World) -> None:
    answer = _activate_api(_random_code(), "kai-37b")
    assert [e["field"] for e in answer.json()["errors"]] == ["code"]


def test_a_used_code_writes_no_bucket_row(world: World) -> None:
    code = activation_code(world, record_without_account(world))
    assert _activate_api(code, "kai-37b").status_code == 201
    before = SignupBucket.objects.count()
    _activate_api(code, "kai-37b-again")
    assert SignupBucket.objects.count() == before


def test_a_live_codes_tries_are_still_counted(world: World) -> None:
    code = activation_code(world, record_without_account(world))
    for _try in range(5):
        _activate_api(code, "r-nurse", address="198.51.100.90")  # a name in use: a try each
    assert _activate_api(code, "kai-37b", address="198.51.100.91").status_code == 422


def test_a_live_code_writes_one_bucket_row(world: World) -> None:
    code = activation_code(world, record_without_account(world))
    before = SignupBucket.objects.count()
    for _try in range(3):
        _activate_api(code, "r-nurse")
    assert SignupBucket.objects.count() == before + 1


def test_six_patients_activate_from_one_network_among_wrong_codes(world: World) -> None:
    codes = [activation_code(world, record_without_account(world, f"RR-37B-{i}")) for i in range(6)]
    made = []
    for i, code in enumerate(codes):
        _activate_api(_random_code(), f"kai-37b-{i}", address="198.51.100.50")
        made.append(_activate_api(code, f"kai-37b-{i}", address="198.51.100.50").status_code)
    assert made == [201] * 6


def test_wrong_invitation_links_write_no_bucket_rows(world: World) -> None:
    key = secrets.token_hex(20)
    before = SignupBucket.objects.count()
    for _try in range(WRONG_CODES):
        with pytest.raises(FieldsInvalid):
            staff.accept(
                secret=secrets.token_urlsafe(32),
                username="nia-37b",
                password=PASSPHRASE,
                password_again=PASSPHRASE,
                key_hex=key,
                code=code_for_key(key),
            )
    assert SignupBucket.objects.count() == before


# --- 1. a bucket whose window has passed is deleted -------------------------------------------------------


def test_a_bucket_past_its_window_is_deleted_when_a_new_one_is_written(world: World) -> None:
    now = timezone.now()
    limits.take_signup_token("198.51.100.200", now=now - timedelta(days=2))
    limits.take_signup_token("198.51.100.201", now=now)
    assert not SignupBucket.objects.filter(updated_at__lt=now - timedelta(days=1)).exists()


def test_a_bucket_within_its_window_stays(world: World) -> None:
    now = timezone.now()
    limits.take_signup_token("198.51.100.202", now=now - timedelta(minutes=30))
    limits.take_signup_token("198.51.100.203", now=now)
    assert SignupBucket.objects.filter(updated_at=now - timedelta(minutes=30)).exists()


def test_a_deleted_bucket_is_full_again(world: World, settings: Any) -> None:
    settings.KEEL_SIGNUP_RATE = "2/h"
    now = timezone.now()
    earlier = now - timedelta(days=2)
    limits.take_signup_token("198.51.100.204", now=earlier)
    limits.take_signup_token("198.51.100.204", now=earlier)
    limits.take_signup_token("198.51.100.205", now=now)  # a new bucket: the spent one is deleted
    assert [limits.take_signup_token("198.51.100.204", now=now) for _i in range(3)] == [True, True, False]


def test_a_bucket_deleted_between_its_read_and_its_lock_is_made_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = SignupBucket.objects.get_or_create
    deleted: list[bool] = []

    def deleted_once_meanwhile(**kw: Any) -> Any:  # another write deleted it between the two statements
        row = made(**kw)
        if not deleted:
            deleted.append(True)
            SignupBucket.objects.filter(key=kw["key"]).delete()
        return row

    monkeypatch.setattr(SignupBucket.objects, "get_or_create", deleted_once_meanwhile)
    assert limits.take_signup_token("198.51.100.206") is True


# --- 2. one refusal of a name in use ----------------------------------------------------------------------


@pytest.mark.parametrize("module", [activation, staff], ids=["activation", "staff"])
def test_no_path_keeps_its_own_name_in_use_refusal(module: Any) -> None:
    assert "class _NameInUse" not in inspect.getsource(module)
