"""Check-ins through the API and pages: idempotency, one per local day, edits, bad input, audit (issue #7)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.audit.models import AuditEvent
from keel.recovery.models import CheckIn, IdempotencyKey
from keel.recovery.services import checkins
from tests.conftest import World, sign_in
from tests.own_databases import own_databases, run_script
from tests.recovery.conftest import TYPICAL, errors_of, post_checkin

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(world: World) -> Client:
    return sign_in(Client(), world.alice.user)


def test_a_check_in_is_saved_once_and_a_retry_gets_the_first_answer(world: World, alice: Client) -> None:
    first = post_checkin(alice, {**TYPICAL, "note": "long day"}, key="k-1")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["created"] is True
    assert body["checkin"]["note"] == "long day"
    assert body["offers"] == []
    before = AuditEvent.objects.count()
    again = post_checkin(alice, {**TYPICAL, "note": "long day"}, key="k-1")
    assert again.status_code == 201
    assert again.json() == body
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
    assert response.status_code == 422
    assert "Idempotency-Key" in errors_of(response)


def test_a_new_key_the_same_day_edits_todays_check_in(world: World, alice: Client) -> None:
    post_checkin(alice, TYPICAL)
    edited = post_checkin(alice, {**TYPICAL, "craving": 5, "note": "later"})
    assert edited.status_code == 200
    assert edited.json()["created"] is False
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


def test_one_check_in_per_local_day_in_the_programs_time_zone(world: World) -> None:
    # Riverside is in America/New_York: 23:30 local on the 24th is 04:30 UTC on the 25th.
    with time_machine.travel(datetime(2026, 11, 25, 4, 30, tzinfo=UTC), tick=False):
        alice = sign_in(Client(), world.alice.user)
        assert post_checkin(alice, TYPICAL).json()["checkin"]["date"] == "2026-11-24"
    with time_machine.travel(datetime(2026, 11, 25, 4, 59, 59, tzinfo=UTC), tick=False):
        assert post_checkin(alice, TYPICAL).status_code == 200  # still the 24th: an edit
    with time_machine.travel(datetime(2026, 11, 25, 5, 0, 0, tzinfo=UTC), tick=False):
        response = post_checkin(alice, TYPICAL)
        assert response.status_code == 201
        assert response.json()["checkin"]["date"] == "2026-11-25"
    assert sorted(str(d) for d in CheckIn.objects.values_list("local_date", flat=True)) == [
        "2026-11-24",
        "2026-11-25",
    ]


def test_a_program_in_another_zone_has_its_own_day(world: World) -> None:
    world.riverside.time_zone = "Pacific/Honolulu"
    world.riverside.save()
    with time_machine.travel(
        datetime(2026, 11, 25, 9, 0, tzinfo=UTC), tick=False
    ):  # 23:00 on the 24th in Hawaii
        client = sign_in(Client(), world.alice.user)
        assert post_checkin(client, TYPICAL).json()["checkin"]["date"] == "2026-11-24"


def test_yesterdays_check_in_is_history(world: World) -> None:
    with time_machine.travel(datetime(2026, 11, 24, 15, 0, tzinfo=UTC), tick=False):
        post_checkin(sign_in(Client(), world.alice.user), {**TYPICAL, "craving": 1})
    with time_machine.travel(datetime(2026, 11, 25, 15, 0, tzinfo=UTC), tick=False):
        alice = sign_in(Client(), world.alice.user)
        assert post_checkin(alice, {**TYPICAL, "craving": 6}).status_code == 201
        listed = alice.get("/api/v1/me/checkins?days=7").json()
        refused = alice.get("/api/v1/me/checkins?days=0")
    assert [(c["date"], c["craving"]) for c in listed] == [("2026-11-25", 6), ("2026-11-24", 1)]
    assert refused.status_code == 422


def test_concurrent_duplicates_leave_exactly_one_row(tmp_path: Path) -> None:
    """Four threads at once in a fresh process (the test database of this process is in memory on SQLite):
    one key twice and two keys of their own, the same day -> one check-in, three keys, no error."""
    seen = run_race(tmp_path)
    assert seen["errors"] == []
    assert seen["checkins"] == 1
    assert seen["keys"] == 3
    assert len(seen["ids"]) == 1
    firsts = [s for s in seen["statuses"] if not s[1]]
    assert sorted(s[0] for s in firsts) == [200, 200, 201]
    assert len(seen["statuses"]) == 4


def _land_in_between(monkeypatch: pytest.MonkeyPatch, land: Callable[[], Any]) -> list[Any]:
    """Make `land()` (another request of the same patient) commit after the next check-in has read what it
    needs and before its write transaction: the window the write re-checks. Returns what `land` returned."""
    real, landed = checkins._read_for_checkin, []

    def read_then_land(*args: Any, **kwargs: Any) -> Any:
        read = real(*args, **kwargs)
        if not landed:
            landed.append(None)
            landed[0] = land()
        return read

    monkeypatch.setattr(checkins, "_read_for_checkin", read_then_land)
    return landed


def test_an_edit_landing_between_the_read_and_the_write_is_not_lost(
    world: World, alice: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    post_checkin(alice, TYPICAL)
    other = sign_in(Client(), world.alice.user)
    _land_in_between(monkeypatch, lambda: post_checkin(other, {**TYPICAL, "craving": 5}))
    response = post_checkin(alice, {**TYPICAL, "craving": 6})
    assert response.status_code == 200
    assert response.json()["checkin"]["version"] == 3
    row = CheckIn.objects.get(patient=world.alice)
    assert (row.craving, row.version) == (6, 3)
    assert AuditEvent.objects.filter(target_type="checkin", action="update").count() == 2


def test_a_first_check_in_landing_in_between_makes_this_one_an_edit(
    world: World, alice: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = sign_in(Client(), world.alice.user)
    landed = _land_in_between(monkeypatch, lambda: post_checkin(other, TYPICAL))
    response = post_checkin(alice, {**TYPICAL, "used": True, "used_what": ["heroin"]})
    assert landed[0].status_code == 201
    assert response.status_code == 200
    assert response.json()["checkin"]["version"] == 2
    assert response.json()["nudges"] == ["reported_use"]  # decided again on what is stored now
    assert CheckIn.objects.filter(patient=world.alice).count() == 1


def test_the_same_key_landing_in_between_is_replayed(
    world: World, alice: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = sign_in(Client(), world.alice.user)
    landed = _land_in_between(monkeypatch, lambda: post_checkin(other, TYPICAL, key="k-race"))
    response = post_checkin(alice, TYPICAL, key="k-race")
    assert response.status_code == 201
    assert response.json() == landed[0].json()
    assert CheckIn.objects.filter(patient=world.alice).count() == 1
    assert IdempotencyKey.objects.filter(key="k-race").count() == 1
    assert AuditEvent.objects.latest("id").reason == "idempotent replay"


def run_race(tmp_path: Path, script: Path | None = None, *, timeout: int = 120) -> dict[str, Any]:
    """Run a race script in a fresh process against a database of its own (tests.own_databases)."""
    env = dict(os.environ, KEEL_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="keel.settings")
    with own_databases(tmp_path, "race") as (url,):
        env["KEEL_DATABASE_URL"] = url
        script = script or Path(__file__).with_name("race.py")
        return run_script(env, script, uuid.uuid4().hex[:8], timeout=timeout)


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
