"""Lane fix36k (re-attack 36k, read only): the username oracles left after fix36b.

1. The patient's activation (page and `POST /api/v1/auth/activate`) with a live desk code looked any name
   up before anything was spent: "taken" came back, the code was rolled back unspent, with no limit and no
   audit. Now one try of the code (`take_activation_try`, from any address) is spent and committed before
   the look-up, and the refusal is audited naming no one. Not the visitor's sign-ups: a clinic's patients
   and staff on their first morning activate and accept from its one network (the integrator, session 36).
2. The staff invitation page looked the name up on every POST, even with a wrong authenticator code that
   keeps the link alive. Now the name is looked up only once every other field is right and one try of
   the invitation is spent; the refusal is audited in the inviting program's trail.
3. The self-guided sign-up audited "username in use" for whatever `_make_account` refused.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import TOTP

from keel.audit.models import AuditEvent
from keel.patients.models import Patient
from keel.selfguided import services as selfguided
from keel.selfguided.errors import SelfGuidedInvalid
from tests.conftest import PASSWORD, Mailbox, World

pytestmark = pytest.mark.django_db
PASSPHRASE = "a long and unusual passphrase"
INVITE = {"email": "nia@riverside.example", "role": "nurse", "first_name": "Nia", "last_name": "Okafor"}


# --- 1. activation -------------------------------------------------------------------------------------


def _live_code(signed_in: Any, world: World, record_number: str = "RR-36K") -> str:
    patient = Patient.objects.create(
        program=world.riverside,
        record_number=record_number,
        given_name="Kai",
        family_name="Moss",
        date_of_birth=date(1990, 1, 1),
    )
    client = signed_in("program_admin")
    response = client.post(
        f"/api/v1/patients/{patient.pk}/activation-code", "{}", content_type="application/json"
    )
    return str(response.json()["code"])


def _activate_api(code: str, username: str, address: str = "198.51.100.36") -> Any:
    body = {"code": code, "username": username, "password": PASSPHRASE, "password_again": PASSPHRASE}
    return Client().post(
        "/api/v1/auth/activate", json.dumps(body), content_type="application/json", REMOTE_ADDR=address
    )


def _activate_page(code: str, username: str, address: str = "198.51.100.37") -> Any:
    form = {"code": code, "username": username, "password": PASSPHRASE, "password_again": PASSPHRASE}
    return Client().post("/accounts/activate/", form, REMOTE_ADDR=address)


def _says_taken(response: Any) -> bool:
    return "taken" in response.content.decode()


def test_activation_name_checks_are_limited_per_client(world: World, signed_in: Any) -> None:
    code = _live_code(signed_in, world)
    for _try in range(5):
        _activate_api(code, "r-nurse")
    assert not _says_taken(_activate_api(code, "r-prescriber"))


def test_the_activation_page_shares_the_limit(world: World, signed_in: Any) -> None:
    code = _live_code(signed_in, world)
    for _try in range(5):
        _activate_page(code, "r-nurse")
    assert not _says_taken(_activate_page(code, "r-prescriber"))


def test_past_the_limit_the_answer_names_the_field(world: World, signed_in: Any) -> None:
    code = _live_code(signed_in, world)
    for _try in range(5):
        _activate_api(code, "r-nurse")
    assert _activate_api(code, "r-nurse").status_code == 422


def test_the_code_limit_holds_across_addresses(world: World, signed_in: Any) -> None:
    code = _live_code(signed_in, world)
    for i in range(5):
        _activate_api(code, "r-nurse", address=f"198.51.100.{110 + i}")
    assert not _says_taken(_activate_api(code, "r-prescriber", address="198.51.100.120"))


def test_another_code_still_activates_from_the_same_address(world: World, signed_in: Any) -> None:
    code = _live_code(signed_in, world)
    for _try in range(5):
        _activate_api(code, "r-nurse")
    other = _live_code(signed_in, world, "RR-36K-2")
    assert _activate_api(other, "kai-36k").status_code == 201


def test_a_clinics_patients_all_activate_from_its_one_network(world: World, signed_in: Any) -> None:
    codes = [_live_code(signed_in, world, f"RR-36K-N{i}") for i in range(6)]
    made = [
        _activate_api(code, f"kai-36k-{i}", address="198.51.100.50").status_code
        for i, code in enumerate(codes)
    ]
    assert made == [201] * 6


def test_an_activation_name_in_use_is_audited(world: World, signed_in: Any) -> None:
    code = _live_code(signed_in, world)
    _activate_api(code, "r-nurse")
    assert AuditEvent.objects.filter(reason="activation refused: username in use").count() == 1


def test_the_activation_refusal_names_no_one(world: World, signed_in: Any) -> None:
    code = _live_code(signed_in, world)
    _activate_api(code, "r-nurse")
    row = AuditEvent.objects.get(reason="activation refused: username in use")
    assert "r-nurse" not in json.dumps([row.detail, row.reason, row.target_id]).lower()


def test_a_staff_name_and_a_patients_name_are_answered_alike(world: World, signed_in: Any) -> None:
    code = _live_code(signed_in, world)
    staff = _activate_api(code, "R-NURSE", address="198.51.100.40").json()
    patient = _activate_api(code, "alice", address="198.51.100.41").json()
    assert staff == patient


# --- 2. the staff invitation ---------------------------------------------------------------------------


def _link(client: Client, box: Mailbox) -> str:
    client.post("/api/v1/programs/riverside/invitations", json.dumps(INVITE), content_type="application/json")
    found = re.search(
        r"http://testserver(/accounts/invitation/[^/\s]+/)", Mailbox.body(box.to(INVITE["email"])[-1])
    )
    assert found is not None
    return found.group(1)


def _code(client: Client) -> str:
    return f"{TOTP(bytes.fromhex(client.session['keel_invitation']['key'])).token():06d}"


def _accept(
    client: Client, link: str, username: str, code: str | None = None, address: str = "198.51.100.50"
) -> Any:
    form = {"username": username, "password": PASSPHRASE, "password_again": PASSPHRASE}
    return client.post(link, form | {"code": code or _code(client)}, REMOTE_ADDR=address)


def test_a_wrong_code_looks_no_name_up(world: World, signed_in: Any, smtp_server: Mailbox) -> None:
    link = _link(signed_in("program_admin"), smtp_server)
    client = Client()
    client.get(link)
    assert not _says_taken(_accept(client, link, "r-nurse", code="000000"))


def test_invitation_name_checks_are_limited(world: World, signed_in: Any, smtp_server: Mailbox) -> None:
    link = _link(signed_in("program_admin"), smtp_server)
    client = Client()
    client.get(link)
    for _try in range(5):
        _accept(client, link, "r-nurse")
    assert not _says_taken(_accept(client, link, "r-prescriber"))


def test_the_invitation_limit_holds_across_clients(
    world: World, signed_in: Any, smtp_server: Mailbox
) -> None:
    link = _link(signed_in("program_admin"), smtp_server)
    client = Client()
    client.get(link)
    for i in range(5):
        _accept(client, link, "r-nurse", address=f"198.51.100.{60 + i}")
    assert not _says_taken(_accept(client, link, "r-prescriber", address="198.51.100.70"))


def test_an_invitation_name_in_use_is_audited_for_the_program(
    world: World, signed_in: Any, smtp_server: Mailbox
) -> None:
    link = _link(signed_in("program_admin"), smtp_server)
    client = Client()
    client.get(link)
    _accept(client, link, "r-nurse")
    row = AuditEvent.objects.get(reason="invitation refused: username in use")
    assert row.program_id == world.riverside.pk


def test_the_invitation_refusal_names_no_one(world: World, signed_in: Any, smtp_server: Mailbox) -> None:
    link = _link(signed_in("program_admin"), smtp_server)
    client = Client()
    client.get(link)
    _accept(client, link, "r-nurse")
    row = AuditEvent.objects.get(reason="invitation refused: username in use")
    assert "r-nurse" not in json.dumps([row.detail, row.reason, row.target_id]).lower()


def test_staff_accept_from_the_network_where_patients_activated(
    world: World, signed_in: Any, smtp_server: Mailbox
) -> None:
    for i in range(6):
        _activate_api(_live_code(signed_in, world, f"RR-36K-S{i}"), f"kai-36k-s{i}", address="198.51.100.50")
    link = _link(signed_in("program_admin"), smtp_server)
    client = Client()
    client.get(link)
    assert _accept(client, link, "nia-36k").status_code == 302


def test_the_invitee_still_accepts_with_a_free_name(
    world: World, signed_in: Any, smtp_server: Mailbox
) -> None:
    link = _link(signed_in("program_admin"), smtp_server)
    client = Client()
    client.get(link)
    _accept(client, link, "r-nurse")
    assert _accept(client, link, "nia-36k").status_code == 302


# --- 3. the self-guided sign-up's audit reason -----------------------------------------------------------


def test_a_refusal_other_than_the_name_is_not_audited_as_the_name(world: World) -> None:
    with pytest.raises(SelfGuidedInvalid):
        selfguided.sign_up(
            username="walker-36k",
            password=PASSWORD,
            password_again=PASSWORD,
            time_zone="America/Denver",
            understood=True,
            address="198.51.100.80",
            language="zz",
        )
    assert not AuditEvent.objects.filter(reason="sign-up refused: username in use").exists()


# --- review 36m (read only): what the account would refuse anyway spends no try ----------------------------

SHORT = "elevenchars"  # 11 characters: under the 12 the password rules ask


def _activate_with(code: str, username: str, password: str) -> Any:
    body = {"code": code, "username": username, "password": password, "password_again": password}
    return Client().post(
        "/api/v1/auth/activate",
        json.dumps(body),
        content_type="application/json",
        REMOTE_ADDR="198.51.100.36",
    )


def test_a_too_short_password_is_answered_on_the_password(world: World, signed_in: Any) -> None:
    code = _live_code(signed_in, world)
    answer = _activate_with(code, "kai-36m", SHORT)
    assert [e["field"] for e in answer.json()["errors"]] == ["password"]


def test_too_short_passwords_spend_no_try_of_the_code(world: World, signed_in: Any) -> None:
    code = _live_code(signed_in, world)
    for _try in range(6):
        _activate_with(code, "kai-36m", SHORT)
    assert _activate_api(code, "kai-36m").status_code == 201


def test_a_name_with_a_space_spends_no_try_of_the_code(world: World, signed_in: Any) -> None:
    code = _live_code(signed_in, world)
    for _try in range(6):
        _activate_api(code, "maria garcia")
    assert _activate_api(code, "maria-garcia").status_code == 201


def test_past_the_limit_the_words_name_the_code_not_an_address(world: World, signed_in: Any) -> None:
    code = _live_code(signed_in, world)
    for _try in range(5):
        _activate_api(code, "r-nurse")
    assert "with this code or link" in _activate_api(code, "r-nurse").content.decode()


def test_weak_passwords_spend_no_try_of_the_invitation(
    world: World, signed_in: Any, smtp_server: Mailbox
) -> None:
    link = _link(signed_in("program_admin"), smtp_server)
    client = Client()
    client.get(link)
    for _try in range(6):
        form = {"username": "nia-36m", "password": SHORT, "password_again": SHORT, "code": _code(client)}
        client.post(link, form, REMOTE_ADDR="198.51.100.50")
    assert _accept(client, link, "nia-36m").status_code == 302
