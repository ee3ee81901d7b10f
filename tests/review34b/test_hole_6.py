"""Hole 6: a response whose `authored` the sender wrote with a trailing newline (Keel reads it: the parser
strips it) is filed; the engine's byte-for-byte retry is answered 409 "already filed ... the clinic corrects
the filed one", as if it were an amendment: `_same_authored` compares the text kept as sent (unstripped)
with the parsed instant, and a text Python cannot read as it stands is "not the same" (review 34b)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.review34b._setup import filed, post_qr, qr

pytestmark = pytest.mark.django_db


def test_a_byte_for_byte_retry_is_answered_with_the_first_filing(world: Any, signed_in: Any) -> None:
    client = signed_in("nurse")
    when = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ") + "\n"
    sent = qr(world, authored=when)
    assert post_qr(client, world, sent).status_code == 201
    again = post_qr(client, world, sent)
    assert again.status_code == 200
    assert filed(world) == 1
