"""re39f finding 3: a subject reference that names two resources is resolved to the LAST one. A Bundle with
two entries of one fullUrl (R4 bdl-7: "FullUrl must be unique in a bundle") or a response with two contained
resources of one id (R4: a contained resource's id is unique within the resource) is ambiguous about whom
the answers are about; the subject check matches whichever Keel read last. With another person (Bob) first
and Alice second, Bob's answers are filed in Alice's record. Safe: 422 naming the duplicate, nothing filed."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from tests.conftest import World
from tests.re39f._send import NOW, alice_patient, nothing_filed, other_system_phq9, post

pytestmark = pytest.mark.django_db
PATIENT_URL = "urn:uuid:6b1c0f7e-0000-4000-8000-000000000001"


def _bob(rid: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": rid,
        "name": [{"family": "Okafor", "given": ["Robert"]}],
        "birthDate": "1971-03-02",
    }


@time_machine.travel(NOW, tick=False)
def test_a_bundle_with_two_entries_of_the_subjects_fullurl_is_refused(world: World) -> None:
    qr = other_system_phq9([1, 1, 2, 2, 1, 1, 0, 0, 1])
    qr.pop("contained")
    qr["subject"] = {"reference": PATIENT_URL}
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": PATIENT_URL, "resource": _bob("p9")},
            {"fullUrl": PATIENT_URL, "resource": alice_patient()},
            {"fullUrl": "urn:uuid:6b1c0f7e-0000-4000-8000-000000000002", "resource": qr},
        ],
    }
    response = post(world, bundle)
    assert response.status_code == 422, (response.status_code, response.content[:300])
    assert nothing_filed(world)


@time_machine.travel(NOW, tick=False)
def test_two_contained_resources_of_the_subjects_id_are_refused(world: World) -> None:
    doc = other_system_phq9([1, 1, 2, 2, 1, 1, 0, 0, 1])
    doc["contained"].insert(0, _bob("p1"))  # "#p1": Bob first, then Alice
    response = post(world, doc)
    assert response.status_code == 422, (response.status_code, response.content[:300])
    assert nothing_filed(world)


@time_machine.travel(NOW, tick=False)
def test_control_bob_alone_is_refused_as_someone_else(world: World) -> None:
    doc = other_system_phq9([1, 1, 2, 2, 1, 1, 0, 0, 1])
    doc["contained"] = [_bob("p1")]
    assert post(world, doc).status_code == 422
    assert nothing_filed(world)
