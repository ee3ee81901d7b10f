"""Session 38: the second-agonist reasons name no pronoun for the person; a decision stored in an earlier
wording ("her") is still said in Spanish (`core.rules.agonists.EARLIER_WORDINGS`, read back by
`web.stored_words`)."""

from __future__ import annotations

import pytest
from django.utils import translation

from keel.core.rules.agonists import EARLIER_WORDINGS, LOW_DOSE_FILL, LOW_DOSE_STEPS, UNKNOWN_TIME
from keel.web.stored_words import stored_reason_text

PARTS = {"hours": "24", "day": "2", "days": "7", "step": "3"}


@pytest.mark.parametrize("template", [UNKNOWN_TIME, LOW_DOSE_FILL, LOW_DOSE_STEPS])
def test_the_reason_names_no_pronoun_for_the_person(template: str) -> None:
    words = f" {template} "
    assert not [w for w in (" she ", " her ", " he ", " his ") if w in words.lower()]


@pytest.mark.parametrize("template", EARLIER_WORDINGS)
def test_a_stored_reason_in_an_earlier_wording_is_said_in_spanish(template: str) -> None:
    stored = template % {k: v for k, v in PARTS.items() if f"%({k})s" in template}
    with translation.override("es"):
        said = stored_reason_text({"text": stored, "sources": []})
    assert "buprenorfina" in said
