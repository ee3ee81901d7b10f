"""Review 20c fixes: $everything's next link by GET, HEAD, `_count=0`, dates at the calendar's edge."""

from __future__ import annotations

from typing import Any

from keel.audit.models import Action, AuditEvent
from keel.sharing.models import Disclosure
from keel.treatment.services.orders import prescribe
from tests.review20c_fixes.helpers import NOW, basis_body, client_for, consent, revoke


def _prescribe(w: dict[str, Any], dose: str = "60") -> None:
    doc = w["staff"]["prescriber"]
    prescribe(by=doc, patient_id=w["patient"].pk, medication="methadone", dose_mg=dose, now=NOW)


def _first(w: dict[str, Any]) -> tuple[Any, str, Any]:
    _prescribe(w)
    c = consent(w)
    client, _ = client_for(w["staff"]["prescriber"])
    r = client.post(
        f"/fhir/R4/Patient/{w['patient'].pk}/$everything?_count=1",
        basis_body(c),
        content_type="application/fhir+json",
    )
    nxt = next(x["url"] for x in r.json()["link"] if x["relation"] == "next")
    return client, nxt.removeprefix("http://testserver"), c


def test_following_the_next_link_writes_no_second_disclosure(world: dict[str, Any]) -> None:
    client, nxt, _ = _first(world)
    client.get(nxt)
    assert Disclosure.objects.count() == 1


def test_following_the_next_link_is_audited_with_the_disclosure(world: dict[str, Any]) -> None:
    client, nxt, _ = _first(world)
    client.get(nxt)
    row = AuditEvent.objects.filter(action=Action.EXPORT).order_by("-pk").first()
    assert row is not None and row.detail["disclosure_id"] == Disclosure.objects.get().pk


def test_the_next_link_by_another_token_is_refused(world: dict[str, Any]) -> None:
    _, nxt, _ = _first(world)
    other, _ = client_for(world["staff"]["prescriber"])
    assert other.get(nxt).status_code == 403


def test_the_next_link_by_another_staff_member_is_refused(world: dict[str, Any]) -> None:
    _, nxt, _ = _first(world)
    other, _ = client_for(world["staff"]["nurse"])
    assert other.get(nxt).status_code == 403


def test_the_next_link_posted_is_refused(world: dict[str, Any]) -> None:
    client, nxt, c = _first(world)
    assert client.post(nxt, basis_body(c), content_type="application/fhir+json").status_code == 400


def test_the_next_link_after_a_revocation_is_refused(world: dict[str, Any]) -> None:
    client, nxt, c = _first(world)
    revoke(c, world["staff"]["prescriber"])
    assert client.get(nxt).status_code == 422


def test_the_next_link_after_the_record_changed_is_a_conflict(world: dict[str, Any]) -> None:
    client, nxt, _ = _first(world)
    _prescribe(world, "80")
    assert client.get(nxt).status_code == 409


def test_a_tampered_page_token_is_refused(world: dict[str, Any]) -> None:
    client, nxt, _ = _first(world)
    assert client.get(nxt[:-3] + "AAA").status_code == 403


def test_the_next_link_for_another_patient_is_refused(world: dict[str, Any]) -> None:
    client, nxt, _ = _first(world)
    moved = nxt.replace(f"/Patient/{world['patient'].pk}/", f"/Patient/{world['foreign'].pk}/")
    assert client.get(moved).status_code == 404


def test_the_capability_statement_says_next_links_are_followed_with_get(world: dict[str, Any]) -> None:
    body = client_for(world["staff"]["prescriber"])[0].get("/fhir/R4/metadata").json()
    docs = [
        o.get("documentation", "")
        for r in body["rest"]
        for x in r["resource"]
        for o in x.get("operation", [])
    ]
    assert any("followed with GET" in d for d in docs)


def test_a_head_search_writes_no_disclosure(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    c = consent(world)
    client.head(f"/fhir/R4/MedicationRequest?patient={world['patient'].pk}", HTTP_KEEL_CONSENT=str(c.pk))
    assert not Disclosure.objects.exists()


def test_a_head_everything_writes_no_disclosure(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    client.head(
        f"/fhir/R4/Patient/{world['patient'].pk}/$everything", HTTP_KEEL_CONSENT=str(consent(world).pk)
    )
    assert not Disclosure.objects.exists()


def test_a_get_still_writes_its_disclosure(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    client.get(f"/fhir/R4/Patient/{world['patient'].pk}", HTTP_KEEL_CONSENT=str(consent(world).pk))
    assert Disclosure.objects.count() == 1


def _search(w: dict[str, Any], query: str) -> Any:
    client, _ = client_for(w["staff"]["prescriber"])
    c = consent(w)
    return client.get(
        f"/fhir/R4/MedicationRequest?patient={w['patient'].pk}&{query}", HTTP_KEEL_CONSENT=str(c.pk)
    )


def test_count_zero_has_no_next_link(world: dict[str, Any]) -> None:
    _prescribe(world)
    links = _search(world, "_count=0").json()["link"]
    assert [x["relation"] for x in links] == ["self"]


def test_count_zero_counts_past_an_offset(world: dict[str, Any]) -> None:
    _prescribe(world)
    assert _search(world, "_count=0&_offset=5").json()["total"] == 1


def test_a_negative_count_is_a_400(world: dict[str, Any]) -> None:
    assert _search(world, "_count=-1").status_code == 400


def test_a_count_that_is_not_a_number_is_a_400(world: dict[str, Any]) -> None:
    assert _search(world, "_count=zero").status_code == 400


def test_everything_with_count_zero_has_the_total(world: dict[str, Any]) -> None:
    _prescribe(world)
    c = consent(world)
    client, _ = client_for(world["staff"]["prescriber"])
    r = client.post(
        f"/fhir/R4/Patient/{world['patient'].pk}/$everything?_count=0",
        basis_body(c),
        content_type="application/fhir+json",
    )
    assert r.json()["total"] > 0 and not r.json().get("entry")


def _edge(w: dict[str, Any], path: str) -> Any:
    client, _ = client_for(w["staff"]["prescriber"])
    client.raise_request_exception = False
    return client.get(path, HTTP_KEEL_CONSENT=str(consent(w).pk))


def test_a_birthdate_at_the_end_of_9999_is_a_400(world: dict[str, Any]) -> None:
    r = _edge(world, f"/fhir/R4/Patient?_id={world['patient'].pk}&birthdate=9999-12-31")
    assert r.status_code == 400


def test_a_birthdate_at_the_end_of_9999_names_birthdate(world: dict[str, Any]) -> None:
    r = _edge(world, f"/fhir/R4/Patient?_id={world['patient'].pk}&birthdate=9999-12-31")
    assert r.json()["issue"][0]["expression"] == ["birthdate"]


def test_a_date_in_the_year_9999_is_a_400(world: dict[str, Any]) -> None:
    r = _edge(world, f"/fhir/R4/Observation?patient={world['patient'].pk}&date=9999")
    assert r.status_code == 400


def test_the_first_instant_east_of_utc_is_a_400(world: dict[str, Any]) -> None:
    r = _edge(world, f"/fhir/R4/Observation?patient={world['patient'].pk}&date=0001-01-01T00:00:00%2B14:00")
    assert r.status_code == 400


def test_the_last_instant_with_a_prefix_is_a_400(world: dict[str, Any]) -> None:
    r = _edge(world, f"/fhir/R4/Observation?patient={world['patient'].pk}&date=le9999-12-31T23:59:59Z")
    assert r.status_code == 400


def test_an_ordinary_date_search_still_answers(world: dict[str, Any]) -> None:
    r = _edge(world, f"/fhir/R4/Observation?patient={world['patient'].pk}&date=ge2026-01-01")
    assert r.status_code == 200
