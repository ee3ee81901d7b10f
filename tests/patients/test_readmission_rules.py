"""Issue #18: readmission opens a new episode and the induction rules apply again (treatment day 1, the first
day's dose limits, the buprenorphine start gate), through the real discharge and readmission services; the
episodes page asks for confirmation, showing the last episode's dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from keel.patients import services as patients
from keel.patients.models import Enrollment
from keel.patients.schemas import DischargeIn, ReadmissionIn
from keel.treatment import services
from tests.conftest import World

pytestmark = pytest.mark.django_db
CONFIRMED = {"notice_given": True, "consented": True}  # asked again at every readmission
PAGE_CONFIRMED = {"notice_given": "on", "consented": "on"}
FIRST = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 10:00 in New York
BACK = FIRST + timedelta(days=30)


def _order(world: World, medication: str, mg: str, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        services.prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication=medication, dose_mg=mg
        )


def _give(world: World, mg: str, at: datetime, medication: str = "methadone") -> services.DoseOutcome:
    with time_machine.travel(at, tick=False):
        return services.record_dose(
            by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg, medication=medication
        )


def _away_and_back(world: World, medication: str = "methadone", mg: str = "40") -> None:
    with time_machine.travel(FIRST + timedelta(days=10), tick=False):
        patients.discharge(
            by=world.staff["nurse"], patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"})
        )
    with time_machine.travel(BACK, tick=False):
        patients.readmit(
            by=world.staff["nurse"], patient_id=world.alice.pk, data=ReadmissionIn.posted(CONFIRMED)
        )
    _order(world, medication, mg, BACK)


def _methadone_history(world: World) -> None:
    Enrollment.objects.filter(patient=world.alice).update(started_on=FIRST.date())
    _order(world, "methadone", "30", FIRST - timedelta(hours=1))
    for day in range(5):
        _give(world, "30", FIRST + timedelta(days=day))


def test_the_first_dose_after_readmission_is_treatment_day_1(world: World) -> None:
    _methadone_history(world)
    _away_and_back(world, mg="30")
    assert _give(world, "30", BACK + timedelta(hours=1)).dose.treatment_day == 1


def test_the_first_days_limit_applies_again_after_readmission(world: World) -> None:
    _methadone_history(world)
    _away_and_back(world)
    with pytest.raises(services.DoseBlocked) as exc:
        _give(world, "40", BACK + timedelta(hours=1))
    assert exc.value.decision.decision == "needs_override"


def test_the_second_day_of_the_new_episode_is_day_2(world: World) -> None:
    _methadone_history(world)
    _away_and_back(world, mg="30")
    _give(world, "30", BACK + timedelta(hours=1))
    assert _give(world, "30", BACK + timedelta(days=1, hours=1)).dose.treatment_day == 2


def test_a_readmitted_buprenorphine_start_meets_the_readiness_gate_again(world: World) -> None:
    Enrollment.objects.filter(patient=world.alice).update(started_on=FIRST.date())
    _order(world, "buprenorphine", "4", FIRST - timedelta(hours=1))
    with time_machine.travel(FIRST, tick=False):
        services.add_override(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication="buprenorphine",
            kind="start",
            max_total_mg="4",
            reason="COWS 14 at the clinic, in clear withdrawal, last use 20 hours ago",
        )
    _give(world, "4", FIRST + timedelta(minutes=5), "buprenorphine")
    _away_and_back(world, "buprenorphine", "4")
    with pytest.raises(services.DoseBlocked) as exc:
        _give(world, "4", BACK + timedelta(hours=1), "buprenorphine")
    assert exc.value.decision.decision == "not_ready"


def _page(signed_in: Any, world: World, **body: Any) -> Any:
    return signed_in("nurse").post(f"/patients/{world.alice.pk}/readmit/", {**PAGE_CONFIRMED, **body})


def _discharged(world: World) -> None:
    patients.discharge(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        data=DischargeIn.posted({"reason": "left", "ended_on": "2026-03-01"}),
    )


@pytest.fixture
def _at_back() -> Any:
    with time_machine.travel(BACK, tick=False):
        yield


@pytest.mark.usefixtures("_at_back")
def test_the_page_shows_the_last_episodes_dates(world: World, signed_in: Any) -> None:
    _discharged(world)
    body = signed_in("nurse").get(f"/patients/{world.alice.pk}/episodes/").content.decode()
    assert "Last episode of care: from Jan. 5, 2026 to March 1, 2026." in body


@pytest.mark.usefixtures("_at_back")
def test_the_page_does_not_readmit_without_confirmation(world: World, signed_in: Any) -> None:
    _discharged(world)
    assert _page(signed_in, world).status_code == 422


@pytest.mark.usefixtures("_at_back")
def test_an_unconfirmed_readmission_opens_no_episode(world: World, signed_in: Any) -> None:
    _discharged(world)
    _page(signed_in, world)
    assert not Enrollment.objects.filter(patient=world.alice, status="active").exists()


@pytest.mark.usefixtures("_at_back")
def test_the_page_names_the_missing_confirmation(world: World, signed_in: Any) -> None:
    _discharged(world)
    assert "Readmit this person: check the last episode" in _page(signed_in, world).content.decode()


@pytest.mark.usefixtures("_at_back")
def test_a_confirmed_readmission_opens_the_new_episode(world: World, signed_in: Any) -> None:
    _discharged(world)
    assert _page(signed_in, world, confirmed="on").status_code == 302


@pytest.mark.usefixtures("_at_back")
def test_the_confirmation_in_spanish(world: World, signed_in: Any) -> None:
    _discharged(world)
    body = signed_in("nurse").get(f"/patients/{world.alice.pk}/episodes/", HTTP_ACCEPT_LANGUAGE="es")
    said = "Último episodio de atención: del 5 de enero de 2026 al 1 de marzo de 2026."
    assert said in body.content.decode()


@pytest.mark.usefixtures("_at_back")
@pytest.mark.parametrize(("role", "status"), [("patient", 403), ("peer_specialist", 404), ("auditor", 404)])
def test_other_roles_cannot_readmit_on_the_page(world: World, signed_in: Any, role: str, status: int) -> None:
    _discharged(world)
    response = signed_in(role).post(
        f"/patients/{world.alice.pk}/readmit/", {"confirmed": "on", **PAGE_CONFIRMED}
    )
    assert response.status_code == status


# --- The Part 2 notice and consent to treatment, asked again at every readmission ------------------------


def _discharged_now(world: World) -> None:
    patients.discharge(
        by=world.staff["nurse"], patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"})
    )


@pytest.mark.parametrize("missing", ["notice_given", "consented"])
def test_a_readmission_without_a_confirmation_is_refused_naming_it(world: World, missing: str) -> None:
    from keel.core.rules.inputs import FieldsInvalid

    _discharged_now(world)
    with pytest.raises(FieldsInvalid) as exc:
        patients.readmit(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            data=ReadmissionIn.posted({**CONFIRMED, missing: False}),
        )
    assert [e.field for e in exc.value.errors] == [missing]


def test_a_refused_readmission_opens_no_episode(world: World) -> None:
    from keel.core.rules.inputs import FieldsInvalid

    _discharged_now(world)
    with pytest.raises(FieldsInvalid):
        patients.readmit(by=world.staff["nurse"], patient_id=world.alice.pk, data=ReadmissionIn.posted({}))
    assert not Enrollment.objects.filter(patient=world.alice, status="active").exists()


def test_the_new_episode_records_who_gave_the_notice(world: World) -> None:
    _discharged_now(world)
    episode = patients.readmit(
        by=world.staff["nurse"], patient_id=world.alice.pk, data=ReadmissionIn.posted(CONFIRMED)
    )
    assert (episode.notice_given_by, episode.consented_by) == (world.staff["nurse"], world.staff["nurse"])


def test_the_api_names_a_missing_consent_to_treatment(world: World, signed_in: Any) -> None:
    import json

    _discharged_now(world)
    body = json.dumps({"notice_given": True})
    response = signed_in("nurse").post(f"/api/v1/patients/{world.alice.pk}/readmit", body, "application/json")
    assert [e["field"] for e in response.json()["errors"]] == ["consented"]


def test_the_page_names_a_missing_privacy_notice(world: World, signed_in: Any) -> None:
    _discharged_now(world)
    response = signed_in("nurse").post(
        f"/patients/{world.alice.pk}/readmit/", {"confirmed": "on", "consented": "on"}
    )
    assert "Privacy notice:" in response.content.decode()


def test_the_page_asks_for_both_confirmations(world: World, signed_in: Any) -> None:
    _discharged_now(world)
    page = signed_in("nurse").get(f"/patients/{world.alice.pk}/episodes/").content.decode()
    assert ('name="notice_given"' in page, 'name="consented"' in page) == (True, True)


# --- A death recorded at discharge is not undone by a readmission ----------------------------------------


def _died(world: World) -> None:
    patients.discharge(
        by=world.staff["nurse"], patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "deceased"})
    )


def test_the_api_refuses_to_readmit_someone_who_died_naming_the_patient(world: World, signed_in: Any) -> None:
    import json

    _died(world)
    body = json.dumps({"notice_given": True, "consented": True})
    response = signed_in("nurse").post(f"/api/v1/patients/{world.alice.pk}/readmit", body, "application/json")
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["patient"])


def test_the_page_says_why_someone_who_died_is_not_readmitted(world: World, signed_in: Any) -> None:
    _died(world)
    response = _page(signed_in, world, confirmed="on")
    assert "a readmission is not possible" in response.content.decode()


def test_the_page_says_it_in_spanish(world: World, signed_in: Any) -> None:
    _died(world)
    response = signed_in("nurse").post(
        f"/patients/{world.alice.pk}/readmit/",
        {"confirmed": "on", **PAGE_CONFIRMED},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert "no es posible readmitirla" in response.content.decode()


def test_someone_who_died_gets_no_new_episode_from_the_page(world: World, signed_in: Any) -> None:
    _died(world)
    _page(signed_in, world, confirmed="on")
    assert not Enrollment.objects.filter(patient=world.alice, status="active").exists()
