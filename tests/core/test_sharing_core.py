"""42 CFR Part 2 rules in the core: consent elements, coverage, the notice and the emergency's facts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from keel.core import sharing as core
from keel.core.rules.inputs import InvalidInput

TODAY = date(2026, 11, 25)
NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
GOOD = {
    "recipient_name": "Valley Clinic",
    "purpose": "treatment",
    "categories": ["screenings", "enrollment"],
    "expires_on": "2027-01-01",
    "signature": "José Núñez",
    "understood": True,
}


def fields(raw: dict[str, object]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as info:
        core.parse_consent(raw, patient_name="José Núñez", today=TODAY)
    return {e.field: e.reason for e in info.value.errors}


def test_a_complete_consent_parses_with_categories_in_a_fixed_order() -> None:
    terms = core.parse_consent({**GOOD, "signature": "jose  NUNEZ"}, patient_name="José Núñez", today=TODAY)
    assert terms.categories == ("enrollment", "screenings")
    assert terms.expires_on == date(2027, 1, 1)
    assert terms.recipient_name == "Valley Clinic"
    assert terms.purpose == "treatment"


def test_every_element_is_named_when_missing() -> None:
    assert set(fields({})) == {
        "recipient_name",
        "purpose",
        "categories",
        "expires_on",
        "signature",
        "understood",
    }


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"expires_on": "2026-11-25"}, "expires_on", "must be after today"),
        ({"expires_on": "2031-11-26"}, "expires_on", "can be at most 5 years from today"),
        ({"expires_on": "soon"}, "expires_on", "must be a date like 2027-01-31"),
        ({"categories": ["everything"]}, "categories", "each must be one of"),
        ({"categories": "enrollment"}, "categories", "choose at least one"),
        ({"purpose": "other"}, "purpose_text", "describe the purpose"),
        ({"purpose": "marketing"}, "purpose", "must be one of"),
        ({"signature": "Someone Else"}, "signature", "type your full name"),
        ({"recipient_name": 7}, "recipient_name", "must be text"),
        ({"recipient_name": "x" * 201}, "recipient_name", "at most 200"),
        ({"understood": "yes"}, "understood", "confirm"),
    ],
)
def test_each_bad_element(change: dict[str, object], field: str, reason: str) -> None:
    assert reason in fields({**GOOD, **change})[field]


def test_status_boundaries() -> None:
    end = date(2027, 1, 1)
    assert core.status(expires_on=end, revoked_at=None, today=end) == "active"  # its last day still counts
    assert core.status(expires_on=end, revoked_at=None, today=date(2027, 1, 2)) == "expired"
    assert core.status(expires_on=end, revoked_at=NOON, today=TODAY) == "revoked"


def test_a_revocation_is_in_force_even_when_its_instant_looks_ahead_of_today() -> None:
    # Recorded by a server whose clock or zone runs ahead: the day it carries is tomorrow here. Still revoked.
    ahead = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Pacific/Kiritimati"))
    assert core.status(expires_on=date(2027, 1, 1), revoked_at=ahead, today=TODAY) == "revoked"


def test_coverage_decisions_with_reasons_and_sources() -> None:
    kw = {
        "expires_on": date(2027, 1, 1),
        "revoked_at": None,
        "consent_categories": ("enrollment", "checkins"),
        "today": TODAY,
    }
    ok = core.check_disclosure(asked=("checkins",), **kw)  # type: ignore[arg-type]
    assert ok.decision == "allowed"
    assert ok.details["categories"] == ["checkins"]
    assert set(ok.sources) == {"cfr-2-31-2024", "cfr-2-32-2024"}
    everything = core.check_disclosure(asked=(), **kw)  # type: ignore[arg-type]
    assert everything.details["categories"] == ["enrollment", "checkins"]
    wider = core.check_disclosure(asked=("medication",), **kw)  # type: ignore[arg-type]
    assert wider.decision == "refused"
    assert wider.reasons[0].text == "The consent does not cover: medication."
    odd = core.check_disclosure(asked=("x",), **kw)  # type: ignore[arg-type]
    assert odd.reasons[0].text == "Unknown kind of information: x."
    late = core.check_disclosure(**{**kw, "today": date(2027, 1, 2)}, asked=())  # type: ignore[arg-type]
    assert late.reasons[0].text == "This consent ended on 2027-01-01."


def test_the_notice_and_the_scope() -> None:
    assert core.NOTICE == "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
    text = core.scope("Valley Clinic", "other", "Housing application", ("enrollment",), date(2027, 1, 1))
    assert text == (
        "Shared with Valley Clinic for this purpose: Housing application. Information: Enrollment: when care "
        "started and whether it is ongoing. Consent ends 2027-01-01."
    )


EMERGENCY = {
    "recipient_name": "Dr. A",
    "recipient_role": "physician",
    "recipient_affiliation": "Mercy Hospital emergency department",
    "nature": "Overdose, unresponsive in the lobby",  # three words of substance (review 20b)
    "categories": ["medication"],
}


def emergency_fields(raw: dict[str, object]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as info:
        core.parse_emergency(raw)
    return {e.field: e.reason for e in info.value.errors}


def test_an_emergency_records_its_facts() -> None:
    terms = core.parse_emergency(EMERGENCY)
    assert (terms.recipient_name, terms.recipient_affiliation) == (
        "Dr. A",
        "Mercy Hospital emergency department",
    )
    assert terms.recipient_role == "physician"
    assert terms.categories == ("medication",)
    with pytest.raises(InvalidInput) as info:
        core.parse_emergency({**EMERGENCY, "recipient_affiliation": "", "nature": "bad"})
    assert {e.field for e in info.value.errors} == {"recipient_affiliation", "nature"}


@pytest.mark.parametrize("role", ["", "judge", "employer", "police", None, 3])
def test_an_emergency_recipient_must_hold_a_medical_role(role: object) -> None:
    assert "medical personnel" in emergency_fields({**EMERGENCY, "recipient_role": role})["recipient_role"]


@pytest.mark.parametrize(
    "facility",
    [
        "County Drug Court",
        "Riverside Police Department",
        "ACME Corp human resources",
        "Sheriff's office",
        "State Prison infirmary",
    ],
)
def test_a_court_an_employer_or_the_police_is_never_an_emergency_recipient(facility: str) -> None:
    reason = emergency_fields({**EMERGENCY, "recipient_affiliation": facility})["recipient_affiliation"]
    assert reason == "a medical emergency allows disclosure only to medical personnel"


def test_a_judge_named_as_the_person_is_refused() -> None:
    reason = emergency_fields({**EMERGENCY, "recipient_name": "Judge Example"})["recipient_name"]
    assert reason == "a medical emergency allows disclosure only to medical personnel"


@pytest.mark.parametrize(
    "asked", [[], ["checkins"], ["screenings"], ["medication", "checkins"], "medication"]
)
def test_an_emergency_sends_only_what_it_needs(asked: object) -> None:
    assert "categories" in emergency_fields({**EMERGENCY, "categories": asked})


def test_an_emergency_may_send_enrollment_and_medication() -> None:
    terms = core.parse_emergency({**EMERGENCY, "categories": ["medication", "enrollment"]})
    assert terms.categories == ("enrollment", "medication")


REQUEST = {"recipient_name": "Dr. Ruth Example, Valley Primary Care", "purpose": "treatment"}
CONSENTED = {
    "recipient_name": "Dr. Ruth Example, Valley Primary Care",
    "purpose": "treatment",
    "purpose_text": "",
}


def test_a_request_to_the_consented_recipient_for_the_consented_purpose_matches() -> None:
    spaced = {**REQUEST, "recipient_name": " dr ruth example   VALLEY primary care "}
    assert core.mismatches(core.parse_request(spaced), **CONSENTED) == []


def test_a_request_to_another_recipient_names_the_recipient() -> None:
    request = core.parse_request({**REQUEST, "recipient_name": "Valley Primary Care"})
    assert [e.field for e in core.mismatches(request, **CONSENTED)] == ["recipient_name"]


def test_a_request_for_another_purpose_names_the_purpose() -> None:
    request = core.parse_request({**REQUEST, "purpose": "employment"})
    assert [e.field for e in core.mismatches(request, **CONSENTED)] == ["purpose"]


def test_another_described_purpose_must_be_the_consents_words() -> None:
    consented = {**CONSENTED, "purpose": "other", "purpose_text": "Housing application"}
    same = core.parse_request({**REQUEST, "purpose": "other", "purpose_text": "housing application"})
    other = core.parse_request({**REQUEST, "purpose": "other", "purpose_text": "Custody hearing"})
    assert core.mismatches(same, **consented) == []
    assert [e.field for e in core.mismatches(other, **consented)] == ["purpose"]


@pytest.mark.parametrize("missing", ["recipient_name", "purpose"])
def test_a_request_without_its_recipient_or_purpose_is_refused(missing: str) -> None:
    with pytest.raises(InvalidInput) as info:
        core.parse_request({k: v for k, v in REQUEST.items() if k != missing})
    assert [e.field for e in info.value.errors] == [missing]
