"""Review 22n: order versions (session 22 item 1) under ordinary clinical input. Each test is one hole."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from keel.patients.schemas import DischargeIn, ReadmissionIn
from keel.patients.services.episodes import discharge, readmit
from keel.recovery.common import StaleEdit
from keel.treatment.models import MedicationOrder
from keel.treatment.queries.orders import order_version, order_versions
from keel.treatment.services.orders import prescribe
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_a_tab_read_before_discharge_is_stale_after_readmission(world: World) -> None:
    """Hole 1. A prescriber's tab shows methadone 80 mg in force (version v). The person is discharged (the
    order stopped, no new row: the version stays v) and readmitted. The old tab's raise to 100 mg, written
    from a page showing an order in force that the discharge stopped, must be refused as stale: the orders
    changed (a stop) since the writer read them. It is written: the version ignores the stop."""
    pr, alice = world.staff["prescriber"], world.alice
    prescribe(by=pr, patient_id=alice.pk, medication="methadone", dose_mg="80")
    read = order_version(alice, "methadone")
    discharge(by=pr, patient_id=alice.pk, data=DischargeIn.posted({"reason": "left", "ended_on": None}))
    readmit(
        by=pr,
        patient_id=alice.pk,
        data=ReadmissionIn.posted(
            {"started_on": None, "episode_kind": "", "notice_given": True, "consented": True}
        ),
    )
    before = MedicationOrder.objects.filter(patient=alice).count()
    with pytest.raises(StaleEdit):
        prescribe(
            by=pr,
            patient_id=alice.pk,
            medication="methadone",
            dose_mg="100",
            order_version=read,
            override_reason="",
        )
    assert MedicationOrder.objects.filter(patient=alice).count() == before


def test_a_page_read_before_a_switch_to_methadone_cannot_raise_buprenorphine(
    world: World, signed_in: Any
) -> None:
    """Hole 2. The medication page's one form carries the version of every medication it showed. Tab A shows
    buprenorphine 16 mg and no methadone. In tab B the person is switched: methadone 30 mg is written. Tab A,
    still showing no methadone, submits buprenorphine 24 mg with the versions it read; the page posts both
    versions but only the chosen medication's is compared, so the raise is written and the person now has a
    buprenorphine raise on top of a methadone start nobody saw. The page must answer 409 and write nothing."""
    pr, alice = world.staff["prescriber"], world.alice
    prescribe(by=pr, patient_id=alice.pk, medication="buprenorphine", dose_mg="16")
    read = order_versions(alice)  # tab A
    prescribe(  # tab B: the switch, from an up-to-date page
        by=pr,
        patient_id=alice.pk,
        medication="methadone",
        dose_mg="30",
        order_version=order_version(alice, "methadone"),
    )
    client = signed_in("prescriber")
    response = client.post(
        reverse("treatment:create_order", args=[alice.pk]),
        {
            "medication": "buprenorphine",
            "dose_mg": "24",
            **{f"order_version_{m}": str(v) for m, v in read.items()},
        },
    )
    assert not MedicationOrder.objects.filter(patient=alice, medication="buprenorphine", dose_mg=24).exists()
    assert response.status_code == 409
