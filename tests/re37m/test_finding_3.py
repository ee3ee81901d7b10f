"""re37m finding 3: the home start page's plain words for the XR-naltrexone blockade drop the staff reason's
gravest part: as the blockade wears off her tolerance is lower, so the overdose risk is higher (the staff
words say it; the person's page, who is the one at home with buprenorphine, does not)."""

from __future__ import annotations

from keel.core.decision import Reason
from keel.core.rules.agonists import BLOCKADE, LABEL_SOURCES
from keel.treatment.words import reason_for_person


def test_the_persons_blockade_words_say_her_tolerance_is_lower_as_it_wears_off() -> None:
    said = Reason.said(BLOCKADE, LABEL_SOURCES, day="2026-12-01", days=6, until="2026-12-29")
    assert "tolerance" in reason_for_person(said).lower()
