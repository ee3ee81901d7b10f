"""Hole 7: a search paged past its end says the wrong `Bundle.total`.

An EHR pages `QuestionnaireResponse?patient=<alice>` with `_offset=50` (its saved cursor, while the clinic
has only one response for her): the searchset has no entries and `total` 50. `params._searchset` sets
`total = offset + len(page)` on a last page, whatever the offset; FHIR R4's `Bundle.total` is the number of
matches. A reconciling data manager (or engine) is told fifty responses exist where there is one.
"""

from __future__ import annotations

from django.test import Client

from tests.conftest import World, sign_in
from tests.review33d._setup import post_qr, qr


def test_a_page_past_the_end_gives_the_number_of_matches(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    post_qr(nurse, world, qr(world))
    page = nurse.get(f"/fhir/R4/QuestionnaireResponse?patient={world.alice.pk}&_offset=50").json()
    assert page["total"] == 1
