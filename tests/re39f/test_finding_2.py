"""re39f finding 2: an answer carrying two values (R4 QuestionnaireResponse.item.answer.value[x] is a choice:
ONE of them; a JSON object with valueCoding and valueInteger is not valid R4) is filed with the first one Keel
happens to read. Item 9 (thoughts of self-harm) sent as valueCoding "Not at all" (0) and valueInteger 3 is
filed as 0: no suicide-risk flag, the 3 silently dropped. Safe: 422 naming the answer, nothing filed."""

from __future__ import annotations

import pytest
import time_machine

from keel.patients.models import PatientFlag
from tests.conftest import World
from tests.re39f._send import ITEM_9, NOW, nothing_filed, other_system_phq9, post

pytestmark = pytest.mark.django_db


@time_machine.travel(NOW, tick=False)
def test_item_9_with_two_disagreeing_values_is_refused_not_filed_as_zero(world: World) -> None:
    doc = other_system_phq9([0] * 9)
    doc["item"][0]["item"][ITEM_9]["answer"][0]["valueInteger"] = 3  # beside valueCoding LA6568-5 (0)
    response = post(world, doc)
    assert response.status_code == 422, (response.status_code, response.content[:300])
    assert any(e["field"].startswith(f"item.0.item.{ITEM_9}.answer.0") for e in response.json()["errors"])
    assert nothing_filed(world)
    assert not PatientFlag.objects.filter(patient=world.alice, kind="suicide_risk").exists()  # nothing filed


@time_machine.travel(NOW, tick=False)
def test_valueinteger_and_valuedecimal_that_disagree_are_refused(world: World) -> None:
    doc = other_system_phq9([0] * 9, integers=True)
    doc["item"][0]["item"][ITEM_9]["answer"][0]["valueDecimal"] = 3  # beside valueInteger 0
    response = post(world, doc)
    assert response.status_code == 422, (response.status_code, response.content[:300])
    assert nothing_filed(world)


@time_machine.travel(NOW, tick=False)
def test_control_one_value_of_3_raises_the_flag(world: World) -> None:
    doc = other_system_phq9([0, 0, 0, 0, 0, 0, 0, 0, 3])
    assert post(world, doc).status_code == 201
    assert PatientFlag.objects.filter(patient=world.alice, kind="suicide_risk").exists()
