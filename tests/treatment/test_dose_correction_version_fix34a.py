"""Lane fix34a (review 34a hole 1): a dose's correction or void carries the version of the dose's corrections
its writer read (`correction_version`: the id of the correction in force, 0 for none). One written since
refuses it (409, nothing written): from the page (a form without the field read none), from the API (the
field required: 422 naming it when missing), a void as a correction, a correction after a correction, and
two at the same moment (one wins, on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.utils import translation

from keel.treatment import services
from keel.treatment.models import DoseAmendment, DoseRecord
from keel.treatment.queries import correction_version, effective_mg
from keel.treatment.services.doses import corrections
from tests.conftest import World
from tests.factories import corrected, handed_out_yesterday, pinned_at_last_five_pm_utc
from tests.lock_waits import Pause, run, wait_for_a_lock_waiter
from tests.review34a._setup import called_back, correction_form

WRONG = "Recorded for the wrong person: she did not come yesterday."
PUMP = "The pump log shows 70 mg."


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """Inside dosing hours, whatever the hour the suite runs."""
    yield from pinned_at_last_five_pm_utc()


def _page_post(client: Any, world: World, dose: DoseRecord, fields: dict[str, str]) -> Any:
    return client.post(f"/patients/{world.alice.pk}/medication/doses/{dose.pk}/amendments/", fields)


def _api(client: Any, world: World, dose: DoseRecord, body: dict[str, Any]) -> Any:
    url = f"/api/v1/patients/{world.alice.pk}/doses/{dose.pk}/amendments"
    return client.post(url, body, content_type="application/json")


def test_a_stale_void_after_a_correction_is_refused_and_the_page_shows_the_dose_now(
    world: World, signed_in: Any
) -> None:
    _plan, dose = handed_out_yesterday(world)
    nurse_b = signed_in("nurse")
    fields = correction_form(nurse_b, world, dose)
    corrected(world, dose, PUMP, corrected_mg="70")
    response = _page_post(nurse_b, world, dose, fields | {"void": "on", "reason": WRONG})
    assert response.status_code == 409
    assert effective_mg(dose) == 70 and DoseAmendment.objects.filter(dose=dose).count() == 1
    assert f'name="correction_version" value="{correction_version(dose)}"' in response.content.decode()


def test_a_correction_from_a_page_read_after_the_last_one_is_saved(world: World, signed_in: Any) -> None:
    _plan, dose = handed_out_yesterday(world)
    corrected(world, dose, PUMP, corrected_mg="70")
    nurse = signed_in("nurse")
    fields = correction_form(nurse, world, dose) | {"corrected_mg": "75", "reason": "The log says 75 mg."}
    assert _page_post(nurse, world, dose, fields).status_code == 302
    assert effective_mg(DoseRecord.objects.get(pk=dose.pk)) == 75


def test_a_form_without_the_field_read_no_correction(world: World, signed_in: Any) -> None:
    plan, dose = handed_out_yesterday(world)
    corrected(world, dose, WRONG, void=True)
    response = _page_post(signed_in("nurse"), world, dose, {"corrected_mg": "70", "reason": PUMP})
    assert response.status_code == 409
    assert len(called_back(world, plan.pk)) == 2


def test_the_api_requires_the_version(world: World, signed_in: Any) -> None:
    _plan, dose = handed_out_yesterday(world)
    response = _api(signed_in("nurse"), world, dose, {"corrected_mg": "70", "reason": PUMP})
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "correction_version")
    assert not DoseAmendment.objects.filter(dose=dose).exists()


@pytest.mark.parametrize("bad", ["seven", True, -1, "1.5", "٣"])
def test_the_api_refuses_a_version_that_is_not_a_whole_number(world: World, signed_in: Any, bad: Any) -> None:
    _plan, dose = handed_out_yesterday(world)
    body = {"corrected_mg": "70", "reason": PUMP, "correction_version": bad}
    response = _api(signed_in("nurse"), world, dose, body)
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "correction_version")


def test_the_api_refuses_a_stale_void_and_shows_the_version_to_send(world: World, signed_in: Any) -> None:
    _plan, dose = handed_out_yesterday(world)
    client = signed_in("nurse")
    read = client.get(f"/api/v1/patients/{world.alice.pk}/medication").json()
    version = next(d["correction_version"] for d in read["doses"] if d["id"] == dose.pk)
    first = _api(client, world, dose, {"corrected_mg": "70", "reason": PUMP, "correction_version": version})
    assert first.status_code == 201
    stale = _api(client, world, dose, {"void": True, "reason": WRONG, "correction_version": version})
    assert (stale.status_code, stale.json()["errors"][0]["field"]) == (409, "correction_version")
    fresh = _api(
        client, world, dose, {"void": True, "reason": WRONG, "correction_version": first.json()["id"]}
    )
    assert fresh.status_code == 201 and effective_mg(dose) == 0


def test_the_refusal_is_in_spanish_for_a_spanish_reader(world: World) -> None:
    _plan, dose = handed_out_yesterday(world)
    corrected(world, dose, PUMP, corrected_mg="70")
    with translation.override("es"), pytest.raises(services.DoseCorrectionChanged) as refused:
        services.amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=dose.pk,
            void=True,
            reason=WRONG,
            correction_version=0,
        )
    assert "No se guardó nada" in str(refused.value)


@pytest.mark.django_db(transaction=True)
def test_two_corrections_at_the_same_moment_one_wins(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both read version 0. On PostgreSQL the first is paused inside its transaction after it took the
    locks, the second is seen waiting, then the first goes on; SQLite's IMMEDIATE transactions serialise
    writers, so there the two run one after the other. Either way the second is refused."""
    _plan, dose = handed_out_yesterday(world)

    def writes(**change: Any) -> Any:
        return lambda: services.amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=dose.pk,
            correction_version=0,
            **change,
        )

    outcomes: dict[str, Any] = {}
    if connection.vendor == "postgresql":
        pause = Pause(corrections.check_correction_version)
        monkeypatch.setattr(corrections, "check_correction_version", pause)
        one = run(writes(void=True, reason=WRONG), outcomes, "void")
        assert pause.held.wait(timeout=30)
        two = run(writes(corrected_mg="70", reason=PUMP), outcomes, "correction")
        assert wait_for_a_lock_waiter()
        pause.go.set()
        one.join(timeout=60)
        two.join(timeout=60)
    else:
        for name, work in (
            ("void", writes(void=True, reason=WRONG)),
            ("correction", writes(corrected_mg="70", reason=PUMP)),
        ):
            try:
                outcomes[name] = work()
            except services.DoseCorrectionChanged as exc:
                outcomes[name] = exc
    assert isinstance(outcomes["void"], DoseAmendment)
    assert isinstance(outcomes["correction"], services.DoseCorrectionChanged)
    assert effective_mg(DoseRecord.objects.get(pk=dose.pk)) == 0
