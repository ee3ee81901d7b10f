"""Hole 2: a paper consent in the patient's own name is recorded after her death when the death is recorded
while the counselor is saving it (two sessions, a race).

`consents._consent` asks `death_recorded` once, before it writes, and never again under the record's lock
(`lock_for_account_change`), unlike emergency access (`_grant`), a disclosure (`died_meanwhile`) and an
activation code, which all ask again under that lock. So: a counselor on the team saves a paper consent Alicia
"signed"; between the check and the write a nurse records her death (discharge, reason deceased). The consent
is written with her own signature and `signed_at` after the death, and, as a self-signed consent stays valid
after a death (this session's decision), it releases her record until it expires. After a death only a
personal representative signs (42 CFR 2.15(b)): the write should ask again under the lock and refuse.
The interleaving is made deterministic by recording the death inside the consent's parse step (the moment
after the first check, before the write).
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from keel.core import sharing as core
from keel.patients.models import death_recorded, local_today
from keel.patients.schemas import DischargeIn
from keel.patients.services.episodes import discharge
from keel.sharing.models import Consent
from keel.sharing.services import consents


def test_a_paper_consent_in_her_own_name_is_not_written_once_her_death_is_recorded_meanwhile(
    world, monkeypatch
):
    alice = world.alice
    counselor, nurse = world.staff["counselor"], world.staff["nurse"]
    real_parse = core.parse_consent

    def parse_then_death_elsewhere(*args, **kwargs):
        terms = real_parse(*args, **kwargs)  # the check passed: no death recorded yet
        discharge(by=nurse, patient_id=alice.pk, data=DischargeIn.posted({"reason": "deceased"}))
        return terms

    monkeypatch.setattr(consents.core, "parse_consent", parse_then_death_elsewhere)
    raw = {
        "recipient_name": "Dr. Ana Ortiz, Hillcrest Family Clinic",
        "purpose": "treatment",
        "categories": [core.RECORD],
        "expires_on": (local_today(alice) + timedelta(days=30)).isoformat(),
        "signature": "Alicia Zamorano",
        "understood": True,
    }
    with contextlib.suppress(Exception):  # any refusal will do: what matters is what is written
        consents.record_paper_consent(by=counselor, patient_id=alice.pk, raw=raw)
    assert death_recorded(alice.pk)  # the race happened: the nurse's death was recorded meanwhile

    assert not Consent.objects.filter(patient=alice, representative_relationship="").exists()
