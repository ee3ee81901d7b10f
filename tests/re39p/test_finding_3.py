"""Finding 3 (re39p, fixrec39): her own flowsheet (/patients/<her id>/flowsheet/phq9/, `_listed` gives her the
rows that stand) says a corrected result's score "as entered" ("18 as entered"), which her result page
withholds from her (result.html: `{% if staff and assessment.corrected %}` only). The flowsheet's new words
are the care team's (lane fixrec39's own .po comment: "for the care team")."""

from typing import Any

import pytest

from tests.factories import pinned_at_last_five_pm_utc
from tests.re39p._world import corrected_and_struck, her_session


@pytest.fixture(autouse=True)
def _clock() -> Any:
    yield from pinned_at_last_five_pm_utc()


def test_result_page_withholds_as_entered(world: Any) -> None:  # control
    corrected_and_struck(world)
    from keel.assessments.models import Assessment

    first = Assessment.objects.filter(patient=world.alice).order_by("id").first()
    assert first is not None
    r = her_session(world).get(f"/me/assessments/{first.pk}/")
    assert r.status_code == 200 and "as entered" not in r.content.decode()


def test_her_flowsheet_withholds_as_entered(world: Any) -> None:
    corrected_and_struck(world)
    r = her_session(world).get(f"/patients/{world.alice.pk}/flowsheet/phq9/")
    body = r.content.decode()
    assert "18 as entered" not in body
