"""Lane words22: the XR-naltrexone card called a methadone dose given at the clinic the person's "last use"
("Opioid-free for 2 days since the last use (Methadone)"). A dose of methadone or buprenorphine is medication:
the reason says "the last dose of medication"; an opioid used outside treatment keeps "the last use"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
import pytest

from keel.core import rules
from keel.core.opioids import AGONIST_TREATMENTS

CATALOGUE = (
    Path(__file__).resolve().parents[2] / "src" / "keel" / "locale" / "es" / "LC_MESSAGES" / "django.po"
)


def _free(opioid: str, days: float) -> str:
    raw: dict[str, Any] = {"opioids": [{"opioid": opioid, "days_since_last_use": days}]}
    return rules.get("naltrexone-readiness").run(raw).reasons[0].text


@pytest.mark.parametrize("opioid", AGONIST_TREATMENTS)
@pytest.mark.parametrize("days", [2, 20])
def test_a_dose_of_an_agonist_medication_is_never_called_a_use(opioid: str, days: float) -> None:
    said = _free(opioid, days)
    assert "use" not in said
    assert "since the last dose of medication" in said


@pytest.mark.parametrize("days", [2, 20])
def test_an_opioid_used_outside_treatment_is_still_a_last_use(days: float) -> None:
    assert "since the last use (Heroin)" in _free("heroin", days)


def test_the_medication_words_have_spanish() -> None:
    reason = rules.get("naltrexone-readiness").run(
        {"opioids": [{"opioid": "methadone", "days_since_last_use": 2}]}
    )
    spanish = {e.msgid: e.msgstr for e in polib.pofile(str(CATALOGUE))}
    said = spanish[reason.reasons[0].template]
    assert "última dosis de medicamento" in said and "uso" not in said
