"""Review 14b: a session's second factor (django-otp, its device read by hand) cannot be borrowed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from tests.conftest import sign_in


def _with_device_id(client: Client, value: str) -> None:
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = value
    session.save()


def _signed_out(client: Client) -> bool:
    r = client.get("/api/v1/caseload")
    return r.status_code == 401


def test_own_device_passes(world: Any) -> None:
    client = sign_in(Client(), world.user("nurse"))
    assert client.get("/api/v1/caseload").status_code == 200


def test_another_persons_device_is_not_a_second_factor(world: Any) -> None:
    nurse, counselor = world.user("nurse"), world.user("counselor")
    client = sign_in(Client(), nurse)
    _with_device_id(client, world.devices[counselor.pk].persistent_id)
    assert _signed_out(client)


def test_an_unconfirmed_device_is_not_a_second_factor(world: Any) -> None:
    nurse = world.user("nurse")
    client = sign_in(Client(), nurse)
    device = world.devices[nurse.pk]
    type(device).objects.filter(pk=device.pk).update(confirmed=False)
    assert _signed_out(client)


def test_a_deleted_device_is_not_a_second_factor(world: Any) -> None:
    nurse = world.user("nurse")
    client = sign_in(Client(), nurse)
    device = world.devices[nurse.pk]
    type(device).objects.filter(pk=device.pk).delete()
    assert _signed_out(client)


@pytest.mark.parametrize(
    "value",
    [
        "otp_totp.totpdevice/99999999999999999999",
        "otp_totp.totpdevice/-1",
        "otp_totp.totpdevice/",
        "otp_totp.totpdevice/1\x00",
        "otp_totp.totpdevice/\u0663",
        "otp_static.staticdevice/1",
        "accounts.user/1",
        "nonsense",
        "a.b.c.d/1",
    ],
)
def test_forged_device_ids_are_refused(world: Any, value: str) -> None:
    client = sign_in(Client(), world.user("nurse"))
    _with_device_id(client, value)
    assert _signed_out(client)


def test_device_id_with_leading_zeros_is_the_same_device(world: Any) -> None:
    """`otp_totp.totpdevice/007` is django-otp's int('007'): the person's own device still counts for them,
    and another person's never."""
    nurse = world.user("nurse")
    device = world.devices[nurse.pk]
    client = sign_in(Client(), nurse)
    _with_device_id(client, f"otp_totp.totpdevice/000{device.pk}")
    assert client.get("/api/v1/caseload").status_code == 200
