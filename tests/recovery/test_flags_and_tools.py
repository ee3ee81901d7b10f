"""Early-warning flags raised once from check-ins, silence, the contact request; thought records, skills,
the plan (409 on a stale edit), the PDF, and encryption at rest (issue #7)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client

from keel.patients.models import PatientFlag
from keel.patients.services import resolve_flag
from keel.recovery import services
from keel.recovery.schemas import CheckInIn
from tests.conftest import World, sign_in
from tests.recovery.conftest import TYPICAL, errors_of, post_checkin

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # noon in New York


def on_day(world: World, n: int, **answers: Any) -> Any:
    """Alice checks in n days before NOON's day."""
    with time_machine.travel(NOON - timedelta(days=n), tick=False):
        return services.record_checkin(
            by=world.alice.user, data=CheckInIn.posted({**TYPICAL, **answers}), key=f"d{n}-{answers}"
        )


def flags(world: World, kind: str | None = None) -> list[PatientFlag]:
    qs = PatientFlag.objects.filter(patient=world.alice)
    return list(qs.filter(kind=kind) if kind else qs)


def test_reported_use_raises_one_flag_and_a_safety_offer(world: World) -> None:
    outcome = on_day(world, 0, used=True, used_what=["fentanyl"])
    assert outcome.body["offers"] == ["safety"]
    assert outcome.body["nudges"] == ["reported_use"]
    (flag,) = flags(world, "reported_use")
    assert "never blame" in flag.reasons[0]
    assert flag.source_type == "checkin"
    assert flag.priority == 1
    # editing the same day's check-in, or using again while the flag is open: no second flag
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        services.record_checkin(
            by=world.alice.user, data=CheckInIn.posted({**TYPICAL, "used": True, "craving": 2}), key="edit"
        )
    assert len(flags(world, "reported_use")) == 1


def test_after_the_flag_is_resolved_a_new_use_raises_a_new_one(world: World) -> None:
    on_day(world, 1, used=True)
    (flag,) = flags(world, "reported_use")
    resolve_flag(by=world.staff["counselor"], patient_id=world.alice.pk, flag_id=flag.pk, note="called, safe")
    on_day(world, 0, used=True)
    assert len(flags(world, "reported_use")) == 2
    on_day(world, 0, used=True, craving=1)  # same day again (an edit): once per check-in
    assert len(flags(world, "reported_use")) == 2


def test_rising_craving_fires_on_the_third_high_check_in_of_five(world: World) -> None:
    on_day(world, 4, craving=8)
    on_day(world, 3, craving=2)
    on_day(world, 2, craving=7)
    assert flags(world, "rising_craving") == []
    outcome = on_day(world, 1, craving=9)
    assert outcome.body["nudges"] == ["rising_craving"]
    assert outcome.body["offers"] == ["thought_record"]
    on_day(world, 0, craving=10)
    assert len(flags(world, "rising_craving")) == 1  # still open: raised once


def test_missed_medication_two_days_running(world: World) -> None:
    on_day(world, 1, medication="missed")
    assert flags(world) == []
    on_day(world, 0, medication="missed")
    assert [f.kind for f in flags(world)] == ["missed_medication"]


def test_three_days_of_worsening_mood(world: World) -> None:
    on_day(world, 3, mood=5)
    on_day(world, 2, mood=4)
    on_day(world, 1, mood=3)
    assert flags(world) == []  # two worse days
    on_day(world, 0, mood=2)
    assert [f.kind for f in flags(world)] == ["worsening_mood"]


def test_silence_after_a_daily_habit_is_found_by_the_daily_scan_once(world: World) -> None:
    for n in range(8, 3, -1):  # five check-ins in a row, the last 4 days ago
        on_day(world, n)
    with time_machine.travel(NOON - timedelta(days=2), tick=False):
        assert services.scan_for_silence() == 0  # 2 days since the last check-in
    # 3 days since the last check-in -> flag; running again (or the next day) raises nothing new.
    with time_machine.travel(NOON - timedelta(days=1), tick=False):
        call_command("recovery_scan", verbosity=0)
        assert services.scan_for_silence() == 0
    with time_machine.travel(NOON, tick=False):
        assert services.scan_for_silence() == 0
    (flag,) = flags(world, "silence")
    assert flag.priority == 3
    assert "No check-in for 3 days" in flag.reasons[0]


def test_a_patient_may_ask_the_team_to_reach_out_once(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    post_checkin(client, {**TYPICAL, "used": True})
    assert client.post("/me/checkin/ask-team/").status_code == 302
    client.post("/me/checkin/ask-team/")
    assert len(flags(world, "contact_request")) == 1


def test_the_counselor_sees_and_resolves_a_flag_raised_by_a_check_in(world: World) -> None:
    post_checkin(sign_in(Client(), world.alice.user), {**TYPICAL, "used": True})
    counselor = sign_in(Client(), world.staff["counselor"])
    page = counselor.get(f"/patients/{world.alice.pk}/").content.decode()
    assert "Reported use" in page
    assert "never blame" in page
    (flag,) = flags(world, "reported_use")
    counselor.post(
        f"/patients/{world.alice.pk}/flags/{flag.pk}/resolve/",
        {"note": "Talked; naloxone given.", "version": flag.version},
    )
    flag.refresh_from_db()
    assert flag.resolved_at is not None
    assert flag.resolution_note == "Talked; naloxone given."


# --- thought records, skills, plan -----------------------------------------------------------------------

THOUGHT = {
    "situation": "Friday night, alone",
    "automatic_thought": "I can't get through tonight",
    "feeling": "anxious",
    "intensity_before": 80,
    "balanced_thought": "I got through last Friday",
    "intensity_after": 40,
}


def test_thought_records_are_the_patients_and_the_clinical_teams(world: World) -> None:
    alice = sign_in(Client(), world.alice.user)
    created = alice.post("/api/v1/me/thought-records", json.dumps(THOUGHT), content_type="application/json")
    assert created.status_code == 201
    assert created.json()["automatic_thought"] == THOUGHT["automatic_thought"]
    bad = alice.post(
        "/api/v1/me/thought-records", json.dumps({"intensity_before": 101}), content_type="application/json"
    )
    assert bad.status_code == 422
    assert set(errors_of(bad)) >= {"intensity_before", "situation"}
    counselor = sign_in(Client(), world.staff["counselor"])
    rows = counselor.get(f"/api/v1/patients/{world.alice.pk}/thought-records").json()
    assert [r["feeling"] for r in rows] == ["anxious"]
    peer = sign_in(Client(), world.staff["peer_specialist"])
    assert peer.get(f"/api/v1/patients/{world.alice.pk}/thought-records").status_code == 404
    assert "Friday night" not in peer.get(f"/patients/{world.alice.pk}/recovery/").content.decode()
    assert "Friday night" in counselor.get(f"/patients/{world.alice.pk}/recovery/").content.decode()


def test_skills_learn_what_helps(world: World) -> None:
    alice = sign_in(Client(), world.alice.user)
    for helped in ("no", "no"):
        alice.post(
            "/api/v1/me/skills/tries",
            json.dumps({"skill": "urge_surfing", "helped": helped}),
            content_type="application/json",
        )
    alice.post("/me/skills/", {"skill": "call_someone", "helped": "yes"})
    skills = alice.get("/api/v1/me/skills").json()
    assert skills[0] == {"skill": "call_someone", "tries": 1, "helped": 1, "help_rate": 1.0}
    assert skills[-1]["skill"] == "urge_surfing"
    assert skills[-1]["help_rate"] == 0.0
    bad = alice.post("/api/v1/me/skills/tries", json.dumps({"skill": "x"}), content_type="application/json")
    assert bad.status_code == 422
    assert set(errors_of(bad)) == {"skill", "helped"}


PLAN = {
    "warning_signs": ["skipping meals", "not answering my phone"],
    "triggers": ["payday"],
    "instead": ["call Sam", "go to the 7pm meeting"],
    "meetings": ["Tuesday 7pm, Hope Group"],
    "reasons": ["my daughter"],
    "people": [{"name": "Sam", "phone": "555-0100"}],
}


def put_plan(client: Client, version: int, plan: dict[str, Any]) -> Any:
    return client.put(
        "/api/v1/me/plan", json.dumps({"version": version, "plan": plan}), content_type="application/json"
    )


def test_the_plan_is_written_read_and_guarded_against_stale_edits(world: World) -> None:
    alice = sign_in(Client(), world.alice.user)
    assert alice.get("/api/v1/me/plan").json() == {
        "version": 0,
        "updated_at": None,
        "plan": {k: [] for k in ("warning_signs", "triggers", "instead", "meetings", "reasons", "people")},
    }
    first = put_plan(alice, 0, PLAN)
    assert first.status_code == 200
    assert first.json()["version"] == 1
    stale = put_plan(alice, 0, {**PLAN, "reasons": ["me"]})
    assert stale.status_code == 409
    assert errors_of(stale)["version"]
    assert put_plan(alice, 1, {**PLAN, "reasons": ["me", "my daughter"]}).json()["version"] == 2
    bad = put_plan(alice, 2, {"people": [{"name": "Jo", "phone": "call me"}]})
    assert bad.status_code == 422
    assert "people[0].phone" in errors_of(bad)
    assert (
        alice.put("/api/v1/me/plan", json.dumps({"plan": {}}), content_type="application/json").status_code
        == 422
    )
    peer = sign_in(Client(), world.staff["peer_specialist"])
    assert peer.get(f"/api/v1/patients/{world.alice.pk}/plan").json()["plan"]["reasons"] == [
        "me",
        "my daughter",
    ]


def test_the_plan_page_form_saves_and_the_pdf_renders(world: World) -> None:
    alice = sign_in(Client(), world.alice.user)
    response = alice.post(
        "/me/plan/edit/",
        {
            "version": "0",
            "warning_signs": "skipping meals\r\nisolating",
            "reasons": "my daughter",
            "person_name": ["Sam", ""],
            "person_phone": ["555-0100", ""],
        },
    )
    assert response.status_code == 302
    page = alice.get("/me/plan/").content.decode()
    assert "isolating" in page
    assert 'href="tel:555-0100"' in page
    pdf = alice.get("/me/plan.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert len(pdf.content) > 2000
    alice.post("/i18n/setlang/", {"language": "es", "next": "/"})
    assert alice.get("/me/plan.pdf").content.startswith(b"%PDF-")


# --- encryption at rest ----------------------------------------------------------------------------------

CANARY = "CANARY-7f3a9c-thought"


def _all_stored_text() -> str:
    """Every value of every table, as the database returns it (bytes decoded leniently)."""
    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        out.append(bytes(value).decode("latin-1"))
                    else:
                        out.append(str(value))
    return "\n".join(out)


@pytest.mark.django_db(transaction=True)  # committed, so that the database file can be copied
def test_canaries_never_reach_the_database_in_plain_text(world: World, tmp_path: Any) -> None:
    alice = sign_in(Client(), world.alice.user)
    post_checkin(alice, {**TYPICAL, "note": CANARY, "trigger_other": CANARY})
    alice.post(
        "/api/v1/me/thought-records",
        json.dumps({**THOUGHT, "situation": CANARY}),
        content_type="application/json",
    )
    put_plan(alice, 0, {**PLAN, "reasons": [CANARY], "people": [{"name": CANARY, "phone": "555"}]})
    # the API gives it back to the person...
    assert alice.get("/api/v1/me/checkins").json()[0]["note"] == CANARY
    # ...but no table holds it in plain text (check-in, idempotency record, thought record, plan, audit)
    assert CANARY not in _all_stored_text()
    if connection.vendor == "sqlite":  # and neither does the database file itself
        target = tmp_path / "copy.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(target)])
        assert CANARY.encode() not in target.read_bytes()


def test_a_ciphertext_moved_to_another_patient_does_not_decrypt(world: World) -> None:
    from keel import crypto

    blob = crypto.encrypt_json({"note": "x"}, aad=f"keel:checkin:patient:{world.alice.pk}")
    assert crypto.decrypt_json(blob, aad=f"keel:checkin:patient:{world.alice.pk}") == {"note": "x"}
    with pytest.raises(crypto.DecryptError):
        crypto.decrypt_json(blob, aad=f"keel:checkin:patient:{world.bob.pk}")


def test_keys_rotate_old_rows_still_decrypt(world: World, settings: Any) -> None:
    from keel import crypto

    old = crypto.encrypt(b"secret", aad="a")
    settings.KEEL_DATA_KEYS = f"{crypto.new_key_spec('k2')},{settings.KEEL_DATA_KEYS}"
    assert crypto.decrypt(old, aad="a") == b"secret"
    assert crypto.key_id_of(crypto.encrypt(b"secret", aad="a")) == "k2"
    settings.KEEL_DATA_KEYS = "k3:" + "A" * 10
    with pytest.raises(crypto.KeyConfigError):
        crypto.encrypt(b"x", aad="a")


def test_data_key_rotate_re_encrypts_every_value_then_the_old_key_can_go(world: World, settings: Any) -> None:
    from io import StringIO

    from keel import crypto
    from keel.recovery.models import CheckIn, IdempotencyKey, RecoveryPlan, ThoughtRecord

    alice = sign_in(Client(), world.alice.user)
    post_checkin(alice, {**TYPICAL, "note": "before rotation"})
    alice.post("/api/v1/me/thought-records", json.dumps(THOUGHT), content_type="application/json")
    put_plan(alice, 0, PLAN)
    old = settings.KEEL_DATA_KEYS
    out = StringIO()
    call_command("data_key", "new", "k-new", stdout=out)
    settings.KEEL_DATA_KEYS = f"{out.getvalue().strip()},{old}"
    out = StringIO()
    call_command("data_key", "rotate", stdout=out)
    assert "4 value(s) re-encrypted with key k-new" in out.getvalue()
    for model, field in (
        (CheckIn, "private"),
        (ThoughtRecord, "content"),
        (RecoveryPlan, "content"),
        (IdempotencyKey, "response"),
    ):
        assert {crypto.key_id_of(bytes(v)) for v in model.objects.values_list(field, flat=True)} == {"k-new"}
    settings.KEEL_DATA_KEYS = settings.KEEL_DATA_KEYS.split(",")[0]  # the old key is gone
    out = StringIO()
    call_command("data_key", "check", stdout=out)
    assert "4 value(s) decrypted" in out.getvalue()
    assert alice.get("/api/v1/me/checkins").json()[0]["note"] == "before rotation"
