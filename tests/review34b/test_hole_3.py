"""Hole 3: a response with no id of the sender's, withdrawn by the sender (`status: entered-in-error`, the
same answers and time as the one filed), is answered 200 "already filed" as if it were a resend: the
sender's engine marks its withdrawal delivered, the PHQ-9 stands, and nobody at the clinic is told. With an
id the same withdrawal is 409 naming `identifier` (review 34b)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.review34b._setup import filed, post_qr, qr

pytestmark = pytest.mark.django_db


def test_a_withdrawal_without_an_id_is_not_answered_as_filed(world: Any, signed_in: Any) -> None:
    client = signed_in("nurse")
    sent = qr(world, rid=None)
    assert post_qr(client, world, sent).status_code == 201
    withdrawn = post_qr(client, world, {**sent, "status": "entered-in-error"})
    assert withdrawn.status_code == 409
    assert filed(world) == 1
