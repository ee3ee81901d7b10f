"""Review 20c: holes in Keel's FHIR R4 API as an integration partner meets them. Each test fails today."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from keel.access.policy import Area
from keel.core import sharing
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import Record
from keel.sharing.models import Consent
from keel.treatment.services.orders import prescribe
from tests.review20c.conftest import bearer

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def _consent(
    w: dict[str, Any],
    signed_at: datetime = NOW - timedelta(days=1),
    recipient: str = "County HIE",
    purpose: str = "treatment",
) -> Consent:
    return Consent.objects.create(
        patient=w["patient"],
        program=w["program"],
        recipient_name=recipient,
        purpose=purpose,
        categories=[sharing.RECORD],
        expires_on=datetime.now(UTC).date() + timedelta(days=300),  # live on any date the suite runs
        signature="Rosa Quintanilla",
        form_version="1",
        statements=[],
        signed_by=w["staff"]["prescriber"],
        signed_at=signed_at,
    )


def test_order_in_force_until_a_deferred_successor_has_no_end(world: dict[str, Any]) -> None:
    """Severity: medium. A 60 mg order stays in force until a 40 mg order written today starts next week; the
    FHIR record shows both as `active` with the same medication, the 60 mg one with no end bound, so a
    partner that takes "the active MedicationRequest" sees two current doses and cannot tell which one governs
    today (or, after it caches them, that 60 mg ends on the 26th). The order in force until a successor starts
    must say when it ends: `dosageInstruction[0].timing.repeat.boundsPeriod.end` the day before that start."""
    w = world
    p, doc = w["patient"], w["staff"]["prescriber"]
    old = prescribe(
        by=doc, patient_id=p.pk, medication="methadone", dose_mg="60", now=NOW - timedelta(days=3)
    )
    starts = w["today"] + timedelta(days=7)
    prescribe(by=doc, patient_id=p.pk, medication="methadone", dose_mg="40", starts_on=starts, now=NOW)
    found = Record(p, frozenset(Area), Base("http://testserver/fhir/R4/"), NOW).of_type("MedicationRequest")
    first = next(m for m in found if m["id"] == str(old.pk))
    assert first["status"] == "active"  # in force today: right
    bounds = first["dosageInstruction"][0].get("timing", {}).get("repeat", {}).get("boundsPeriod", {})
    assert bounds.get("end") == (starts - timedelta(days=1)).isoformat()


def test_count_zero_is_refused(world: dict[str, Any]) -> None:
    """Severity: low. FHIR R4 search defines `_count=0` as "no entries, just the total" (partners use it to
    ask how many resources a patient has before paging); Keel answers 400 "_count must be ... from 1". It
    must answer a searchset Bundle with `total` and no entries."""
    w = world
    p, doc = w["patient"], w["staff"]["prescriber"]
    prescribe(by=doc, patient_id=p.pk, medication="methadone", dose_mg="60", now=NOW - timedelta(days=3))
    c = _consent(w)
    r = bearer(doc).get(f"/fhir/R4/MedicationRequest?patient={p.pk}&_count=0", HTTP_KEEL_CONSENT=str(c.pk))
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["total"] == 1 and not body.get("entry")


def test_everything_next_link_cannot_be_followed(world: dict[str, Any]) -> None:
    """Severity: low. A system pulls a record by `POST Patient/{id}/$everything` with its consent basis in a
    Parameters body; the Bundle's `next` link is a plain URL, and a GET of it with the same token is refused
    (422, "POST it as a Parameters body"). The CapabilityStatement's operation text says "POST the same body
    to each next link", but a standard FHIR client follows `next` with GET (R4 paging), gets an error after
    page 1 and may keep the partial record as if whole (doses, consents missing). Following the next link as
    the same system must return the next page (a paging link bound to the disclosure already recorded), or
    the first answer must say plainly that it is partial (no `next` link a GET cannot follow)."""
    w = world
    p, doc = w["patient"], w["staff"]["prescriber"]
    prescribe(by=doc, patient_id=p.pk, medication="methadone", dose_mg="60", now=NOW - timedelta(days=3))
    c = _consent(w)
    client = bearer(doc)
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "basis", "valueCode": "consent"},
            {"name": "consent", "valueString": str(c.pk)},
            {"name": "recipient_name", "valueString": c.recipient_name},
            {"name": "purpose", "valueCode": c.purpose},
        ],
    }
    first = client.post(
        f"/fhir/R4/Patient/{p.pk}/$everything?_count=2",
        json.dumps(body),
        content_type="application/fhir+json",
    )
    assert first.status_code == 200, first.content
    nxt = [x["url"] for x in first.json()["link"] if x["relation"] == "next"]
    assert nxt, "the record has more than 2 resources: there is a next page"
    second = client.get(nxt[0].removeprefix("http://testserver"))
    assert second.status_code == 200, second.content
    assert second.json()["entry"]


def test_consent_period_starts_on_the_utc_day_not_the_local_day(world: dict[str, Any]) -> None:
    """Severity: medium. A consent signed at 23:30 in Los Angeles on 20 November (07:30 UTC on the 21st) is
    sent with `provision.period.start` 2026-11-21: the signing date in UTC, while `end` is the program's local
    expiry date. A partner that enforces the period (Part 2: nothing before the consent) treats what Keel
    released that evening under it as outside the consent, and the date disagrees with the signed form. The
    start must be the signing day on the program's clock, as every other date in the record."""
    w = world
    _consent(w, signed_at=datetime(2026, 11, 21, 7, 30, tzinfo=UTC))  # 23:30 on 20 November, Los Angeles
    base = Base("http://testserver/fhir/R4/")
    found = Record(w["patient"], frozenset(Area), base, NOW + timedelta(days=1)).of_type("Consent")
    assert found[0]["provision"]["period"]["start"] == "2026-11-20"


def _dsm5(w: dict[str, Any], met: int, at: datetime) -> Any:
    from keel.assessments.models import SCORER_VERSION, Assessment
    from keel.core.instruments.scoring import score

    answers = {f"dsm5_{n}": int(n <= met) for n in range(1, 12)}
    result = score("dsm5-oud", answers, {})
    return Assessment.objects.create(
        patient=w["patient"],
        program_id=w["program"].pk,
        instrument="dsm5-oud",
        instrument_version=result.version,
        scorer_version=SCORER_VERSION,
        answers=answers,
        total=result.total,
        band=result.band.code if result.band else "",
        result=result.as_dict(),
        filled_by=w["staff"]["prescriber"],
        filled_at=at,
    )


def test_condition_id_changes_with_each_reassessment(world: dict[str, Any]) -> None:
    """Severity: medium. The OUD Condition's id is the id of the latest DSM-5 assessment (`oud-<assessment>`):
    after a re-assessment a partner holding `Condition/oud-1` ("severe, active") gets 404 for it and finds a
    second Condition `oud-2` ("moderate"); nothing tells it the first is replaced, so its problem list keeps a
    stale severe diagnosis beside the new one (and a 404 reads like a deletion). The diagnosis must keep one
    id across re-assessments (or the old id must answer with the current state)."""
    w = world
    doc = w["staff"]["prescriber"]
    first = _dsm5(w, 8, NOW - timedelta(days=20))
    _dsm5(w, 4, NOW - timedelta(hours=2))
    c = _consent(w)
    r = bearer(doc).get(f"/fhir/R4/Condition/oud-{first.pk}", HTTP_KEEL_CONSENT=str(c.pk))
    assert r.status_code == 200, r.content
    assert "moderate" in r.json()["code"]["text"]


def test_one_token_releases_under_any_recipients_consent(world: dict[str, Any]) -> None:
    """Severity: high (42 CFR Part 2). A staff API token carries no recipient: the system holding it names any
    live consent of the person in `Keel-Consent` and gets the record, and the accounting of disclosures
    writes that consent's recipient. The same token reads the record as "County HIE" (treatment) and, a
    minute later, as "Acme Employer" (return to work): the person's accounting says the employer got it under
    the employer consent and the HIE under the HIE consent, while one and the same system received both, and
    nothing ties either to who really holds the token. A token that releases Part 2 records must be bound to
    one recipient, and a consent naming another recipient must be refused for it."""
    w = world
    p, doc = w["patient"], w["staff"]["prescriber"]
    hie = _consent(w)
    employer = _consent(w, recipient="Acme Employer", purpose="employment")
    client = bearer(doc)
    first = client.get(f"/fhir/R4/Patient/{p.pk}", HTTP_KEEL_CONSENT=str(hie.pk))
    assert first.status_code == 200, first.content
    second = client.get(f"/fhir/R4/Patient/{p.pk}", HTTP_KEEL_CONSENT=str(employer.pk))
    assert second.status_code in (403, 422), "one token released the record to two different recipients"


def test_take_home_bottles_are_nowhere_in_the_record(world: dict[str, Any]) -> None:
    """Severity: high. Methadone taken at home (take-home bottles for today and yesterday) appears in no FHIR
    resource: `$everything` and MedicationAdministration show only observed doses, so an emergency department
    that reads Keel's record on Sunday evening sees the last dose on Friday and may dose a person who drank
    Sunday's bottle that morning. Every day a bottle covers must be in the record another system reads (e.g.
    a MedicationDispense per bottle, naming the order and the day it is for)."""
    from keel.treatment.models import TakeHomePlan

    w = world
    p, doc = w["patient"], w["staff"]["prescriber"]
    prescribe(by=doc, patient_id=p.pk, medication="methadone", dose_mg="60", now=NOW - timedelta(days=40))
    days = [w["today"] - timedelta(days=1), w["today"]]
    TakeHomePlan.objects.create(
        patient=p,
        decided_by=doc,
        decided_at=NOW - timedelta(days=3),
        days_in_treatment=40,
        criteria={},
        decision={"decision": "allowed", "reasons": []},
        max_supply_days=2,
        bottles=[d.isoformat() for d in days],
    )
    base = Base("http://testserver/fhir/R4/")
    text = json.dumps(Record(p, frozenset(Area), base, NOW).everything())
    assert all(d.isoformat() in text for d in days), "no resource says methadone was supplied for those days"


def test_qtc_is_nowhere_in_the_record(world: dict[str, Any]) -> None:
    """Severity: medium. A QTc of 520 ms (the reason a methadone dose is held or lowered; a prescriber adding
    ondansetron or an antipsychotic needs it) is in no FHIR resource: `$everything` and Observation search
    carry the questionnaires only. It must be an Observation (LOINC 8636-3, QTc interval, UCUM `ms`, the day
    measured) in the record another system reads."""
    from keel.treatment.models import QtcRecord

    w = world
    p, doc = w["patient"], w["staff"]["prescriber"]
    QtcRecord.objects.create(
        patient=p,
        qtc_ms=520,
        measured_on=w["today"] - timedelta(days=2),
        decision={"decision": "warn", "reasons": []},
        recorded_by=doc,
        recorded_at=NOW - timedelta(days=2),
    )
    base = Base("http://testserver/fhir/R4/")
    found = Record(p, frozenset(Area), base, NOW).of_type("Observation")
    qtc = [o for o in found if any(c.get("code") == "8636-3" for c in o["code"].get("coding", []))]
    assert qtc and qtc[0]["valueQuantity"]["value"] == 520 and qtc[0]["valueQuantity"]["code"] == "ms"


def test_last_second_of_year_9999_is_a_500(world: dict[str, Any]) -> None:
    """Severity: low. `Observation?date=9999-12-31T23:59:59Z` (a valid FHIR dateTime, as test suites and
    fuzzers send) is a server error: the date search adds one second to it, which overflows, and the
    OverflowError escapes the OperationOutcome handling, so the caller gets an HTML 500 page instead of a
    FHIR answer. Every bad or extreme search value must be an OperationOutcome (400 naming `date`), never a
    500."""
    w = world
    p = w["patient"]
    client = bearer(w["staff"]["prescriber"])
    client.raise_request_exception = False
    r = client.get(f"/fhir/R4/Observation?patient={p.pk}&date=9999-12-31T23:59:59Z")
    assert r.status_code == 400
    assert r.json()["resourceType"] == "OperationOutcome"


def test_head_request_is_written_as_a_disclosure(world: dict[str, Any]) -> None:
    """Severity: low. A HEAD of `Patient/{id}` with a staff token and a consent sends no resource, yet Keel
    writes a Disclosure row: the person's accounting of disclosures (42 CFR 2.24) lists a release to the
    consent's recipient that never carried any record, and a monitor probing with HEAD fills it with false
    lines. A HEAD must not be accounted as a disclosure (refuse it with a staff token, or write no row)."""
    from keel.sharing.models import Disclosure

    w = world
    p = w["patient"]
    c = _consent(w)
    before = Disclosure.objects.count()
    r = bearer(w["staff"]["prescriber"]).head(f"/fhir/R4/Patient/{p.pk}", HTTP_KEEL_CONSENT=str(c.pk))
    assert not r.content
    assert Disclosure.objects.count() == before


def test_without_consent_a_token_learns_which_resources_exist(world: dict[str, Any]) -> None:
    """Severity: medium (42 CFR Part 2). With no `Keel-Consent` at all, a staff token reading a resource of a
    person in scope gets 422 ("send Keel-Consent") when the resource exists and 404 when it does not, so the
    system holding the token learns, with no consent, which resources a person has: that
    `Observation/assessment-N-risk` exists says a C-SSRS suicide screen was scored; `Condition/oud-N` that a
    DSM-5 assessment found opioid use disorder. Without a consent basis the answer must not depend on whether
    the resource exists (the same refusal for both)."""
    w = world
    a = _dsm5(w, 8, NOW - timedelta(days=2))
    client = bearer(w["staff"]["prescriber"])
    there = client.get(f"/fhir/R4/Observation/assessment-{a.pk}-total")
    not_there = client.get(f"/fhir/R4/Observation/assessment-{a.pk}-risk")
    assert there.status_code == not_there.status_code, (there.status_code, not_there.status_code)
