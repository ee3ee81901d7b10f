"""Issue #13, the start half: every guard at the buprenorphine start, the home start and XR-naltrexone holds
against ordinary input (a second opioid, a stale COWS, an old intake, a future time, a typed time without its
box, another time zone, the program's own doses), with the words on the pages."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from keel.assessments.models import Assessment
from keel.assessments.services import submit_assessment
from keel.treatment import readiness, services
from keel.treatment.models import (
    DoseAmendment,
    DoseRecord,
    Intake,
    LastUseReport,
    MedicationOrder,
    PolicySetting,
    TakeHomePlan,
)
from keel.treatment.schemas import IntakeIn
from keel.treatment.services.last_use import record_last_use
from keel.web.templatetags.keel_dates import shown_datetime
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 12:00 in Riverside (America/New_York)
COWS_13 = {
    "pulse": 2,
    "sweating": 1,
    "restlessness": 3,
    "pupils": 1,
    "aches": 2,
    "nose_eyes": 2,
    "gi_upset": 0,
    "tremor": 1,
    "yawning": 1,
    "anxiety": 0,
    "gooseflesh": 0,
}
RAW_CODES = (
    "not_standard",
    "needs_override",
    "allowed",
    "low_dose",
    "last_use_report",
    "rx_short",
    "rx_long",
)


def ago(hours: float) -> str:
    return (NOON - timedelta(hours=hours)).isoformat()


def intake(world: World, *, at: datetime = NOON - timedelta(hours=1), **hours: float | None) -> Intake:
    """An intake recorded at `at` with each opioid's last use `hours` before NOON (None: no time)."""
    opioids = [
        {"opioid": o, "routes": ["inject"], "last_use_at": "" if h is None else ago(h)}
        for o, h in hours.items()
    ]
    with time_machine.travel(at, tick=False):
        return services.record_intake(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=IntakeIn.posted({"opioids": opioids, "pregnant": "no"}),
        )


def cows(world: World, at: datetime, answers: dict[str, int] | None = None) -> Assessment:
    with time_machine.travel(at, tick=False):
        return submit_assessment(
            by=world.staff["nurse"], patient_id=world.alice.pk, instrument="cows", answers=answers or COWS_13
        )[0]


def read(world: World, at: datetime = NOON) -> readiness.ReadinessRead:
    return services.buprenorphine_readiness(world.alice, at)


def page(world: World, role: str = "prescriber", at: datetime = NOON, path: str = "start") -> str:
    with time_machine.travel(at, tick=False):
        client = sign_in(Client(), world.staff[role])
        return client.get(f"/patients/{world.alice.pk}/{path}/").content.decode()


def text_of(html: str) -> str:
    """What a reader sees: the page without tags, scripts or attributes."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def readiness_card(html: str) -> str:
    start = html.index('aria-labelledby="ready-h"')
    return text_of(html[start : html.index("</section>", start)])


# --- Every opioid counts ------------------------------------------------------------------------------------


def test_heroin_14_h_ago_and_methadone_2_days_ago_is_not_ready(world: World) -> None:
    intake(world, heroin=14, methadone=48)
    cows(world, NOON - timedelta(minutes=20))
    assert read(world).readiness.decision == "wait"  # type: ignore[union-attr]


def test_the_start_page_names_both_opioids_and_their_waits(world: World) -> None:
    intake(world, heroin=14, methadone=48)
    cows(world, NOON - timedelta(minutes=20))
    card = readiness_card(page(world))
    assert "Heroin: last used 14 h ago; the wait of 12 h is met." in card
    assert "Methadone: last used 48 h ago; the wait of 72 h is not met: 24 h more." in card


def test_the_verdict_is_in_plain_words(world: World) -> None:
    intake(world, heroin=14, methadone=48)
    cows(world, NOON - timedelta(minutes=20))
    assert "Not ready yet: wait, then score COWS again" in readiness_card(page(world))


def test_fentanyl_yesterday_is_not_a_standard_start_in_words(world: World) -> None:
    intake(world, heroin=14, fentanyl=20)
    cows(world, NOON - timedelta(minutes=20))
    card = readiness_card(page(world))
    assert "Not a standard start (fentanyl): the prescriber chooses the plan" in card


def test_no_raw_code_reaches_the_start_page(world: World) -> None:
    intake(world, heroin=14, fentanyl=20, rx_short=30)
    cows(world, NOON - timedelta(minutes=20))
    seen = text_of(page(world))
    assert [code for code in RAW_CODES if code in seen] == []


def test_an_opioid_listed_without_a_time_leaves_readiness_undecided(world: World) -> None:
    intake(world, heroin=14, methadone=None)
    cows(world, NOON - timedelta(minutes=20))
    result = read(world)
    assert result.readiness is None
    assert result.missing == ("last_use_time",)


def test_the_page_says_which_opioid_has_no_time(world: World) -> None:
    intake(world, heroin=14, methadone=None)
    cows(world, NOON - timedelta(minutes=20))
    assert "Methadone no time given" in readiness_card(page(world))


def test_methadone_given_here_yesterday_counts_even_when_the_intake_says_heroin_only(world: World) -> None:
    intake(world, heroin=14)
    methadone_dose(world, NOON - timedelta(hours=30))
    cows(world, NOON - timedelta(minutes=20))
    assert read(world).readiness.decision == "wait"  # type: ignore[union-attr]


def test_a_voided_dose_is_not_a_use(world: World) -> None:
    intake(world, heroin=14)
    dose = methadone_dose(world, NOON - timedelta(hours=30))
    DoseAmendment.objects.create(
        dose=dose, voided=True, reason="wrong person", amended_by=world.staff["nurse"], amended_at=NOON
    )
    cows(world, NOON - timedelta(minutes=20))
    assert read(world).ready


def test_a_dose_voided_then_corrected_counts_again(world: World) -> None:
    intake(world, heroin=14)
    dose = methadone_dose(world, NOON - timedelta(hours=30))
    for minutes, voided, mg in ((1, True, None), (2, False, Decimal(30))):
        DoseAmendment.objects.create(
            dose=dose,
            voided=voided,
            corrected_mg=mg,
            reason="fixing the record",
            amended_by=world.staff["nurse"],
            amended_at=NOON - timedelta(minutes=60 - minutes),
        )
    cows(world, NOON - timedelta(minutes=20))
    assert not read(world).ready


def test_a_methadone_take_home_bottle_for_yesterday_counts(world: World) -> None:
    intake(world, heroin=14)
    TakeHomePlan.objects.create(
        patient=world.alice,
        decided_by=world.staff["prescriber"],
        decided_at=NOON - timedelta(days=3),
        days_in_treatment=40,
        criteria={},
        decision={},
        max_supply_days=7,
        bottles=["2026-11-24"],
        bottle_mg={"2026-11-24": "30.00"},  # fix36e item 1: counted once it left with her
    )
    cows(world, NOON - timedelta(minutes=20))
    uses = read(world).uses
    assert uses is not None
    assert uses.uses["methadone"].source == "take_home"


def test_an_intake_stored_before_this_change_is_read(world: World) -> None:
    """Old rows have the same shape; one without routes or a time, and an unknown code, are read safely."""
    Intake.objects.create(
        patient=world.alice,
        values={
            "opioids": [
                {"opioid": "heroin", "last_use_at": ago(14)},
                {"opioid": "kratom", "last_use_at": ago(2)},
                "not an object",
            ],
            "pregnant": "no",
        },
        overdose_risk={},
        recorded_by=world.staff["counselor"],
        recorded_at=NOON - timedelta(hours=2),
    )
    cows(world, NOON - timedelta(minutes=20))
    assert read(world).ready


def methadone_dose(world: World, at: datetime) -> DoseRecord:
    order = MedicationOrder.objects.create(
        patient=world.alice,
        medication="methadone",
        rxnorm="6813",
        dose_mg=Decimal(30),
        starts_on=at.date(),
        prescriber=world.staff["prescriber"],
        created_at=at,
    )
    return DoseRecord.objects.create(
        patient=world.alice,
        order=order,
        medication="methadone",
        local_date=at.date(),
        sequence=1,
        status="given",
        amount_mg=Decimal(30),
        treatment_day=1,
        decision={},
        recorded_by=world.staff["nurse"],
        recorded_at=at,
    )


# --- A fresh COWS -------------------------------------------------------------------------------------------


def test_a_cows_scored_before_the_last_use_is_not_used(world: World) -> None:
    cows(world, NOON - timedelta(hours=16))
    intake(world, heroin=14)
    result = read(world)
    assert not result.ready and result.readiness.details["cows"]["status"] == "before_last_use"  # type: ignore[union-attr]


def test_a_cows_three_hours_old_is_not_used(world: World) -> None:
    intake(world, heroin=14)
    cows(world, NOON - timedelta(hours=3))
    assert read(world).readiness.details["cows"]["status"] == "too_old"  # type: ignore[union-attr]


def test_the_page_shows_which_cows_was_used_when_and_how_old(world: World) -> None:
    intake(world, heroin=14)
    cows(world, NOON - timedelta(minutes=35))
    card = readiness_card(page(world))
    with translation.override("en"):
        scored = shown_datetime((NOON - timedelta(minutes=35)).astimezone(ZoneInfo("America/New_York")))
    assert f"COWS used: 13, scored {scored} (35 minutes ago)." in card


def test_a_stale_cows_is_said_on_the_page(world: World) -> None:
    intake(world, heroin=14)
    cows(world, NOON - timedelta(hours=3))
    assert "Too old: score again." in readiness_card(page(world))


def test_a_fresh_cows_after_the_waits_is_ready(world: World) -> None:
    intake(world, heroin=14)
    cows(world, NOON - timedelta(minutes=10))
    assert read(world).ready


def test_latest_is_time_then_entry_order(world: World) -> None:
    intake(world, heroin=14)
    low = {**COWS_13, "restlessness": 0, "aches": 0, "nose_eyes": 0}  # 6
    when = NOON - timedelta(minutes=10)
    cows(world, when)
    cows(world, when, low)  # the same minute, entered second: this one is the latest
    result = read(world)
    assert result.cows is not None
    assert result.cows.total == 6
    assert not result.ready


def test_the_bedside_time_is_the_programs_local_time(world: World) -> None:
    world.riverside.time_zone = "America/Los_Angeles"
    world.riverside.save()
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/patients/{world.alice.pk}/cows/",
            {**{k: str(v) for k, v in COWS_13.items()}, "filled_at": "2026-11-25T08:30"},
        )
    assert response.status_code == 302
    assert Assessment.objects.get(instrument="cows").filled_at == datetime(2026, 11, 25, 16, 30, tzinfo=UTC)


# --- An old intake is asked again ---------------------------------------------------------------------------


def test_times_of_last_use_asked_two_days_ago_are_asked_again(world: World) -> None:
    intake(world, at=NOON - timedelta(days=2), heroin=50)
    cows(world, NOON - timedelta(minutes=10))
    result = read(world)
    assert result.readiness is None
    assert result.missing == ("last_use_report",)


def test_the_care_team_asks_again_on_the_start_page(world: World) -> None:
    intake(world, at=NOON - timedelta(days=2), heroin=50)
    cows(world, NOON - timedelta(minutes=10))
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/patients/{world.alice.pk}/start/last-use/", {"last_heroin": "2026-11-24T22:00"}
        )
    assert response.status_code == 302
    assert read(world).ready  # heroin 14 h ago (22:00 New York), asked now


def test_a_report_of_a_later_use_wins(world: World) -> None:
    intake(world, heroin=20)
    with time_machine.travel(NOON - timedelta(minutes=30), tick=False):
        record_last_use(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            raw={"opioids": [{"opioid": "heroin", "last_use_at": ago(4)}]},
        )
    cows(world, NOON - timedelta(minutes=10))
    assert read(world).readiness.decision == "wait"  # type: ignore[union-attr]


def test_a_report_with_an_earlier_time_does_not_undo_a_later_use(world: World) -> None:
    intake(world, heroin=4)
    with time_machine.travel(NOON - timedelta(minutes=30), tick=False):
        record_last_use(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            raw={"opioids": [{"opioid": "heroin", "last_use_at": ago(30)}]},
        )
    uses = read(world).uses
    assert uses is not None
    assert uses.uses["heroin"].at == NOON - timedelta(hours=4)


def test_a_peer_specialist_cannot_record_last_use(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["peer_specialist"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/last-use",
            json.dumps({"opioids": []}),
            content_type="application/json",
        )
    assert response.status_code == 404
    assert not LastUseReport.objects.exists()


# --- A last-use time in the future; what was typed stays ----------------------------------------------------


def intake_form(**extra: str) -> dict[str, Any]:
    return {
        "used_heroin": "on",
        "routes_heroin": "inject",
        "last_heroin": "2026-11-24T22:00",
        "prior_overdoses": "2",
        "pregnant": "no",
        "other_substances": "benzodiazepines",
        "note": "Came with her sister",
        "uses_alone": "on",
        **extra,
    }


def post_intake(world: World, form: dict[str, Any]) -> Any:
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["counselor"])
        return client.post(f"/patients/{world.alice.pk}/intake/", form)


def test_a_future_last_use_is_refused(world: World) -> None:
    response = post_intake(world, intake_form(used_methadone="on", last_methadone="2026-11-25T18:00"))
    assert response.status_code == 422
    assert not Intake.objects.exists()


def test_the_future_time_is_named_beside_its_field(world: World) -> None:
    html = post_intake(
        world, intake_form(used_methadone="on", last_methadone="2026-11-25T18:00")
    ).content.decode()
    assert "This time is in the future. Check the date and the time." in html


@pytest.mark.parametrize(
    "kept",
    [
        'name="last_methadone" value="2026-11-25T18:00"',
        'name="last_heroin" value="2026-11-24T22:00"',
        'name="used_methadone" checked',
        'name="routes_heroin" value="inject" checked',
        'name="other_substances" value="benzodiazepines" checked',
        'name="prior_overdoses" min="0" max="100" value="2"',
        '<option value="no" selected>',
        'name="uses_alone" checked',
        ">Came with her sister</textarea>",
    ],
)
def test_an_intake_error_keeps_everything_typed(world: World, kept: str) -> None:
    html = post_intake(
        world, intake_form(used_methadone="on", last_methadone="2026-11-25T18:00")
    ).content.decode()
    assert kept in html


def test_a_time_typed_without_its_box_still_counts(world: World) -> None:
    assert post_intake(world, intake_form(last_methadone="2026-11-24T12:00")).status_code == 302
    assert [o["opioid"] for o in Intake.objects.get().values["opioids"]] == ["heroin", "methadone"]


def test_the_intake_api_refuses_a_future_last_use_by_name(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["counselor"])
        body = {
            "opioids": [{"opioid": "heroin", "last_use_at": (NOON + timedelta(minutes=5)).isoformat()}],
            "pregnant": "no",
        }
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/intakes", json.dumps(body), content_type="application/json"
        )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "opioids[0].last_use_at", "reason": "cannot be in the future"}
    ]


def test_a_refused_start_page_form_keeps_what_was_typed(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/patients/{world.alice.pk}/start/last-use/",
            {"last_heroin": "2026-11-25T20:00", "last_fentanyl": "2026-11-24T23:00"},
        )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'name="last_fentanyl" value="2026-11-24T23:00"' in html
    assert 'name="last_heroin" value="2026-11-25T20:00"' in html


def test_the_new_intake_form_starts_from_the_last_one_but_asks_the_times_again(world: World) -> None:
    intake(world, heroin=14, methadone=48)
    html = page(world, role="counselor", path="intake")
    assert 'name="used_methadone" checked' in html
    assert 'name="last_methadone" value=""' in html


# --- Spanish ------------------------------------------------------------------------------------------------


def test_the_start_page_speaks_spanish(world: World) -> None:
    intake(world, heroin=14, methadone=48)
    cows(world, NOON - timedelta(minutes=20))
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        client.post("/i18n/setlang/", {"language": "es", "next": "/"})
        html = client.get(f"/patients/{world.alice.pk}/start/").content.decode()
    card = readiness_card(html)
    assert "Todavía no" in card
    assert "Metadona" in card
    assert "Heroin:" not in card


def test_the_overdose_risk_speaks_spanish_too(world: World) -> None:
    intake(world, heroin=14)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        client.post("/i18n/setlang/", {"language": "es", "next": "/"})
        seen = text_of(client.get(f"/patients/{world.alice.pk}/start/").content.decode())
    assert "Factor de riesgo: inyectarse." in seen
    assert "Risk factor" not in seen


# --- The home start ---------------------------------------------------------------------------------------


def home_order(world: World) -> None:
    services.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg=4,
        home_start=True,
    )


def sows(world: World, at: datetime, total_each: int = 2) -> None:
    with time_machine.travel(at, tick=False):
        submit_assessment(
            by=world.alice.user,
            patient_id=None,
            instrument="sows",
            answers={f"sows_{i}": total_each for i in range(1, 17)},
        )


def home_now(world: World, at: datetime = NOON) -> readiness.HomeStart:
    return readiness.home_start(world.alice.user, at)


def test_a_home_start_counts_methadone_too(world: World) -> None:
    home_order(world)
    intake(world, heroin=14, methadone=40)
    sows(world, NOON - timedelta(minutes=10))
    assert home_now(world).decision.decision == "wait"  # type: ignore[union-attr]


def test_a_home_start_after_fentanyl_says_call_the_clinic(world: World) -> None:
    home_order(world)
    intake(world, heroin=14, fentanyl=30)
    sows(world, NOON - timedelta(minutes=10))
    with time_machine.travel(NOON, tick=False):
        html = sign_in(Client(), world.alice.user).get("/me/home-start/").content.decode()
    assert (
        "Don&#x27;t start on your own yet. Call your clinic first." in html
        or "Don't start on your own yet" in html
    )


def test_an_old_sows_is_rated_again(world: World) -> None:
    home_order(world)
    intake(world, heroin=14)
    sows(world, NOON - timedelta(hours=3))
    h = home_now(world)
    assert h.decision is not None
    assert h.decision.details["sows"]["status"] == "too_old"


def test_a_sows_before_the_last_use_is_rated_again(world: World) -> None:
    home_order(world)
    sows(world, NOON - timedelta(hours=15))
    intake(world, heroin=14)
    h = home_now(world)
    assert h.decision is not None
    assert h.decision.decision == "wait"


def test_the_person_tells_a_later_use_and_the_home_start_waits(world: World) -> None:
    home_order(world)
    intake(world, heroin=20)
    sows(world, NOON - timedelta(minutes=10))
    assert home_now(world).decision.decision == "start"  # type: ignore[union-attr]
    with time_machine.travel(NOON, tick=False):
        alice = sign_in(Client(), world.alice.user)
        response = alice.post("/me/home-start/", {"last_heroin": "2026-11-25T10:00"})
    assert response.status_code == 302
    assert home_now(world).decision.decision == "wait"  # type: ignore[union-attr]


def test_the_persons_future_time_is_refused_and_kept(world: World) -> None:
    home_order(world)
    with time_machine.travel(NOON, tick=False):
        alice = sign_in(Client(), world.alice.user)
        response = alice.post("/me/home-start/", {"last_fentanyl": "2026-11-26T10:00"})
    html = response.content.decode()
    assert response.status_code == 422
    assert 'value="2026-11-26T10:00"' in html
    assert not LastUseReport.objects.exists()


# --- XR-naltrexone ------------------------------------------------------------------------------------------


def naltrexone_order(world: World) -> None:
    services.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="naltrexone_xr", dose_mg=380
    )


def test_xr_naltrexone_ten_days_after_methadone_here_is_given_with_the_switching_warning(
    world: World,
) -> None:
    naltrexone_order(world)
    intake(world, heroin=24 * 20)
    methadone_dose(world, NOON - timedelta(days=10))
    with time_machine.travel(NOON, tick=False):
        outcome = services.record_injection(
            by=world.staff["nurse"], patient_id=world.alice.pk, site="left_gluteal"
        )
    assert outcome.decision.decision == "caution"
    assert outcome.decision.details["switching_from"] == ["methadone"]


def test_a_program_that_requires_the_challenge_blocks_without_it(world: World) -> None:
    naltrexone_order(world)
    PolicySetting.objects.create(
        program=world.riverside,
        rule="naltrexone-readiness",
        field="agonist_switch",
        value="challenge",
        set_by=world.staff["program_admin"],
        set_at=NOON,
        reason="protocol",
    )
    intake(world, heroin=24 * 20, buprenorphine=24 * 9)
    with time_machine.travel(NOON, tick=False):
        with pytest.raises(services.DoseBlocked) as exc:
            services.record_injection(by=world.staff["nurse"], patient_id=world.alice.pk, site="left_gluteal")
        assert exc.value.decision.decision == "needs_challenge"
        given = services.record_injection(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            site="left_gluteal",
            naloxone_challenge_negative=True,
        )
    assert given.decision.decision == "caution"


def test_the_medication_page_says_the_naltrexone_verdict_in_words(world: World) -> None:
    intake(world, methadone=24 * 10)
    html = text_of(page(world, role="nurse", path="medication"))
    assert "Can be started, with care: recent methadone or buprenorphine" in html
    assert "caution" not in html


def test_the_first_injection_needs_a_time_of_last_use(world: World) -> None:
    naltrexone_order(world)
    with time_machine.travel(NOON, tick=False), pytest.raises(services.TreatmentInvalid) as exc:
        services.record_injection(by=world.staff["nurse"], patient_id=world.alice.pk, site="left_gluteal")
    assert exc.value.errors[0].field == "last_use"


# --- The seam with the dosing window ------------------------------------------------------------------------


def test_ready_is_true_only_for_the_ready_verdict(world: World) -> None:
    intake(world, heroin=14)
    cows(world, NOON - timedelta(minutes=10))
    assert read(world).ready
    assert not read(world, NOON + timedelta(hours=3)).ready  # the same COWS, now too old


def test_the_api_start_says_ready_and_each_last_use(world: World) -> None:
    intake(world, heroin=14, methadone=48)
    cows(world, NOON - timedelta(minutes=10))
    with time_machine.travel(NOON, tick=False):
        data = (
            sign_in(Client(), world.staff["prescriber"])
            .get(f"/api/v1/patients/{world.alice.pk}/start")
            .json()
        )
    assert data["ready"] is False
    assert {u["opioid"] for u in data["last_uses"]} == {"heroin", "methadone"}
    assert data["cows"]["age_hours"] == pytest.approx(10 / 60, abs=0.01)
