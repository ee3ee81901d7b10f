"""Finding 2 (re39p): ownapi39 refuses her own account every staff view of /api/v1 (the timeline, the chart's
reads: 403 "This is the care team's view of a record"), but the same staff views as HTML pages answer her
session 200: the chart /patients/<her id>/ (its care-team links, flags), the timeline (staff words: "corrected
(scored 18 as entered)"), the medication and start pages. One definition, whatever the route: her own pages
are /me/..."""

from typing import Any

import pytest

from tests.factories import pinned_at_last_five_pm_utc
from tests.re39p._world import corrected_and_struck, her_session


@pytest.fixture(autouse=True)
def _clock() -> Any:
    yield from pinned_at_last_five_pm_utc()


def test_api_twin_refuses_her(world: Any) -> None:  # control: ownapi39 holds on the API
    r = her_session(world).get(f"/api/v1/patients/{world.alice.pk}/timeline")
    assert r.status_code == 403


@pytest.mark.parametrize(
    "page",
    [
        "/patients/{pk}/",
        "/patients/{pk}/timeline/",
        "/patients/{pk}/medication/",
        "/patients/{pk}/start/",
        "/patients/{pk}/episodes/",
        "/patients/{pk}/intake/",
        "/patients/{pk}/flowsheet/phq9/",
    ],
)
def test_staff_page_refused_to_her_session(world: Any, page: str) -> None:
    r = her_session(world).get(page.format(pk=world.alice.pk))
    assert r.status_code in (403, 404), f"{page}: {r.status_code}"


def test_timeline_staff_words_not_to_her(world: Any) -> None:
    corrected_and_struck(world)
    r = her_session(world).get(f"/patients/{world.alice.pk}/timeline/")
    assert "as entered" not in r.content.decode()
