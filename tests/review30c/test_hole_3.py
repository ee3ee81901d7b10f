"""Review 30c, hole 3: a consent signed by no name. The typed signature is checked against the
representative's name with `core.names.person_name_key` (lane split30), which reads dashes as spaces and
apostrophes as nothing: a representative named "--" and a signature "''" both fold to "", so they "match", and
the consent is recorded signed by a representative with no name at all (42 CFR 2.31(a)(8), (a)(2): the
signature of the person or of one authorised to act for them, who is named). The old ASCII fold read
"--" and "''" apart. A name (or a signature) with no letter names no one, as a recipient's already does
(`core.sharing._recipient`, review 21z): it should be refused naming the field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_a_representative_with_no_name_does_not_sign(world, client):
    sign_in(client, world.staff["counselor"])
    body = {
        "recipient_name": "Dr. Ortega, Eastside Clinic",
        "purpose": "treatment",
        "categories": ["medication"],
        "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
        "understood": True,
        "signer": "representative",
        "representative_name": "--",
        "representative_relationship": "guardian",
        "representative_authority": "Letters of guardianship, county probate court",
        "signature": "''",
    }
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/consents", body, content_type="application/json"
    )
    assert response.status_code == 422, (
        f"a consent signed '' by a representative named '--' was recorded: {response.status_code} "
        f"{response.content!r}"
    )
