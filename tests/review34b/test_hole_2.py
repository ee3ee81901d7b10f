"""Hole 2: the sender's key for a response is its logical `id` when there is one, else `identifier.value`.
The business identifier is the stable one: the same response sent once with the sender's server id and once
without (a POST to create carries none; another route of the same engine) is filed twice (review 34b)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.review34b._setup import COURT, filed, post_qr, qr

pytestmark = pytest.mark.django_db

IDENT = {"system": "https://court.example.org/ids/questionnaire-response", "value": "DC-QR-2041"}


def test_the_same_identifier_without_the_server_id_is_the_same_response(world: Any, signed_in: Any) -> None:
    client = signed_in("nurse")
    assert post_qr(client, world, qr(world, rid="8817", identifier=IDENT)).status_code == 201
    again = post_qr(client, world, qr(world, rid=None, identifier=IDENT))
    assert again.status_code == 200
    assert filed(world) == 1


def test_the_same_identifier_under_a_new_server_id_is_the_same_response(world: Any, signed_in: Any) -> None:
    client = signed_in("nurse")
    assert post_qr(client, world, qr(world, rid="8817", source=COURT, identifier=IDENT)).status_code == 201
    again = post_qr(client, world, qr(world, rid="9902", source=COURT, identifier=IDENT))
    assert again.status_code == 200
    assert filed(world) == 1
