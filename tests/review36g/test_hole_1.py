"""Review 36g hole 1: a QTc reading (an Observation whose `effectiveDateTime` is the day it was measured) is
dropped by a date search `ge` an instant of that same day, the search a hospital's system polls with
("every Observation since my last poll"): FHIR R4 search, date: `ge` matches when "the range above the
search value intersects (i.e. overlaps) with the range of the target value", and a date's range is the
whole day. Keel compares the day's start (midnight) with the instant (`searches._filters.by_date`,
`_in_range`), so the QTc measured today is never returned to a poll made after midnight, then or on any
later poll."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from keel.patients.models import local_today, zone_of
from tests.conftest import World
from tests.factories import methadone_with_qtc
from tests.review36g._setup import consent, fhir, token

pytestmark = pytest.mark.django_db

QTC = "http://loinc.org|8636-3"


def test_a_qtc_measured_today_is_found_by_a_poll_since_noon_today(world: World) -> None:
    methadone_with_qtc(world, 510)  # measured today, on her program's clock
    noon = datetime.combine(local_today(world.alice), time(12), tzinfo=zone_of(world.alice))
    whole = consent(world, ["record"])
    bundle = fhir(
        "/fhir/R4/Observation",
        token(world),
        whole.pk,
        patient=world.alice.pk,
        code=QTC,
        date="ge" + noon.isoformat(),
    ).json()
    assert bundle.get("total") == 1
