"""re39f finding 1: a modifierExtension Keel does not understand (or implicitRules) is read past and the
answers filed. FHIR R4 (extensibility.html#modifierExtension): "Implementations processing the data in
resources SHALL check for modifier extensions ... and SHALL NOT process the element [they are on] if they
do not understand it" (refuse it, or say it cannot be processed); implicitRules is a modifier element too.
A sender's modifierExtension can mean "not answered by the patient" or "this answer is negated": Keel must
refuse (422 naming it), nothing filed."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from tests.conftest import World
from tests.re39f._send import ITEM_9, NOW, nothing_filed, other_system_phq9, post

pytestmark = pytest.mark.django_db
NOT_UNDERSTOOD = [
    {"url": "http://ehr.example.org/fhir/StructureDefinition/not-patient-answered", "valueBoolean": True}
]


def _on_root(doc: dict[str, Any]) -> str:
    doc["modifierExtension"] = NOT_UNDERSTOOD
    return "modifierExtension"


def _on_item_9(doc: dict[str, Any]) -> str:
    doc["item"][0]["item"][ITEM_9]["modifierExtension"] = NOT_UNDERSTOOD
    return f"item.0.item.{ITEM_9}.modifierExtension"


def _on_answer(doc: dict[str, Any]) -> str:
    doc["item"][0]["item"][ITEM_9]["answer"][0]["modifierExtension"] = NOT_UNDERSTOOD
    return f"item.0.item.{ITEM_9}.answer.0.modifierExtension"


def _implicit_rules(doc: dict[str, Any]) -> str:
    doc["implicitRules"] = "http://ehr.example.org/fhir/rules/phq9-clinician-estimated"
    return "implicitRules"


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("where", [_on_root, _on_item_9, _on_answer, _implicit_rules])
def test_a_modifier_keel_does_not_understand_is_refused_nothing_filed(world: World, where: Any) -> None:
    doc = other_system_phq9([0] * 9)
    path = where(doc)
    response = post(world, doc)
    assert response.status_code == 422, (response.status_code, response.content[:300])
    assert path in {e["field"] for e in response.json()["errors"]}
    assert nothing_filed(world)


@time_machine.travel(NOW, tick=False)
def test_control_a_plain_extension_is_read_past(world: World) -> None:
    doc = other_system_phq9([0] * 9)
    doc["extension"] = [
        {"url": "http://ehr.example.org/fhir/StructureDefinition/kiosk", "valueString": "k-4"}
    ]
    assert post(world, doc).status_code == 201
