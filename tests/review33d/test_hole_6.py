"""Hole 6: a QuestionnaireResponse body over Django's upload limit (2.5 MB, e.g. a Bundle with the sender's
narrative or an attachment) is answered by Django's HTML "Bad Request (400)" page, not by the JSON API's
error body: `RequestDataTooBig` escapes from the NUL-guard middleware's `request.body` before the API.
An integration engine parsing the JSON error gets HTML and no field name.
"""

from __future__ import annotations

from django.test import Client

from tests.conftest import World, sign_in
from tests.review33d._setup import post_qr, qr


def test_a_body_over_the_limit_is_answered_in_json(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    doc = qr(world)
    doc["text"] = {"status": "generated", "div": "<div>" + "x" * 3_000_000 + "</div>"}
    sent = post_qr(nurse, world, doc)
    assert sent["Content-Type"].startswith("application/json")
