"""Hole 1: the sender's system is read from `meta.source` whole, fragment and all. A FHIR server (HAPI FHIR,
the usual one behind an integration engine) writes `meta.source` as `<system>#<request id>`: the same
response resent carries another request id, and Keel files it a second time (review 34b)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.review34b._setup import COURT, filed, post_qr, qr

pytestmark = pytest.mark.django_db


def test_a_resend_with_another_request_id_in_meta_source_is_the_same_response(
    world: Any, signed_in: Any
) -> None:
    client = signed_in("nurse")
    first = post_qr(client, world, qr(world, source=f"{COURT}#a1b2c3d4e5f6"))
    assert first.status_code == 201
    again = post_qr(client, world, qr(world, source=f"{COURT}#f9e8d7c6b5a4"))
    assert again.status_code == 200
    assert filed(world) == 1


def test_an_amendment_with_another_request_id_is_refused_naming_identifier(
    world: Any, signed_in: Any
) -> None:
    client = signed_in("nurse")
    assert post_qr(client, world, qr(world, source=f"{COURT}#a1b2c3d4e5f6")).status_code == 201
    amended = qr(world, source=f"{COURT}#0badc0ffee00", answers=[3, 3, 3, 3, 3, 3, 3, 3, 2], status="amended")
    answer = post_qr(client, world, amended)
    assert answer.status_code == 409
    assert filed(world) == 1
