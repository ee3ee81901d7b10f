"""Review 13b: the typed bodies (`keel.api_body.CoreIn`) of an intake, a check-in and a plan, attacked
through the API by an integration: nested junk, unknown keys, NaN, bool-as-int, time zones on last-use
times, a longer wait listed second, idempotency-key reuse, a staff token on /me. A 422 names the field;
never a 500; never a half-written record."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.accounts import services as accounts
from keel.assessments.services import submit_assessment
from keel.recovery.models import CheckIn, RecoveryPlan
from keel.treatment.models import Intake
from keel.treatment.readiness import buprenorphine_readiness
from tests.conftest import World, sign_in
from tests.treatment.test_start import COWS_15

pytestmark = pytest.mark.django_db


def _post(client: Client, path: str, body: Any, **extra: Any) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, raw, content_type="application/json", **extra)


def _intake(world: World, body: Any) -> Any:
    c = sign_in(Client(), world.staff["prescriber"])
    return _post(c, f"/api/v1/patients/{world.alice.pk}/intakes", body)


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json().get("errors", [])]


def _ago(hours: float, zone: dt_timezone = UTC) -> str:
    return (timezone.now() - timedelta(hours=hours)).astimezone(zone).isoformat()


BASE = {"pregnant": "no"}

# --- Intakes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BASE, "opioids": "heroin"}, "opioids"),
        ({**BASE, "opioids": {"opioid": "heroin"}}, "opioids"),
        ({**BASE, "opioids": [None]}, "opioids[0]"),
        ({**BASE, "opioids": [5]}, "opioids[0]"),
        ({**BASE, "opioids": [{"opioid": "heroin"}, {"opioid": "heroin"}]}, "opioids[1].opioid"),
        (
            {**BASE, "opioids": [{"opioid": "heroin", "hours_since_last_use": 3}]},
            "opioids[0].hours_since_last_use",
        ),
        ({**BASE, "opioids": [{"opioid": "heroin", "routes": "inject"}]}, "opioids[0].routes"),
        ({**BASE, "opioids": [{"opioid": "heroin", "routes": [1]}]}, "opioids[0].routes"),
        ({**BASE, "opioids": [{"opioid": "heroin", "last_use_at": 5}]}, "opioids[0].last_use_at"),
        (
            {**BASE, "opioids": [{"opioid": "heroin", "last_use_at": "2026-12-01T06:30"}]},
            "opioids[0].last_use_at",
        ),
        ({**BASE, "opioids": [{"opioid": "heroin", "last_use_at": "yesterday"}]}, "opioids[0].last_use_at"),
        ({**BASE, "opioids": [{"opioid": "HEROIN"}]}, "opioids[0].opioid"),
        ({**BASE, "prior_overdoses": True}, "prior_overdoses"),
        ({**BASE, "prior_overdoses": "2"}, "prior_overdoses"),
        ({**BASE, "prior_overdoses": 2.5}, "prior_overdoses"),
        ({**BASE, "prior_overdoses": 10**40}, "prior_overdoses"),
        ({**BASE, "uses_alone": 1}, "uses_alone"),
        ({**BASE, "uses_alone": "true"}, "uses_alone"),
        ({**BASE, "surprise": 1}, "surprise"),
        ({"pregnant": None}, "pregnant"),
        ({**BASE, "other_substances": [None]}, "other_substances"),
    ],
)
def test_a_bad_intake_is_named_and_nothing_is_written(world: World, body: Any, field: str) -> None:
    r = _intake(world, body)
    assert (r.status_code, field in _fields(r), Intake.objects.filter(patient=world.alice).count()) == (
        422,
        True,
        0,
    ), r.content[:300]


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity"])
def test_nan_as_a_count_is_named(world: World, text: str) -> None:
    r = _intake(world, '{"pregnant": "no", "prior_overdoses": ' + text + "}")
    assert (r.status_code, "prior_overdoses" in _fields(r)) == (422, True), r.content[:300]


@pytest.mark.parametrize("body", ["[]", "null", '"x"', "5", "{", "", '{"pregnant": "no"} trailing'])
def test_a_body_that_is_not_an_object_is_named(world: World, body: str) -> None:
    r = _intake(world, body)
    assert (r.status_code, _fields(r)) == (422, ["body"]), r.content[:300]


def test_a_huge_list_of_opioids_is_a_422_not_a_500(world: World) -> None:
    r = _intake(world, {**BASE, "opioids": [{"opioid": "heroin"}] * 20000})
    assert (r.status_code, Intake.objects.filter(patient=world.alice).count()) == (422, 0)


def test_a_last_use_in_the_future_written_in_a_far_eastern_zone_is_refused(world: World) -> None:
    """An hour from now written at +14:00: refused (the instant counts)."""
    later = (timezone.now() + timedelta(hours=1)).astimezone(dt_timezone(timedelta(hours=14))).isoformat()
    r = _intake(world, {**BASE, "opioids": [{"opioid": "heroin", "last_use_at": later}]})
    assert (r.status_code, _fields(r)) == (422, ["opioids[0].last_use_at"])


def test_a_last_use_in_the_past_written_in_a_far_western_zone_is_kept_as_that_instant(world: World) -> None:
    when = _ago(2, dt_timezone(timedelta(hours=-11)))
    r = _intake(world, {**BASE, "opioids": [{"opioid": "heroin", "last_use_at": when}]})
    stored = Intake.objects.get(patient=world.alice).values["opioids"][0]["last_use_at"]
    assert (r.status_code, datetime.fromisoformat(stored)) == (201, datetime.fromisoformat(when))


def test_a_last_use_written_with_z_is_accepted(world: World) -> None:
    when = (timezone.now() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    r = _intake(world, {**BASE, "opioids": [{"opioid": "heroin", "last_use_at": when}]})
    assert r.status_code == 201, r.content[:300]


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00+00:00", "1900-01-01T00:00Z"]
)
def test_a_last_use_a_century_or_more_ago_is_refused_by_name(world: World, when: str) -> None:
    """Review 13b hole (fixed): '0001-01-01T00:00:00+14:00' is a valid ISO time with a zone and not in the
    future; it was stored, and the person's start page answered 500 from then on (Django's localtime:
    OverflowError). A last use a century or more ago is refused as a bad date and time."""
    r = _intake(world, {**BASE, "opioids": [{"opioid": "heroin", "last_use_at": when}]})
    assert (r.status_code, _fields(r)) == (422, ["opioids[0].last_use_at"]), r.content[:300]


def test_a_person_reporting_a_last_use_in_year_one_is_refused_and_the_start_page_answers(
    world: World,
) -> None:
    """The same through the person's own report (/me/last-use): refused, and the prescriber's start page
    for the person still answers."""
    me = sign_in(Client(), world.alice.user)
    r = _post(
        me,
        "/api/v1/me/last-use",
        {"opioids": [{"opioid": "heroin", "last_use_at": "0001-01-01T00:00+14:00"}]},
    )
    page = sign_in(Client(), world.staff["prescriber"]).get(f"/patients/{world.alice.pk}/start/")
    assert (r.status_code, page.status_code) == (422, 200), r.content[:300]


def test_a_last_use_99_years_ago_is_kept(world: World) -> None:
    r = _intake(world, {**BASE, "opioids": [{"opioid": "heroin", "last_use_at": _ago(24 * 365 * 99)}]})
    page = sign_in(Client(), world.staff["prescriber"]).get(f"/patients/{world.alice.pk}/start/")
    assert (r.status_code, page.status_code) == (201, 200), r.content[:300]


def test_the_stored_intake_is_the_cores_checked_values(world: World) -> None:
    """model_dump of the typed body stores what parse_intake gave: lists, not tuples; defaults filled."""
    when = _ago(5)
    r = _intake(
        world,
        {**BASE, "opioids": [{"opioid": "heroin", "routes": ["inject", "inject"], "last_use_at": when}]},
    )
    values = Intake.objects.get(patient=world.alice).values
    assert (r.status_code, values["opioids"], values["other_substances"], values["prior_overdoses"]) == (
        201,
        [{"opioid": "heroin", "routes": ["inject"], "last_use_at": datetime.fromisoformat(when).isoformat()}],
        [],
        0,
    )


def test_a_longer_wait_listed_second_holds_the_start(world: World) -> None:
    """Heroin 14 h ago (12 h wait met) first, methadone 20 h ago (72 h wait) second, COWS 15 now: the
    verdict is wait, not ready."""
    r = _intake(
        world,
        {
            **BASE,
            "opioids": [
                {"opioid": "heroin", "last_use_at": _ago(14)},
                {"opioid": "methadone", "last_use_at": _ago(20)},
            ],
        },
    )
    assert r.status_code == 201
    submit_assessment(by=world.staff["nurse"], patient_id=world.alice.pk, instrument="cows", answers=COWS_15)
    read = buprenorphine_readiness(world.alice, timezone.now())
    assert read.readiness is not None and read.readiness.decision == "wait", (read.missing, read.readiness)


def test_an_opioid_with_no_time_listed_second_holds_the_start(world: World) -> None:
    """Heroin 14 h ago, then fentanyl with its time not known: not ready (the time is missing)."""
    r = _intake(
        world, {**BASE, "opioids": [{"opioid": "heroin", "last_use_at": _ago(14)}, {"opioid": "fentanyl"}]}
    )
    assert r.status_code == 201
    submit_assessment(by=world.staff["nurse"], patient_id=world.alice.pk, instrument="cows", answers=COWS_15)
    read = buprenorphine_readiness(world.alice, timezone.now())
    assert read.readiness is None or read.readiness.decision != "ready"


def test_a_staff_token_cannot_record_an_intake_for_another_programs_person(world: World) -> None:
    """Superseded by review 26a (session 26): was a prescriber's token answered 404 for another program's
    person, nothing written. A staff token's intake is now refused 403 at authentication, before the record
    is read (so the same for any person), nothing written; the 404 for another program's person is asked of
    the prescriber's signed-in session."""
    path = f"/api/v1/patients/{world.charlie.pk}/intakes"
    token = accounts.create_token(user=world.staff["prescriber"]).secret
    r = _post(Client(), path, BASE, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert (r.status_code, Intake.objects.filter(patient=world.charlie).count()) == (403, 0)
    signed = _post(sign_in(Client(), world.staff["prescriber"]), path, BASE)
    assert (signed.status_code, Intake.objects.filter(patient=world.charlie).count()) == (404, 0)


def test_a_peer_with_a_bad_body_is_refused_before_the_body_is_judged(world: World) -> None:
    """Who may write is decided first: a peer specialist sending junk gets the refusal, not a 422 that
    confirms the record exists and describes the schema."""
    c = sign_in(Client(), world.staff["peer_specialist"])
    r = _post(c, f"/api/v1/patients/{world.alice.pk}/intakes", {"opioids": "junk"})
    assert r.status_code in (403, 404)


# --- Check-ins ---------------------------------------------------------------------------------------

CHECKIN = {"craving": 2, "mood": 3, "used": False, "medication": "taken"}


def _checkin(client: Client, body: Any, key: str = "k-13b-1") -> Any:
    return _post(client, "/api/v1/me/checkins", body, HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**CHECKIN, "craving": True}, "craving"),
        ({**CHECKIN, "craving": "2"}, "craving"),
        ({**CHECKIN, "craving": 2.5}, "craving"),
        ({**CHECKIN, "used": 0}, "used"),
        ({**CHECKIN, "used": None, "mood": None}, "mood"),
        ({**CHECKIN, "used_what": "heroin"}, "used_what"),
        ({**CHECKIN, "triggers": [None]}, "triggers"),
        ({**CHECKIN, "mystery": 1}, "mystery"),
        ({**CHECKIN, "note": 5}, "note"),
        ({**CHECKIN, "note": "x" * 100000}, "note"),
    ],
)
def test_a_bad_checkin_is_named_and_nothing_is_written(world: World, body: Any, field: str) -> None:
    c = sign_in(Client(), world.alice.user)
    r = _checkin(c, body)
    assert (r.status_code, field in _fields(r), CheckIn.objects.filter(patient=world.alice).count()) == (
        422,
        True,
        0,
    ), r.content[:300]


@pytest.mark.parametrize("text", ["NaN", "Infinity"])
def test_nan_craving_is_named(world: World, text: str) -> None:
    c = sign_in(Client(), world.alice.user)
    r = _checkin(c, '{"craving": ' + text + ', "mood": 3, "used": false}')
    assert (r.status_code, "craving" in _fields(r)) == (422, True)


def test_the_same_key_with_a_different_checkin_is_refused_and_changes_nothing(world: World) -> None:
    c = sign_in(Client(), world.alice.user)
    first = _checkin(c, CHECKIN)
    again = _checkin(c, {**CHECKIN, "craving": 9})
    row = CheckIn.objects.get(patient=world.alice)
    assert (first.status_code, again.status_code, "Idempotency-Key" in _fields(again)) == (201, 422, True)
    assert row.version == 1


def test_the_same_key_with_the_same_checkin_reordered_replays(world: World) -> None:
    """The same values in another key order, 3.0 for 3 and the defaults spelt out: the same check-in, the
    first answer replayed (status and body), one row at version 1."""
    c = sign_in(Client(), world.alice.user)
    first = _checkin(c, CHECKIN)
    again = _checkin(
        c, {"medication": "taken", "used": False, "mood": 3.0, "craving": 2, "triggers": [], "note": ""}
    )
    row = CheckIn.objects.get(patient=world.alice)
    assert (again.status_code, again.json(), row.version) == (first.status_code, first.json(), 1)


def test_a_staff_token_on_me_checkins_writes_nothing(world: World) -> None:
    token = accounts.create_token(user=world.staff["nurse"]).secret
    r = Client().post(
        "/api/v1/me/checkins",
        json.dumps(CHECKIN),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY="k-staff",
    )
    assert (r.status_code in (403, 404), CheckIn.objects.count()) == (True, 0), r.content[:300]


def test_a_staff_token_on_me_plan_writes_nothing(world: World) -> None:
    token = accounts.create_token(user=world.staff["nurse"]).secret
    r = Client().put(
        "/api/v1/me/plan",
        json.dumps({"version": 0, "plan": {}}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert (r.status_code in (403, 404), RecoveryPlan.objects.count()) == (True, 0), r.content[:300]


# --- Plans ------------------------------------------------------------------------------------------


def _plan(client: Client, body: Any) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.put("/api/v1/me/plan", raw, content_type="application/json")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": True, "plan": {}}, "version"),
        ({"version": "0", "plan": {}}, "version"),
        ({"version": -1, "plan": {}}, "version"),
        ({"version": 0.0, "plan": {}}, "version"),
        ({"plan": {}}, "version"),
        ({"version": 0}, "plan"),
        ({"version": 0, "plan": None}, "plan"),
        ({"version": 0, "plan": []}, "plan"),
        ({"version": 0, "plan": {"people": [None]}}, "people[0]"),
        ({"version": 0, "plan": {"people": "mom"}}, "people"),
        ({"version": 0, "plan": {"people": [{"name": 5}]}}, "people[0].name"),
        (
            {"version": 0, "plan": {"people": [{"name": "Mom", "phone": "555", "email": "x"}]}},
            "people[0].email",
        ),
        ({"version": 0, "plan": {"people": [{"name": "Mom", "phone": "call me"}]}}, "people[0].phone"),
        (
            {"version": 0, "plan": {"people": [{"name": f"P{i}", "phone": "555"} for i in range(5000)]}},
            "people",
        ),
        ({"version": 0, "plan": {"reasons": [1, 2]}}, "reasons[0]"),
        ({"version": 0, "plan": {"reasons": "be well"}}, "reasons"),
        ({"version": 0, "plan": {"why": []}}, "why"),
        ({"version": 0, "plan": {}, "extra": 1}, "extra"),
    ],
)
def test_a_bad_plan_is_named_and_nothing_is_written(world: World, body: Any, field: str) -> None:
    c = sign_in(Client(), world.alice.user)
    r = _plan(c, body)
    assert (r.status_code, field in _fields(r), RecoveryPlan.objects.count()) == (422, True, 0), r.content[
        :400
    ]


def test_people_sent_beside_the_plan_are_named_not_dropped(world: World) -> None:
    """Review 13b hole (fixed): `people` sent next to `plan` instead of inside it was ignored: 200, a plan
    saved without the people to call. PlanIn says extra keys are refused; the core's parse must say so."""
    c = sign_in(Client(), world.alice.user)
    r = _plan(c, {"version": 0, "plan": {"reasons": ["kids"]}, "people": [{"name": "Mom", "phone": "555"}]})
    assert (r.status_code, _fields(r), RecoveryPlan.objects.count()) == (422, ["people"], 0), r.content[:300]


def test_a_key_beside_the_plan_is_named_with_the_plans_own_fields(world: World) -> None:
    c = sign_in(Client(), world.alice.user)
    r = _plan(c, {"version": 0, "plan": {"why": []}, "extra": 1})
    assert (r.status_code, sorted(_fields(r))) == (422, ["extra", "why"]), r.content[:300]


def test_a_huge_version_is_a_conflict_not_a_500(world: World) -> None:
    c = sign_in(Client(), world.alice.user)
    r = _plan(c, {"version": 10**30, "plan": {}})
    assert (r.status_code, RecoveryPlan.objects.count()) == (409, 0), r.content[:300]


def test_a_plan_with_people_round_trips(world: World) -> None:
    c = sign_in(Client(), world.alice.user)
    plan = {"reasons": ["my kids"], "people": [{"name": "Mom", "phone": "+1 (555) 010-2000"}]}
    r = _plan(c, {"version": 0, "plan": plan})
    got = c.get("/api/v1/me/plan").json()
    assert (r.status_code, got["plan"]["people"], got["plan"]["reasons"]) == (
        200,
        plan["people"],
        plan["reasons"],
    ), r.content[:300]
