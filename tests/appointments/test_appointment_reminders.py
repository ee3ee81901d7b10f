"""Appointment reminders (issue #19): the patient chooses the channel and the times (the day before at their
local time, and/or some hours before); the worker sends each once to a real SMTP server at the right local
time across both DST changes, never for a cancelled or moved appointment's old time, retries a refusal,
speaks the patient's language, carries no health information, and one tap stops them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from keel.appointments import services
from keel.appointments.models import Appointment, AppointmentSend, ReminderChoice
from keel.reminders.models import SendStatus
from tests.conftest import Mailbox, World
from tests.reminders.test_retries import Smtp, _serve

pytestmark = pytest.mark.django_db

BOOKED_AT = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
EMAIL = "alice@example.org"
HEALTH_WORDS = [
    "counsel", "prescri", "group", "intake", "riverside", "recovery", "opioid", "methadone", "buprenorphine",
    "treatment", "clinic", "medication", "alicia", "zamorano", "consejer",
]  # fmt: skip


@pytest.fixture
def alice(world: World) -> World:
    world.alice.user.email = EMAIL
    world.alice.user.save()
    world.alice.phone = "+15555550101"
    world.alice.save()
    return world


def _book(world: World, day: str, start: str, kind: str = "counseling", **kw: Any) -> Appointment:
    end = (datetime.fromisoformat(f"{day}T{start}") + timedelta(hours=1)).strftime("%H:%M")
    return services.schedule(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        day=day,
        start=start,
        end=end,
        kind=kind,
        now=BOOKED_AT,
        **kw,
    )


def _choose(
    world: World, channel: str = "email", day_before_at: str | None = "18:00", hours: int | None = None
) -> Any:
    return services.choose_reminders(
        world.alice.user, channel=channel, day_before_at=day_before_at, hours_before=hours
    )


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- The right local time, across the changes ------------------------------------------------------------


def test_the_day_before_reminder_reaches_a_real_mail_server_at_six_in_the_evening(
    alice: World, smtp_server: Mailbox
) -> None:
    _book(alice, "2027-03-16", "09:00")
    _choose(alice)
    services.send_due(now=_at("2027-03-15T18:00-04:00"))
    assert len(smtp_server.to(EMAIL)) == 1


def test_nothing_goes_out_a_minute_early(alice: World, smtp_server: Mailbox) -> None:
    _book(alice, "2027-03-16", "09:00")
    _choose(alice)
    assert services.send_due(now=_at("2027-03-15T17:59-04:00")) == 0


@pytest.mark.parametrize(
    ("day", "evening_before"),
    [
        ("2027-03-14", "2027-03-13T18:00-05:00"),  # the change's day: the evening before is still EST
        ("2027-03-15", "2027-03-14T18:00-04:00"),  # the evening of the change: EDT
        ("2027-11-07", "2027-11-06T18:00-04:00"),  # the fall change's day: the evening before is EDT
        ("2027-11-08", "2027-11-07T18:00-05:00"),  # the evening of the fall change: EST
    ],
)
def test_the_day_before_reminder_keeps_six_local_across_the_dst_changes(
    alice: World, day: str, evening_before: str
) -> None:
    _book(alice, day, "09:00")
    _choose(alice)
    assert services.send_due(now=_at(evening_before) - timedelta(minutes=1)) == 0
    assert services.send_due(now=_at(evening_before)) == 1


@pytest.mark.parametrize(
    ("day", "start", "two_hours_before"),
    [
        ("2027-03-14", "04:30", "2027-03-14T01:30-05:00"),  # two real hours over the skipped hour
        (
            "2027-11-07",
            "02:30",
            "2027-11-07T01:30-04:00",
        ),  # 02:30 EST; two real hours before: the first 01:30
    ],
)
def test_hours_before_counts_real_hours_across_the_change(
    alice: World, day: str, start: str, two_hours_before: str
) -> None:
    _book(alice, day, start)
    _choose(alice, day_before_at=None, hours=2)
    assert services.send_due(now=_at(two_hours_before) - timedelta(minutes=1)) == 0
    assert services.send_due(now=_at(two_hours_before)) == 1


def test_both_times_send_two_reminders(alice: World, smtp_server: Mailbox) -> None:
    _book(alice, "2027-03-16", "09:00")
    _choose(alice, hours=2)
    services.send_due(now=_at("2027-03-15T18:00-04:00"))
    services.send_due(now=_at("2027-03-16T07:00-04:00"))
    assert len(smtp_server.to(EMAIL)) == 2


def test_a_reminder_hours_late_is_not_sent(alice: World) -> None:
    _book(alice, "2027-03-16", "09:00")
    _choose(alice)
    assert services.send_due(now=_at("2027-03-15T21:00-04:00")) == 0


# --- Once only; none when cancelled or moved ---------------------------------------------------------------


def test_two_worker_runs_send_one_email(alice: World, smtp_server: Mailbox) -> None:
    _book(alice, "2027-03-16", "09:00")
    _choose(alice)
    services.send_due(now=_at("2027-03-15T18:00-04:00"))
    services.send_due(now=_at("2027-03-15T18:00-04:00"))
    services.send_due(now=_at("2027-03-15T18:30-04:00"))
    assert len(smtp_server.to(EMAIL)) == 1


def test_a_second_insert_of_the_same_reminder_is_refused_by_the_database(alice: World) -> None:
    from django.db import IntegrityError, transaction

    row = _book(alice, "2027-03-16", "09:00")
    fields = {"appointment": row, "slot": "day_before", "starts_at": row.starts_at, "channel": "email",
              "status": SendStatus.SENT, "sent_at": BOOKED_AT}  # fmt: skip
    AppointmentSend.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentSend.objects.create(**fields)


def test_a_cancelled_appointment_sends_nothing(alice: World, smtp_server: Mailbox) -> None:
    row = _book(alice, "2027-03-16", "09:00")
    _choose(alice)
    services.set_status(by=alice.staff["nurse"], patient_id=alice.alice.pk, appointment_id=row.pk,
                        status="cancelled", now=BOOKED_AT)  # fmt: skip
    services.send_due(now=_at("2027-03-15T18:00-04:00"))
    assert smtp_server.messages == []


def test_a_moved_appointment_sends_nothing_at_its_old_time(alice: World) -> None:
    row = _book(alice, "2027-03-16", "09:00")
    _choose(alice)
    services.reschedule(by=alice.staff["nurse"], patient_id=alice.alice.pk, appointment_id=row.pk,
                        day="2027-03-20", start="09:00", end="10:00", now=BOOKED_AT)  # fmt: skip
    assert services.send_due(now=_at("2027-03-15T18:00-04:00")) == 0


def test_a_moved_appointment_is_reminded_at_its_new_time(alice: World) -> None:
    row = _book(alice, "2027-03-16", "09:00")
    _choose(alice)
    services.send_due(now=_at("2027-03-15T18:00-04:00"))
    services.reschedule(by=alice.staff["nurse"], patient_id=alice.alice.pk, appointment_id=row.pk,
                        day="2027-03-20", start="09:00", end="10:00", now=BOOKED_AT)  # fmt: skip
    assert services.send_due(now=_at("2027-03-19T18:00-04:00")) == 1


def test_without_a_choice_nothing_is_sent(alice: World) -> None:
    _book(alice, "2027-03-16", "09:00")
    assert services.send_due(now=_at("2027-03-15T18:00-04:00")) == 0


def test_an_email_choice_whose_address_was_removed_since_sends_nothing(alice: World) -> None:
    _choose(alice)  # choosing email without an address is refused (tests/review19/test_r2_input.py)
    alice.alice.user.email = ""
    alice.alice.user.save()
    _book(alice, "2027-03-16", "09:00")
    services.send_due(now=_at("2027-03-15T18:00-04:00"))
    assert AppointmentSend.objects.get().status == SendStatus.NO_ADDRESS


# --- Retries -------------------------------------------------------------------------------------------


@pytest.fixture
def busy_then_ok(settings: Any) -> Iterator[Smtp]:
    yield from _serve(Smtp(["451 try later", "250 OK"]), settings)


def test_a_refused_attempt_is_sent_on_the_retry(alice: World, busy_then_ok: Smtp) -> None:
    _book(alice, "2027-03-16", "09:00")
    _choose(alice)
    first = _at("2027-03-15T18:00-04:00")
    services.send_due(now=first)
    assert services.send_due(now=first + timedelta(minutes=1)) == 1


def test_a_retry_after_a_cancellation_is_not_sent(alice: World, busy_then_ok: Smtp) -> None:
    row = _book(alice, "2027-03-16", "09:00")
    _choose(alice)
    first = _at("2027-03-15T18:00-04:00")
    services.send_due(now=first)
    services.set_status(by=alice.staff["nurse"], patient_id=alice.alice.pk, appointment_id=row.pk,
                        status="cancelled", now=first)  # fmt: skip
    services.send_due(now=first + timedelta(minutes=1))
    assert AppointmentSend.objects.get().status == SendStatus.STOPPED


# --- The words --------------------------------------------------------------------------------------------


def test_the_message_carries_no_health_information(alice: World, smtp_server: Mailbox) -> None:
    _book(alice, "2027-03-16", "09:00", kind="prescriber", with_id=alice.staff["prescriber"].pk)
    _choose(alice)
    services.send_due(now=_at("2027-03-15T18:00-04:00"))
    message = smtp_server.to(EMAIL)[0]
    words = (str(message["Subject"]) + Mailbox.body(message)).lower()
    assert [w for w in [*HEALTH_WORDS, "r-prescriber"] if w in words] == []


def test_the_message_says_the_local_date_and_time(alice: World, smtp_server: Mailbox) -> None:
    _book(alice, "2027-03-16", "09:00")
    _choose(alice)
    services.send_due(now=_at("2027-03-15T18:00-04:00"))
    body = Mailbox.body(smtp_server.to(EMAIL)[0])
    assert "March 16, 2027" in body
    assert "9 a.m." in body


def test_the_message_is_in_spanish_for_a_spanish_speaker(alice: World, smtp_server: Mailbox) -> None:
    alice.alice.preferred_language = "es"
    alice.alice.save()
    _book(alice, "2027-03-16", "09:00")
    _choose(alice)
    services.send_due(now=_at("2027-03-15T18:00-04:00"))
    message = smtp_server.to(EMAIL)[0]
    assert "Tiene una cita el 16 de marzo de 2027" in Mailbox.body(message)


def test_a_text_message_goes_through_the_adapter(alice: World, settings: Any, tmp_path: Path) -> None:
    settings.KEEL_SMS_BACKEND = "keel.reminders.channels.FileSms"
    settings.KEEL_SMS_FILE = tmp_path / "sms.jsonl"
    _book(alice, "2027-03-16", "09:00")
    _choose(alice, channel="sms")
    services.send_due(now=_at("2027-03-15T18:00-04:00"))
    sent = json.loads(settings.KEEL_SMS_FILE.read_text().splitlines()[0])
    assert sent["to"] == "+15555550101"


# --- Stopping in one tap -----------------------------------------------------------------------------------


def test_the_message_carries_the_stop_link_and_one_click_unsubscribe(
    alice: World, smtp_server: Mailbox
) -> None:
    _book(alice, "2027-03-16", "09:00")
    choice = _choose(alice)
    services.send_due(now=_at("2027-03-15T18:00-04:00"))
    message = smtp_server.to(EMAIL)[0]
    assert f"/appointments/stop/{choice.stop_token}/" in Mailbox.body(message)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_opening_the_stop_link_changes_nothing(alice: World) -> None:
    choice = _choose(alice)
    Client().get(f"/appointments/stop/{choice.stop_token}/")
    assert ReminderChoice.objects.exists()


def test_one_tap_without_signing_in_stops_appointment_reminders(alice: World) -> None:
    _book(alice, "2027-03-16", "09:00")
    choice = _choose(alice)
    response = Client().post(f"/appointments/stop/{choice.stop_token}/")
    assert response.status_code == 200
    assert services.send_due(now=_at("2027-03-15T18:00-04:00")) == 0


def test_a_used_stop_link_is_not_found(alice: World) -> None:
    choice = _choose(alice)
    Client().post(f"/appointments/stop/{choice.stop_token}/")
    assert Client().post(f"/appointments/stop/{choice.stop_token}/").status_code == 404


# --- The choice ---------------------------------------------------------------------------------------


def test_a_choice_without_any_time_is_refused(alice: World) -> None:
    with pytest.raises(services.AppointmentInvalid) as caught:
        _choose(alice, day_before_at=None)
    assert [e.field for e in caught.value.errors] == ["day_before_at"]


def test_hours_outside_the_choices_are_refused(alice: World) -> None:
    with pytest.raises(services.AppointmentInvalid) as caught:
        _choose(alice, hours=5)
    assert [e.field for e in caught.value.errors] == ["hours_before"]


def test_an_unknown_channel_is_refused(alice: World) -> None:
    with pytest.raises(services.AppointmentInvalid) as caught:
        _choose(alice, channel="pigeon")
    assert [e.field for e in caught.value.errors] == ["channel"]


def test_off_removes_the_choice(alice: World) -> None:
    _choose(alice)
    _choose(alice, channel="off")
    assert not ReminderChoice.objects.exists()


def test_a_staff_member_cannot_choose_a_patient_s_reminders(alice: World) -> None:
    from keel.access.policy import PatientNotFound

    with pytest.raises(PatientNotFound):
        services.choose_reminders(alice.staff["counselor"], channel="email", day_before_at="18:00")


def test_alice_chooses_on_her_page(alice: World, signed_in: Any, settings: Any) -> None:
    settings.KEEL_SMS_BACKEND = "keel.reminders.channels.FileSms"
    body = {"channel": "sms", "day_before": "1", "day_before_at": "19:30", "hours_before": "2"}
    signed_in("patient").post("/me/appointments/", body)
    choice = ReminderChoice.objects.get()
    assert (choice.channel, choice.day_before_at.isoformat(), choice.hours_before) == ("sms", "19:30:00", 2)


def test_alice_chooses_through_the_api(alice: World, signed_in: Any) -> None:
    response = signed_in("patient").put(
        "/api/v1/me/appointment-reminders",
        json.dumps({"channel": "email", "hours_before": 1}),
        content_type="application/json",
    )
    assert response.json() == {"channel": "email", "day_before_at": None, "hours_before": 1}


# --- The worker itself -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the real worker commits and closes connections (tests/jobs)
def test_two_runs_of_the_worker_send_one_email_at_its_local_time(
    alice: World, smtp_server: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time_machine
    from django.core.management import call_command

    from keel.jobs import services as jobs

    monkeypatch.setattr(jobs, "JOBS", {})  # only the reminders: no backup, no scan
    _book(alice, "2027-11-08", "09:00")  # the day after the fall change
    _choose(alice)
    with time_machine.travel(_at("2027-11-07T17:59-05:00"), tick=False):
        call_command("worker", "--once")
    assert smtp_server.messages == []
    with time_machine.travel(_at("2027-11-07T18:00-05:00"), tick=False):
        call_command("worker", "--once")
        call_command("worker", "--once")
    assert len(smtp_server.to(EMAIL)) == 1


@pytest.fixture
def refusing(settings: Any) -> Iterator[Smtp]:
    yield from _serve(Smtp(["554 Transaction failed"]), settings)


def test_a_refused_appointment_reminder_is_counted_by_healthz(alice: World, refusing: Smtp) -> None:
    from keel.reminders import queries

    _book(alice, "2027-03-16", "09:00")
    _choose(alice)
    first = _at("2027-03-15T18:00-04:00")
    services.send_due(now=first)
    assert queries.failed_sends(now=first) == 1
