"""Review 15: the DSM-5 OUD record as a clinician and a program director read it."""

import json
import re
from typing import Any

ALL_NO = {f"dsm5_{i}": "0" for i in range(1, 12)}


def post_dsm(client: Any, pid: int, yes: tuple[int, ...] = (), **extras: str) -> Any:
    data = dict(ALL_NO)
    for i in yes:
        data[f"dsm5_{i}"] = "1"
    for k, v in extras.items():
        data[f"extra_{k}"] = v
    return client.post(f"/patients/{pid}/instruments/dsm5-oud/", data)


def text(r: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.content.decode()))


def test_export_agrees_with_patient_page_after_a_later_none(world: Any, signed_in: Any) -> None:
    """Issue: the diagnosis shows on the patient page and the export. After a later DSM-5 that does not meet
    the criteria, the patient page shows "Does not meet the criteria" but the FHIR export still carries an
    active OUD Condition (F11.20) from the older result."""
    import time_machine

    c_pid = world.alice.pk
    with time_machine.travel("2026-03-02 15:00:00+00:00", tick=False):
        c = signed_in("prescriber")
        assert post_dsm(c, c_pid, yes=(1, 2, 3, 5)).status_code == 302
    with time_machine.travel("2026-04-02 15:00:00+00:00", tick=False):
        c = signed_in("prescriber")
        assert post_dsm(c, c_pid, yes=()).status_code == 302
        page = text(c.get(f"/patients/{c_pid}/"))
        assert "F11" not in page.split("Diagnosis (DSM-5):")[1][:300]
        from tests.conftest import PASSWORD

        # p14c: the staff export (a basis, the password again); a staff session's $everything is refused.
        bundle = c.post(
            f"/api/v1/patients/{c_pid}/fhir/export",
            json.dumps({"password": PASSWORD, "basis": "patient_request"}),
            content_type="application/json",
        )
        assert bundle.status_code == 200, bundle.status_code
        body = json.loads(bundle.content)
        conditions = [
            e["resource"] for e in body.get("entry", []) if e["resource"]["resourceType"] == "Condition"
        ]
        active = [
            x
            for x in conditions
            if x.get("clinicalStatus", {}).get("coding", [{}])[0].get("code") == "active"
        ]
        assert not active, [x["code"]["coding"][0]["code"] for x in active]


def test_patients_own_checklist_does_not_replace_the_clinicians_diagnosis(world: Any, signed_in: Any) -> None:
    """The person may fill the DSM-5 checklist themselves (a self-check: "not a diagnosis"). The patient
    page's "Diagnosis (DSM-5)" took the latest DSM-5 whoever filled it, so a self-check with no boxes ticked
    wiped the clinician's "moderate, in sustained remission · ICD-10-CM F11.21" and showed "Does not meet
    the criteria" as the diagnosis."""
    from django.test import Client

    from tests.conftest import sign_in

    c = signed_in("prescriber")
    pid = world.alice.pk
    r = post_dsm(c, pid, yes=(), prior_oud="on", prior_severity="moderate", on_maintenance_therapy="on")
    assert r.status_code == 302
    assert "F11.21" in text(c.get(f"/patients/{pid}/"))
    me = sign_in(Client(), world.alice.user)
    r = me.post("/me/instruments/dsm5-oud/", dict(ALL_NO))
    assert r.status_code == 302, r.status_code
    page = text(c.get(f"/patients/{pid}/"))
    line = page.split("Diagnosis (DSM-5):")[1][:250]
    assert "F11.21" in line, line


def test_a_self_check_is_not_an_oud_diagnosis_for_nqf_3175(world: Any) -> None:
    """The person's own DSM-5 checklist ("This is a screening result, not a diagnosis") makes them "with an
    OUD diagnosis" in the NQF 3175 denominator: the measure reads every DSM-5 with an OUD band, whoever
    filled it."""
    from django.test import Client

    from keel.measures.queries import _people
    from tests.conftest import sign_in

    me = sign_in(Client(), world.alice.user)
    data = dict(ALL_NO)
    data.update({f"dsm5_{i}": "1" for i in (1, 2, 3, 4, 5, 6)})
    assert me.post("/me/instruments/dsm5-oud/", data).status_code == 302
    alice = next(p for p in _people(world.riverside) if p.key == world.alice.pk)
    assert not alice.oud_diagnosis
