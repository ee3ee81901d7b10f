"""Review 2 of #14: whole-record pulls by a staff API token (`Patient/$everything`) and other routes to it."""

from typing import Any

import pytest
import time_machine

NOW = "2026-12-01 15:00:00+00:00"
FHIR = "application/fhir+json"


def _token(user: Any, recipient: str = "Northside Clinic") -> str:
    """Set-up (review 25b, H5): a staff token that releases is issued for its recipient, the consents'; a
    token that writes (a paper consent) or a patient's own is issued for none."""
    from keel.accounts import services

    recipient = "" if user.role == "patient" else recipient
    return services.create_token(user=user, name="review", recipient_name=recipient).secret


def _consent(world: Any, patient: Any, **extra: Any) -> int:
    """Set-up: a paper consent recorded by the counselor. Superseded by review 26a (session 26): was recorded
    with the counselor's API token; a staff token no longer writes a consent (review 26a H1), so it is
    recorded in the counselor's signed-in session."""
    from django.test import Client

    from tests.conftest import sign_in

    body = {
        "recipient_name": "Northside Clinic",
        "purpose": "treatment",
        "categories": ["record"],
        "expires_on": "2027-06-01",
        "signature": f"{patient.given_name} {patient.family_name}",
        "understood": True,
    }
    body.update(extra)
    response = sign_in(Client(), world.staff["counselor"]).post(
        f"/api/v1/patients/{patient.pk}/consents", body, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def _params(consent: int, **over: str) -> dict[str, Any]:
    values = {
        "basis": "consent",
        "consent": str(consent),
        "recipient_name": "Northside Clinic",
        "purpose": "treatment",
    }
    values.update(over)
    return {
        "resourceType": "Parameters",
        "parameter": [{"name": k, "valueString": v} for k, v in values.items()],
    }


def _everything(patient_id: int, token: str, body: Any = None, method: str = "post", query: str = "") -> Any:
    from django.test import Client

    url = f"/fhir/R4/Patient/{patient_id}/$everything{query}"
    if method == "get":
        return Client().get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    return Client().post(url, body, content_type=FHIR, HTTP_AUTHORIZATION=f"Bearer {token}")


def _disclosures(patient: Any) -> int:
    from keel.sharing.models import Disclosure

    return Disclosure.objects.filter(patient=patient).count()


# --- holes ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_token_assembling_whole_record_by_per_type_searches_gets_nothing_without_a_basis(world: Any) -> None:
    """Harm: a staff token that GETs every resource type `?patient=X` carries out the same whole record as
    `$everything`, with no basis and no line in the patient's accounting of disclosures. Held since p14c: with
    no `Keel-Consent` header every type is refused and nothing leaves (the rule with a consent, one Disclosure
    row per request, is tested in tests/review14/test_p14c_token_reads.py)."""
    from django.test import Client

    from keel.interop.rest import SEARCH_PARAMS

    with time_machine.travel(NOW, tick=False):
        _consent(world, world.alice)  # so the record holds a Consent too
        token = _token(world.staff["counselor"])
        answers = {}
        for kind in SEARCH_PARAMS:
            query = f"?_id={world.alice.pk}" if kind == "Patient" else f"?patient={world.alice.pk}"
            r = Client().get(f"/fhir/R4/{kind}{query}&_count=100", HTTP_AUTHORIZATION=f"Bearer {token}")
            answers[kind] = (r.status_code, r.json().get("entry"))
    assert {kind: answer for kind, answer in answers.items() if answer != (422, None)} == {}


@pytest.mark.django_db
def test_token_search_without_patient_is_refused_not_a_silent_bulk_export(world: Any) -> None:
    """Harm: `GET /fhir/R4/Consent` (no patient) with a staff token returns every visible patient's
    SUD-consent resources at once, recorded only as a read, never as a disclosure. Held since p14c: a staff
    token's search must name one person (400 naming `patient`), and nothing leaves."""
    from django.test import Client

    with time_machine.travel(NOW, tick=False):
        _consent(world, world.alice)
        token = _token(world.staff["counselor"])
        r = Client().get("/fhir/R4/Consent?_count=100", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert (r.status_code, r.json().get("entry")) == (400, None)


# --- held ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_get_everything_with_token_refused(world: Any) -> None:
    """Harm: the record leaving without a basis."""
    with time_machine.travel(NOW, tick=False):
        r = _everything(world.alice.pk, _token(world.staff["counselor"]), method="get")
    assert r.status_code == 422
    assert _disclosures(world.alice) == 0


@pytest.mark.django_db
def test_basis_in_query_string_refused(world: Any) -> None:
    """Harm: recipient and purpose (Part 2 facts) in URLs and logs."""
    with time_machine.travel(NOW, tick=False):
        consent = _consent(world, world.alice)
        r = _everything(
            world.alice.pk,
            _token(world.staff["counselor"]),
            _params(consent),
            query="?recipient_name=Northside+Clinic",
        )
    assert r.status_code == 400


@pytest.mark.django_db
def test_valid_pull_is_one_disclosure_per_page(world: Any) -> None:
    """Harm: later pages leaving unaccounted."""
    with time_machine.travel(NOW, tick=False):
        consent = _consent(world, world.alice)
        token = _token(world.staff["counselor"])
        first = _everything(world.alice.pk, token, _params(consent), query="?_count=1")
        assert first.status_code == 200, first.content
        nxt = [link["url"] for link in first.json()["link"] if link["relation"] == "next"]
        assert nxt
        assert "recipient" not in nxt[0]
        assert "consent" not in nxt[0]
        second = _everything(world.alice.pk, token, _params(consent), query="?_count=1&_offset=1")
        assert second.status_code == 200
    assert _disclosures(world.alice) == 2


@pytest.mark.django_db
def test_another_patients_consent_refused(world: Any) -> None:
    """Harm: Bob's consent used to pull Alice's record."""
    from keel.patients.models import CareTeamMember

    with time_machine.travel(NOW, tick=False):
        CareTeamMember.objects.create(patient=world.bob, user=world.staff["counselor"])
        consent = _consent(world, world.bob)
        r = _everything(world.alice.pk, _token(world.staff["counselor"]), _params(consent))
    assert r.status_code == 422
    assert _disclosures(world.alice) == 0


@pytest.mark.django_db
def test_consent_for_other_recipient_refused(world: Any) -> None:
    """Harm: the record sent to someone the patient never named."""
    with time_machine.travel(NOW, tick=False):
        consent = _consent(world, world.alice)
        r = _everything(
            world.alice.pk,
            _token(world.staff["counselor"]),
            _params(consent, recipient_name="County Probation"),
        )
    assert r.status_code == 422


@pytest.mark.django_db
def test_consent_for_other_purpose_refused(world: Any) -> None:
    """Harm: a treatment consent used for employment."""
    with time_machine.travel(NOW, tick=False):
        consent = _consent(world, world.alice)
        r = _everything(
            world.alice.pk, _token(world.staff["counselor"]), _params(consent, purpose="employment")
        )
    assert r.status_code == 422


@pytest.mark.django_db
def test_consent_not_covering_record_category_refused(world: Any) -> None:
    """Harm: a medication-only consent releasing the whole record."""
    with time_machine.travel(NOW, tick=False):
        consent = _consent(world, world.alice, categories=["medication"])
        r = _everything(world.alice.pk, _token(world.staff["counselor"]), _params(consent))
    assert r.status_code == 422


@pytest.mark.django_db
def test_revoked_consent_refused(world: Any) -> None:
    """Harm: disclosure after the patient took consent back."""
    from django.test import Client

    with time_machine.travel(NOW, tick=False):
        consent = _consent(world, world.alice)
        token = _token(world.alice.user)
        rv = Client().post(
            f"/api/v1/me/consents/{consent}/revoke",
            {},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert rv.status_code == 200, rv.content
        r = _everything(world.alice.pk, _token(world.staff["counselor"]), _params(consent))
    assert r.status_code == 422


@pytest.mark.django_db
def test_expired_consent_refused(world: Any) -> None:
    """Harm: disclosure after expiry."""
    with time_machine.travel(NOW, tick=False):
        consent = _consent(world, world.alice, expires_on="2026-12-02")
    with time_machine.travel("2026-12-03 15:00:00+00:00", tick=False):
        r = _everything(world.alice.pk, _token(world.staff["counselor"]), _params(consent))
    assert r.status_code == 422


@pytest.mark.parametrize("role", ["peer_specialist", "auditor", "program_admin"])
@pytest.mark.django_db
def test_non_clinician_token_refused(world: Any, role: str) -> None:
    """Harm: roles that may not export take the whole record."""
    with time_machine.travel(NOW, tick=False):
        consent = _consent(world, world.alice)
        r = _everything(world.alice.pk, _token(world.staff[role]), _params(consent))
    assert r.status_code in (403, 404)
    assert _disclosures(world.alice) == 0


@pytest.mark.django_db
def test_patient_token_cannot_read_someone_else(world: Any) -> None:
    """Harm: one patient reading another's record."""
    with time_machine.travel(NOW, tick=False):
        r = _everything(world.bob.pk, _token(world.alice.user), method="get")
    assert r.status_code == 404


@pytest.mark.django_db
def test_other_program_consent_and_patient_refused(world: Any) -> None:
    """Harm: a Lakeside patient's record pulled by a Riverside token."""
    with time_machine.travel(NOW, tick=False):
        consent = _consent(world, world.alice)
        r = _everything(world.charlie.pk, _token(world.staff["counselor"]), _params(consent))
        nobody = _everything(987_654, _token(world.staff["counselor"]), _params(consent))
    # review 21f: a person the consent does not cover (another program's, or an id no one has) is one answer,
    # the consent's "no such consent for this patient" (was 404 here, 422 for a person in the program)
    assert (r.status_code, r.json()) == (nobody.status_code, nobody.json())
    assert r.status_code == 422


@pytest.mark.django_db
def test_session_post_without_csrf_refused(world: Any) -> None:
    """Harm: a hostile page making a signed-in clinician's browser POST $everything."""
    from django.test import Client

    from tests.conftest import sign_in

    with time_machine.travel(NOW, tick=False):
        client = sign_in(Client(enforce_csrf_checks=True), world.staff["counselor"])
        r = client.post(
            f"/fhir/R4/Patient/{world.alice.pk}/$everything",
            {"resourceType": "Parameters", "parameter": []},
            content_type=FHIR,
        )
    assert r.status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        '{"resourceType":"Parameters","parameter":[' + "[" * 2000 + "]" * 2000 + "]}",
        '{"resourceType":"Parameters","parameter":[{"name":"basis","valueString":"consent",'
        '"valueCode":"x"}]}',
        '{"resourceType":"Parameters","parameter":[{"name":"basis","valueString":{"a":1}}]}',
        '{"resourceType":"Parameters","parameter":[{"name":"consent","valueInteger":1e400}]}',
        "\xff\xfe",
        '{"resourceType":"Parameters","parameter":"x"}',
    ],
)
@pytest.mark.django_db
def test_odd_bodies_are_4xx(world: Any, body: str) -> None:
    """Harm: a 500 (or a pull) from a malformed Parameters body."""
    with time_machine.travel(NOW, tick=False):
        r = _everything(world.alice.pk, _token(world.staff["counselor"]), body)
    assert 400 <= r.status_code < 500
    assert _disclosures(world.alice) == 0


@pytest.mark.django_db
def test_token_cannot_claim_patient_request_basis(world: Any) -> None:
    """Harm: another system holding a staff token pulls the whole record with no consent by asserting
    `basis=patient_request`; the accounting then says the record went to the patient, while it went to
    that system (a false accounting of disclosures, 42 CFR 2.24)."""
    with time_machine.travel(NOW, tick=False):
        body = {
            "resourceType": "Parameters",
            "parameter": [{"name": "basis", "valueString": "patient_request"}],
        }
        r = _everything(world.alice.pk, _token(world.staff["counselor"]), body)
    assert r.status_code == 422, f"{r.status_code}: whole record released on an unverified basis"


@pytest.mark.django_db
def test_bodiless_post_is_refused_without_disclosure(world: Any) -> None:
    """Harm: an empty POST treated as a GET read (no basis, no accounting)."""
    from django.test import Client

    with time_machine.travel(NOW, tick=False):
        r = Client().post(
            f"/fhir/R4/Patient/{world.alice.pk}/$everything",
            HTTP_AUTHORIZATION=f"Bearer {_token(world.staff['counselor'], '')}",
        )
    assert r.status_code == 422
    assert _disclosures(world.alice) == 0


@pytest.mark.django_db
def test_session_get_of_whole_bundle_is_accounted(world: Any, signed_in: Any) -> None:
    """Harm: the staff export needs a basis, the password again and a disclosure row; the same whole-record
    Bundle downloads from `GET Patient/{id}/$everything` with a clinician's session (or a script riding it),
    no basis, no password, no line in the accounting.

    Closed by refusing it (p14c): a staff session's `$everything` is a 403 pointing to the staff export.
    The review's assertions (200, a Bundle, a disclosure row) became: 403, no Bundle, no disclosure."""
    with time_machine.travel(NOW, tick=False):
        _consent(world, world.alice)
        r = signed_in("counselor").get(
            f"/fhir/R4/Patient/{world.alice.pk}/$everything?_count=100", HTTP_ACCEPT=FHIR
        )
        assert r.status_code == 403
        assert r.json()["resourceType"] == "OperationOutcome"
        assert "entry" not in r.json()
        assert "/fhir/export" in r.json()["issue"][0]["diagnostics"]
    assert _disclosures(world.alice) == 0
