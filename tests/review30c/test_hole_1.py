"""Review 30c, hole 1: the consent signature check (`core.sharing._folded`, now `core.names.person_name_key`,
lane split30) drops every combining mark of every script, so a different name passes as the patient's own
signature: "ヤマタ" (Yamata) signs for "ヤマダ" (Yamada), "Андреи" for "Андрей". Kana voicing and Cyrillic
"й" make letters of their own (`core.names.name_words` keeps them on purpose, review 21z); only the accents
of Latin letters may be folded for a signature."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _consent(signature: str) -> dict[str, object]:
    return {
        "recipient_name": "Dr. Ortega, Eastside Clinic",
        "purpose": "treatment",
        "categories": ["medication"],
        "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
        "signature": signature,
        "understood": True,
    }


def test_a_different_kana_name_does_not_sign_for_the_patient(world, client):
    alice = world.alice
    alice.given_name, alice.family_name = "ハナコ", "ヤマダ"  # Hanako Yamada
    alice.save(update_fields=["given_name", "family_name"])
    sign_in(client, alice.user)
    url = "/api/v1/me/consents"
    # control: another surname altogether is refused naming the signature
    other = client.post(url, _consent("ハナコ スズキ"), content_type="application/json")
    assert other.status_code == 422, other.content
    assert "signature" in other.content.decode()
    # the hole: Yamata (タ, ta) is not Yamada (ダ, da): the voicing mark makes another letter
    wrong = client.post(url, _consent("ハナコ ヤマタ"), content_type="application/json")
    assert wrong.status_code == 422, (
        "a consent signed with another person's name (ヤマタ for ヤマダ) was accepted: "
        f"{wrong.status_code} {wrong.content!r}"
    )
