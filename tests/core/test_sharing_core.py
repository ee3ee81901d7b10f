"""42 CFR Part 2 rules in the core: consent elements, coverage, the notice and the emergency's facts."""

from __future__ import annotations

from datetime import date

import pytest

from keel.core import sharing as core
from keel.core.rules.inputs import InvalidInput

TODAY = date(2026, 11, 25)
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
    assert terms.categories == ("enrollment", "screenings") and terms.expires_on == date(2027, 1, 1)
    assert terms.recipient_name == "Valley Clinic" and terms.purpose == "treatment"


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
    assert core.status(expires_on=end, revoked_on=None, today=end) == "active"  # its last day still counts
    assert core.status(expires_on=end, revoked_on=None, today=date(2027, 1, 2)) == "expired"
    assert core.status(expires_on=end, revoked_on=TODAY, today=TODAY) == "revoked"
    assert core.status(expires_on=end, revoked_on=date(2026, 12, 1), today=TODAY) == "active"


def test_coverage_decisions_with_reasons_and_sources() -> None:
    kw = {
        "expires_on": date(2027, 1, 1),
        "revoked_on": None,
        "consent_categories": ("enrollment", "checkins"),
        "today": TODAY,
    }
    ok = core.check_disclosure(asked=("checkins",), **kw)  # type: ignore[arg-type]
    assert ok.decision == "allowed" and ok.details["categories"] == ["checkins"]
    assert set(ok.sources) == {"cfr-2-31-2024", "cfr-2-32-2024"}
    everything = core.check_disclosure(asked=(), **kw)  # type: ignore[arg-type]
    assert everything.details["categories"] == ["enrollment", "checkins"]
    wider = core.check_disclosure(asked=("medication",), **kw)  # type: ignore[arg-type]
    assert wider.decision == "refused" and wider.reasons[0].text == "The consent does not cover: medication."
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


def test_an_emergency_records_its_facts() -> None:
    terms = core.parse_emergency(
        {"recipient_name": "Dr. A", "recipient_affiliation": "Mercy ED", "nature": "Overdose, unresponsive"}
    )
    assert (terms.recipient_name, terms.recipient_affiliation) == ("Dr. A", "Mercy ED")
    with pytest.raises(InvalidInput) as info:
        core.parse_emergency({"recipient_name": "Dr. A", "recipient_affiliation": "", "nature": "bad"})
    assert {e.field for e in info.value.errors} == {"recipient_affiliation", "nature"}
