"""Check-ins through the API and pages: idempotency, one per local day, edits, bad input, audit (issue #7)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import time_machine
from django.db import connection
from django.test import Client
from psycopg import sql

from keel.audit.models import AuditEvent
from keel.recovery.models import CheckIn, IdempotencyKey
from tests.conftest import World, sign_in
from tests.recovery.conftest import TYPICAL, errors_of, post_checkin

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(world: World) -> Client:
    return sign_in(Client(), world.alice.user)


def test_a_check_in_is_saved_once_and_a_retry_gets_the_first_answer(world: World, alice: Client) -> None:
    first = post_checkin(alice, {**TYPICAL, "note": "long day"}, key="k-1")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["created"] is True and body["checkin"]["note"] == "long day" and body["offers"] == []
    before = AuditEvent.objects.count()
    again = post_checkin(alice, {**TYPICAL, "note": "long day"}, key="k-1")
    assert again.status_code == 201 and again.json() == body
    assert CheckIn.objects.filter(patient=world.alice).count() == 1
    assert AuditEvent.objects.count() == before + 1  # the replay is audited as a read
    assert AuditEvent.objects.latest("id").reason == "idempotent replay"


def test_the_same_key_with_another_check_in_is_refused(world: World, alice: Client) -> None:
    assert post_checkin(alice, TYPICAL, key="k-2").status_code == 201
    response = post_checkin(alice, {**TYPICAL, "craving": 9}, key="k-2")
    assert response.status_code == 422
    assert "different check-in" in errors_of(response)["Idempotency-Key"]
    assert CheckIn.objects.get(patient=world.alice).craving == 3


def test_a_key_is_required(alice: Client) -> None:
    response = post_checkin(alice, TYPICAL, key="")
    assert response.status_code == 422 and "Idempotency-Key" in errors_of(response)


def test_a_new_key_the_same_day_edits_todays_check_in(world: World, alice: Client) -> None:
    post_checkin(alice, TYPICAL)
    edited = post_checkin(alice, {**TYPICAL, "craving": 5, "note": "later"})
    assert edited.status_code == 200 and edited.json()["created"] is False
    row = CheckIn.objects.get(patient=world.alice)
    assert (row.craving, row.version) == (5, 2)
    assert (
        AuditEvent.objects.filter(target_type="checkin", action="update", target_id=str(row.pk)).count() == 1
    )


def test_bad_input_names_every_field_and_writes_nothing(world: World, alice: Client) -> None:
    before = (CheckIn.objects.count(), IdempotencyKey.objects.count(), AuditEvent.objects.count())
    response = post_checkin(alice, {"craving": "high", "mood": 7, "used": "no", "medication": "x"})
    assert response.status_code == 422
    assert set(errors_of(response)) == {"craving", "mood", "used", "medication"}
    assert (CheckIn.objects.count(), IdempotencyKey.objects.count(), AuditEvent.objects.count()) == before
    not_json = alice.post(
        "/api/v1/me/checkins", "[1]", content_type="application/json", headers={"Idempotency-Key": "z"}
    )
    assert not_json.status_code == 422


def test_one_check_in_per_local_day_in_the_programs_time_zone(world: World, alice: Client) -> None:
    # Riverside is in America/New_York: 23:30 local on the 24th is 04:30 UTC on the 25th.
    with time_machine.travel(datetime(2026, 11, 25, 4, 30, tzinfo=UTC), tick=False):
        assert post_checkin(alice, TYPICAL).json()["checkin"]["date"] == "2026-11-24"
    with time_machine.travel(datetime(2026, 11, 25, 4, 59, 59, tzinfo=UTC), tick=False):
        assert post_checkin(alice, TYPICAL).status_code == 200  # still the 24th: an edit
    with time_machine.travel(datetime(2026, 11, 25, 5, 0, 0, tzinfo=UTC), tick=False):
        response = post_checkin(alice, TYPICAL)
        assert response.status_code == 201 and response.json()["checkin"]["date"] == "2026-11-25"
    assert sorted(str(d) for d in CheckIn.objects.values_list("local_date", flat=True)) == [
        "2026-11-24",
        "2026-11-25",
    ]


def test_a_program_in_another_zone_has_its_own_day(world: World) -> None:
    world.riverside.time_zone = "Pacific/Honolulu"
    world.riverside.save()
    client = sign_in(Client(), world.alice.user)
    with time_machine.travel(
        datetime(2026, 11, 25, 9, 0, tzinfo=UTC), tick=False
    ):  # 23:00 on the 24th in Hawaii
        assert post_checkin(client, TYPICAL).json()["checkin"]["date"] == "2026-11-24"


def test_yesterdays_check_in_is_history(world: World) -> None:
    with time_machine.travel(datetime(2026, 11, 24, 15, 0, tzinfo=UTC), tick=False):
        post_checkin(sign_in(Client(), world.alice.user), {**TYPICAL, "craving": 1})
    with time_machine.travel(datetime(2026, 11, 25, 15, 0, tzinfo=UTC), tick=False):
        alice = sign_in(Client(), world.alice.user)
        assert post_checkin(alice, {**TYPICAL, "craving": 6}).status_code == 201
        listed = alice.get("/api/v1/me/checkins?days=7").json()
    assert [(c["date"], c["craving"]) for c in listed] == [("2026-11-25", 6), ("2026-11-24", 1)]
    assert alice.get("/api/v1/me/checkins?days=0").status_code == 422


def test_concurrent_duplicates_leave_exactly_one_row(tmp_path: Path) -> None:
    """Four threads at once in a fresh process (the test database of this process is in memory on SQLite):
    one key twice and two keys of their own, the same day -> one check-in, three keys, no error."""
    seen = run_race(tmp_path)
    assert seen["errors"] == []
    assert seen["checkins"] == 1 and seen["keys"] == 3 and len(seen["ids"]) == 1
    firsts = [s for s in seen["statuses"] if not s[1]]
    assert sorted(s[0] for s in firsts) == [200, 200, 201] and len(seen["statuses"]) == 4


def run_race(tmp_path: Path, script: Path | None = None) -> dict[str, Any]:
    """Run a race script in a fresh process against a database of its own (a SQLite file, or a new PostgreSQL
    database dropped afterwards, so that its committed rows never meet the other tests)."""
    env = dict(os.environ, KEEL_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="keel.settings")
    tag = uuid.uuid4().hex[:8]
    if connection.vendor == "sqlite":
        env["KEEL_DATABASE_URL"] = f"sqlite:///{tmp_path}/race.sqlite3"
        return _race(env, tag, script)
    db = connection.settings_dict
    server = f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}"
    name = f"keel_race_{tag}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        env["KEEL_DATABASE_URL"] = f"{server}/{name}"
        return _race(env, tag, script)
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _race(env: dict[str, str], tag: str, script: Path | None = None) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(script or Path(__file__).with_name("race.py")), tag],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_staff_only_read_and_only_their_patients(world: World) -> None:
    post_checkin(sign_in(Client(), world.alice.user), {**TYPICAL, "note": "for my counselor"})
    counselor = sign_in(Client(), world.staff["counselor"])
    rows = counselor.get(f"/api/v1/patients/{world.alice.pk}/checkins").json()
    assert rows[0]["note"] == "for my counselor"
    peer = sign_in(Client(), world.staff["peer_specialist"])
    assert peer.get(f"/api/v1/patients/{world.alice.pk}/checkins").status_code == 200
    assert counselor.get(f"/api/v1/patients/{world.bob.pk}/checkins").status_code == 404
    assert (
        sign_in(Client(), world.lakeside_nurse).get(f"/api/v1/patients/{world.alice.pk}/checkins").status_code
        == 404
    )
    assert counselor.post("/api/v1/me/checkins", "{}", content_type="application/json").status_code == 404


def test_every_check_in_read_is_audited(world: World) -> None:
    counselor = sign_in(Client(), world.staff["counselor"])
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    counselor.get(f"/api/v1/patients/{world.alice.pk}/checkins")
    event = AuditEvent.objects.filter(pk__gt=before).get()
    assert (event.action, event.target_type, event.patient_id) == ("read", "checkins", world.alice.pk)


def test_a_new_uuid_key_per_page_load(world: World, alice: Client) -> None:
    page = alice.get("/me/checkin/").content.decode()
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    assert uuid.UUID(key)
    assert key not in alice.get("/me/checkin/").content.decode()
