"""Lane fix36c (review 35f, left): the bound under which a dose is taken for the same dose entered twice is
program policy, each dose rule's `same_dose_minutes` (default 5 minutes, floor 1, ceiling 15, with its
provenance), read by `core.rules.window.redose` as rule input (the core holds no number); set, refused
(422 naming the field, CLI exit 2) and audited as the program's other values. Under an existing early
re-dose override, a dose held by that bound says so plainly, not "needs an override". Relative dates."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from keel.audit.models import AuditEvent
from keel.core.rules import window
from keel.core.rules.buprenorphine import DOSE_LIMIT
from keel.core.rules.methadone import DOSE_CHECK
from keel.core.rules.policy import limit_for
from keel.treatment.models import PolicyChange, PolicySetting
from keel.treatment.queries.policy import effective_policy
from keel.treatment.services.policy import set_value
from keel.treatment.words import reasons_shown
from tests.conftest import World, sign_in
from tests.treatment.test_redose_override_meth35 import SPLIT, blocked, steady, words
from tests.treatment.test_titration_meth35 import at, give, override

pytestmark = pytest.mark.django_db
RULE, FIELD = "methadone-dose-check", "same_dose_minutes"
SAME = "it looks like the same dose entered twice. The early re-dose override does not cover this."


def _set(world: World, minutes: int) -> None:
    set_value(
        by=world.staff["program_admin"],
        program_slug="riverside",
        rule=RULE,
        field=FIELD,
        value=minutes,
        reason="our window's retries come within ten minutes",
    )


# --- Program policy, with provenance and bounds -------------------------------------------------------------


def test_the_core_keeps_no_fixed_same_dose_number() -> None:
    assert not hasattr(window, "SAME_DOSE_MINUTES")


@pytest.mark.parametrize("rule", [DOSE_CHECK, DOSE_LIMIT])
def test_each_dose_rule_has_the_value_with_default_5(rule: object) -> None:
    fields = {f.name: f.default for f in rule.policy}  # type: ignore[attr-defined]
    assert fields[FIELD] == 5


@pytest.mark.parametrize("rule", [RULE, "buprenorphine-dose-limit"])
def test_the_floor_is_1_minute(rule: str) -> None:
    limit = limit_for(rule, FIELD)
    assert limit is not None and limit.floor == 1


@pytest.mark.parametrize("rule", [RULE, "buprenorphine-dose-limit"])
def test_the_ceiling_is_15_minutes(rule: str) -> None:
    limit = limit_for(rule, FIELD)
    assert limit is not None and limit.ceiling == 15


def test_the_provenance_says_no_published_source_gives_a_bound() -> None:
    help_ = next(f.help for f in DOSE_CHECK.policy if f.name == FIELD)
    assert "no published source gives a bound" in help_


def test_the_default_is_the_effective_policy(world: World) -> None:
    assert effective_policy(world.alice, DOSE_CHECK)[FIELD] == 5


def test_a_program_value_is_the_effective_policy(world: World) -> None:
    _set(world, 10)
    assert effective_policy(world.alice, DOSE_CHECK)[FIELD] == 10


def test_a_change_is_audited(world: World) -> None:
    _set(world, 10)
    assert AuditEvent.objects.filter(target_type="program_policy", target_id=f"{RULE}.{FIELD}").exists()


def test_a_change_is_kept_in_the_history(world: World) -> None:
    _set(world, 10)
    assert PolicyChange.objects.filter(rule=RULE, field=FIELD, new_value=10).exists()


@pytest.mark.parametrize("value", [0, 16])
def test_the_api_refuses_a_value_outside_its_bounds_naming_the_field(world: World, value: int) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    response = admin.put(
        f"/api/v1/programs/riverside/policy/{RULE}/{FIELD}",
        json.dumps({"value": value, "reason": "our window's retries"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "value"


@pytest.mark.parametrize("value", ["0", "16", "NaN"])
def test_keel_policy_set_refuses_a_value_outside_its_bounds_with_exit_2(world: World, value: str) -> None:
    args = ["--program", "riverside", "--by", "r-program_admin", "--rule", RULE, "--field", FIELD]
    with pytest.raises(CommandError) as error:
        call_command("policy", "set", *args, "--value", value, "--reason", "x y z", stdout=io.StringIO())
    assert error.value.returncode == 2


def test_nothing_is_stored_after_a_refused_value(world: World) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    admin.put(
        f"/api/v1/programs/riverside/policy/{RULE}/{FIELD}",
        json.dumps({"value": 16, "reason": "our window's retries"}),
        content_type="application/json",
    )
    assert not PolicySetting.objects.filter(field=FIELD).exists()


def test_the_policy_page_shows_the_value_with_its_label(world: World) -> None:
    html = sign_in(Client(), world.staff["program_admin"]).get("/program/policy/").content.decode()
    assert "Methadone: a dose this soon is the same dose entered twice (minutes)" in html


# --- The window reads the program's value -------------------------------------------------------------------


def test_on_a_10_minute_program_a_dose_8_minutes_later_is_held_on_the_override(world: World) -> None:
    _set(world, 10)
    today = steady(world)
    override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    give(world, "15", at(world, today))
    assert blocked(world, "15", at(world, today, 9, 8)).decision.decision == "needs_override"


def test_on_a_10_minute_program_a_dose_10_minutes_later_is_given_on_the_override(world: World) -> None:
    _set(world, 10)
    today = steady(world)
    override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    give(world, "15", at(world, today))
    assert give(world, "15", at(world, today, 9, 10)).decision.decision == "allowed_with_rationale"


# --- The words under an existing override (hole: "needs an override" when one stands) ----------------------


def test_under_the_override_the_refusal_says_the_same_dose_plainly(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    give(world, "15", at(world, today))
    assert f"This is within 5 minutes of the last dose: {SAME}" in words(
        blocked(world, "15", at(world, today, 9, 1))
    )


def test_under_the_override_the_refusal_does_not_ask_for_the_override(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    give(world, "15", at(world, today))
    assert "needs a prescriber's" not in words(blocked(world, "15", at(world, today, 9, 1)))


def test_under_the_override_the_refusal_names_the_programs_bound(world: World) -> None:
    _set(world, 12)
    today = steady(world)
    override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    give(world, "15", at(world, today))
    assert "within 12 minutes" in words(blocked(world, "15", at(world, today, 9, 3)))


def test_under_the_override_the_refusal_is_said_in_spanish(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    give(world, "15", at(world, today))
    reasons = blocked(world, "15", at(world, today, 9, 1)).decision.reasons
    with translation.override("es"):
        said = reasons_shown(reasons)
    assert "parece la misma dosis anotada dos veces" in said


def test_without_an_override_the_refusal_still_asks_for_one(world: World) -> None:
    today = steady(world)
    give(world, "15", at(world, today))
    assert "early re-dose override" in words(blocked(world, "15", at(world, today, 9, 1)))
