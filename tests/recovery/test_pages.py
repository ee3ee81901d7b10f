"""The recovery pages as a person uses them: no JavaScript, plain forms, kind words (issue #7)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from keel.patients.models import PatientFlag
from keel.recovery.models import CheckIn, MeetingAttendance, Reminder
from tests.conftest import World, sign_in
from tests.recovery.conftest import TYPICAL, post_checkin

pytestmark = pytest.mark.django_db

FORM = {"craving": "3", "mood": "4", "used": "no", "medication": "taken"}


@pytest.fixture
def alice(world: World) -> Client:
    return sign_in(Client(), world.alice.user)


def key_of(page: str) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]


def submit(client: Client, **answers: Any) -> Any:
    key = key_of(client.get("/me/checkin/").content.decode())
    return client.post("/me/checkin/", {**FORM, **answers, "idempotency_key": key})


def test_the_form_is_plain_html_with_eleven_craving_choices_and_five_faces(alice: Client) -> None:
    page = alice.get("/me/checkin/").content.decode()
    assert "<script" not in page
    assert len(re.findall(r'name="craving" value="\d+"', page)) == 11
    assert len(re.findall(r'name="mood" value="\d"', page)) == 5
    assert "Very good" in page
    # a typical day: four answers and the button (five taps); nothing is pre-chosen
    assert " checked" not in page


def test_a_typical_evening_takes_one_post(world: World, alice: Client) -> None:
    response = submit(alice)
    assert response.status_code == 302
    assert response["Location"] == "/me/checkin/done/"
    done = alice.get("/me/checkin/done/").content.decode()
    assert "Thank you for checking in" in done
    assert "thought record" not in done.lower()
    assert CheckIn.objects.get(patient=world.alice).medication == "taken"
    assert "You checked in today" in alice.get("/me/").content.decode()


def test_a_double_tap_saves_once(world: World, alice: Client) -> None:
    key = key_of(alice.get("/me/checkin/").content.decode())
    for _ in range(2):
        assert alice.post("/me/checkin/", {**FORM, "idempotency_key": key}).status_code == 302
    assert CheckIn.objects.filter(patient=world.alice).count() == 1


def test_high_craving_offers_a_thought_record(alice: Client) -> None:
    submit(alice, craving="8")
    done = alice.get("/me/checkin/done/").content.decode()
    assert 'href="/me/thoughts/new/"' in done
    assert "Your craving is strong today" in done


def test_reported_use_gets_a_safety_message_never_blame(alice: Client) -> None:
    submit(alice, used="yes", used_what=["fentanyl"], used_how=["smoke"])
    done = alice.get("/me/checkin/done/").content.decode()
    assert "Your safety matters" in done
    assert "naloxone" in done
    assert "It does not erase your progress" in done
    for word in ("relapse", "dirty", "clean", "failed", "addict"):
        assert word not in done.lower()
    assert "/me/checkin/ask-team/" in done


def test_missing_answers_are_marked_and_nothing_is_saved(world: World, alice: Client) -> None:
    response = alice.post("/me/checkin/", {"craving": "3", "idempotency_key": "abc"})
    assert response.status_code == 422
    page = response.content.decode()
    assert page.count('class="error"') >= 3
    assert 'value="3" aria-describedby="craving-hint" checked' in page
    assert not CheckIn.objects.filter(patient=world.alice).exists()


def test_todays_check_in_can_be_changed_with_the_answers_filled_in(world: World, alice: Client) -> None:
    submit(alice, craving="6", note="rough day")
    page = alice.get("/me/checkin/").content.decode()
    assert "Change today" in page
    assert "rough day" in page
    assert 'value="6" aria-describedby="craving-hint" checked' in page
    submit(alice, craving="2")
    assert CheckIn.objects.get(patient=world.alice).craving == 2


def test_progress_shows_days_and_two_charts_with_text_summaries(world: World, alice: Client) -> None:
    post_checkin(alice, {**TYPICAL, "used": True})
    page = alice.get("/me/progress/?days=90").content.decode()
    assert "0 days since last use" in page
    assert page.count("<svg") == 2
    assert "Craving (0 to 10) over 90 days: 1 check-ins" in page
    assert 'class="use"' in page  # the use day is marked
    assert alice.get("/me/progress/?days=abc").status_code == 200  # falls back to 30


def test_thought_record_page_saves_and_lists(alice: Client) -> None:
    response = alice.post(
        "/me/thoughts/new/",
        {
            "situation": "payday",
            "automatic_thought": "I deserve it",
            "feeling": "restless",
            "intensity_before": "70",
        },
    )
    assert response.status_code == 302
    assert "I deserve it" in alice.get("/me/thoughts/").content.decode()
    bad = alice.post("/me/thoughts/new/", {"situation": "", "intensity_before": "500"})
    assert bad.status_code == 422
    assert "at most 100" in bad.content.decode()


def test_reminders_show_when_due_and_can_be_marked_done(world: World, alice: Client) -> None:
    alice.post("/me/reminders/", {"kind": "medication", "at": "00:00"})
    reminder = Reminder.objects.get(patient=world.alice)
    assert "Take my medication" in alice.get("/me/").content.decode()
    alice.post(f"/me/reminders/{reminder.pk}/done/", {"back": "home"})
    assert "Take my medication" not in alice.get("/me/").content.decode()
    bad = alice.post("/me/reminders/", {"kind": "party", "at": "25:00"}, follow=True).content.decode()
    assert "choose one of the options shown" in bad and "medication, checkin" not in bad
    assert "like 20:30" in bad


# --- One URL per action (issue #17): done and delete each post to their own URL -----------------------------


def test_each_reminder_action_has_its_own_url(world: World, alice: Client) -> None:
    from keel.audit.models import AuditEvent

    alice.post("/me/reminders/", {"kind": "medication", "at": "00:00"})
    reminder = Reminder.objects.get(patient=world.alice)
    page = alice.get("/me/reminders/").content.decode()
    assert f'action="/me/reminders/{reminder.pk}/delete/"' in page
    assert f'action="/me/reminders/{reminder.pk}/done/"' in page
    assert 'name="op"' not in page
    assert alice.post(f"/me/reminders/{reminder.pk}/", {"op": "delete"}).status_code == 404
    assert alice.post(f"/me/reminders/{reminder.pk}/done/", {"op": "delete"}).status_code == 302
    reminder.refresh_from_db()
    assert reminder.done_on is not None
    assert AuditEvent.objects.filter(target_type="reminder", reason="done").count() == 1
    assert alice.post(f"/me/reminders/{reminder.pk}/delete/").status_code == 302
    assert not Reminder.objects.filter(pk=reminder.pk).exists()


def test_the_delete_url_does_not_mark_done(world: World, alice: Client) -> None:
    from keel.audit.models import AuditEvent

    alice.post("/me/reminders/", {"kind": "medication", "at": "00:00"})
    reminder = Reminder.objects.get(patient=world.alice)
    response = alice.post(f"/me/reminders/{reminder.pk}/delete/", {"op": "done", "back": "home"})
    assert (response.status_code, response["Location"]) == (302, "/me/")
    assert not Reminder.objects.filter(pk=reminder.pk).exists()
    assert not AuditEvent.objects.filter(target_type="reminder", reason="done").exists()


def test_another_persons_reminder_is_not_found_by_either_url(world: World, alice: Client) -> None:
    alice.post("/me/reminders/", {"kind": "medication", "at": "00:00"})
    reminder = Reminder.objects.get(patient=world.alice)
    other = sign_in(Client(), world.bob.user)
    assert other.post(f"/me/reminders/{reminder.pk}/done/").status_code == 404
    assert other.post(f"/me/reminders/{reminder.pk}/delete/").status_code == 404
    reminder.refresh_from_db()
    assert reminder.done_on is None


def test_meetings_soon_keeps_the_place_out_of_the_url_and_logs_attendance(
    world: World, alice: Client
) -> None:
    response = alice.post("/me/meetings/", {"place": "13820"})
    assert response.status_code == 302
    assert response["Location"] == "/me/meetings/"
    assert "13820" in alice.get("/me/meetings/").content.decode()  # kept in the session, shown in the form
    assert alice.post("/me/meetings/", {"place": "nowhere"}).status_code == 422
    alice.post("/me/meetings/attend/", {"name": "Tuesday night group"})
    assert MeetingAttendance.objects.get(patient=world.alice).name == "Tuesday night group"


def test_the_counselor_sees_the_recovery_overview_with_notes(world: World, alice: Client) -> None:
    submit(alice, craving="9", note="call me please")
    counselor = sign_in(Client(), world.staff["counselor"])
    page = counselor.get(f"/patients/{world.alice.pk}/recovery/").content.decode()
    assert "call me please" in page
    assert "Check-ins, last 30 days" in page
    assert counselor.get(f"/patients/{world.bob.pk}/recovery/").status_code == 404


def test_the_spanish_check_in(world: World, alice: Client) -> None:
    alice.post("/i18n/setlang/", {"language": "es", "next": "/"})
    page = alice.get("/me/checkin/").content.decode()
    assert "antojo" in page.lower() or "ganas" in page.lower()
    assert not PatientFlag.objects.exists()
