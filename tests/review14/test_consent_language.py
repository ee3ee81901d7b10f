"""Issue #14, Part 2: "Consents are stored in the language the patient signed; a parent, guardian or other
authorized representative can sign (§2.14, §2.15) with their standing recorded." The Consent row has no
language and nothing that records who signed for the patient or in what capacity. (The language is now kept;
a representative's signature is still open, written in the issue's note.)"""

from typing import Any

import pytest


@pytest.mark.django_db
def test_consent_keeps_the_language_it_was_signed_in(world: Any) -> None:
    from keel.sharing.models import Consent

    names = {f.name for f in Consent._meta.get_fields()}
    assert any("language" in n or "locale" in n for n in names), f"no language on Consent: {sorted(names)}"
