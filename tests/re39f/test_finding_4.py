"""re39f finding 4: the typed reader takes the non-standard JSON literal NaN (which `loads_json` hands back
as a `JsonConstant`, a str) for text. RFC 8259 JSON has no NaN; review 14a's rule is "no text is a NaN
literal" (`CoreIn.json_errors`). A response whose `identifier.value` is a bare NaN is filed (201) under
the sender key "NaN", the key every later response is looked up by. Safe: 422 naming `identifier.value`,
nothing filed."""

from __future__ import annotations

import json

import pytest
import time_machine

from tests.conftest import World
from tests.re39f._send import NOW, nothing_filed, other_system_phq9, post

pytestmark = pytest.mark.django_db


@time_machine.travel(NOW, tick=False)
def test_a_bare_nan_as_the_identifier_value_is_not_text(world: World) -> None:
    doc = other_system_phq9([1, 1, 2, 2, 1, 1, 0, 0, 1])
    doc["identifier"] = {"system": "urn:example:ehr", "value": "@NAN@"}
    response = post(world, json.dumps(doc).replace('"@NAN@"', "NaN"))
    assert response.status_code == 422, (response.status_code, response.content[:300])
    assert "identifier.value" in {e["field"] for e in response.json()["errors"]}
    assert nothing_filed(world)
