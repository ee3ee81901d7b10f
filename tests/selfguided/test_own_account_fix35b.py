"""Review 35b holes 1 and 4, their walk-arounds (lane fix35b): a deleted account leaves no row keyed by it,
and no audit row about a self-guided account keeps a network address, whatever the actor (its deletion, the
re-authentication before it, a wrong link code, a failed sign-in, a reminder's stop link)."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.accounts.models import User
from keel.audit.models import AuditEvent
from keel.patients.models import Patient
from keel.recovery.models import Reminder
from keel.reminders.models import Delivery
from keel.selfguided.models import SignupBucket
from tests.review35b._setup import PASSWORD, sign_up_on_the_page

pytestmark = pytest.mark.django_db
HOME = "203.0.113.77"


def _last(**filters: Any) -> AuditEvent:
    return AuditEvent.objects.filter(**filters).latest("id")


def test_a_second_delete_after_the_first_leaves_no_join_bucket(world: Any) -> None:
    client, user = sign_up_on_the_page("twice-35b")
    client.post("/me/account/join/", {"code": "ABCDE-FGHJK"})
    client.post("/me/account/delete/", {"password": PASSWORD})
    client.post("/me/account/delete/", {"password": PASSWORD})  # a stale tab
    assert not SignupBucket.objects.filter(key=f"join:{user.pk}").exists()


def test_a_wrong_password_before_deleting_keeps_the_join_bucket(world: Any) -> None:
    client, user = sign_up_on_the_page("kept-35b")
    client.post("/me/account/join/", {"code": "ABCDE-FGHJK"})
    client.post("/me/account/delete/", {"password": "not the password at all"})
    assert SignupBucket.objects.filter(key=f"join:{user.pk}").exists()  # nothing was deleted


def test_another_accounts_join_bucket_stays_when_one_is_deleted(world: Any) -> None:
    other, other_user = sign_up_on_the_page("other-35b")
    other.post("/me/account/join/", {"code": "ABCDE-FGHJK"})
    client, _user = sign_up_on_the_page("gone-35b")
    client.post("/me/account/delete/", {"password": PASSWORD})
    assert SignupBucket.objects.filter(key=f"join:{other_user.pk}").exists()


def test_the_failed_reauthentication_before_deleting_keeps_no_address(world: Any) -> None:
    client, _user = sign_up_on_the_page("reauth-35b")
    client.post("/me/account/delete/", {"password": "not the password at all"}, REMOTE_ADDR=HOME)
    assert _last(action="failed_login").ip_address is None


def test_a_wrong_link_code_keeps_no_address(world: Any) -> None:
    client, _user = sign_up_on_the_page("code-35b")
    client.post("/me/account/join/", {"code": "ABCDE-FGHJK"}, REMOTE_ADDR=HOME)
    assert _last(action="failed_login").ip_address is None


def test_a_failed_sign_in_to_a_self_guided_account_keeps_no_address(world: Any) -> None:
    sign_up_on_the_page("signin-35b")
    Client().post("/accounts/login/", {"username": "signin-35b", "password": "wrong"}, REMOTE_ADDR=HOME)
    assert _last(action="failed_login").ip_address is None


def test_a_failed_sign_in_to_staff_still_keeps_the_address(world: Any) -> None:
    name = world.staff["counselor"].username
    Client().post("/accounts/login/", {"username": name, "password": "wrong"}, REMOTE_ADDR=HOME)
    assert _last(action="failed_login").ip_address == HOME


def _own_reminder_with_delivery(user: User) -> Delivery:
    patient = Patient.objects.get(user=user)
    reminder = Reminder.objects.create(
        patient=patient, kind="checkin", at=time(9, 0), created_at=timezone.now()
    )
    return Delivery.objects.create(reminder=reminder, channel="email")


def test_a_stop_link_of_a_self_guided_reminder_keeps_no_address(world: Any) -> None:
    _client, user = sign_up_on_the_page("stop-35b")
    delivery = _own_reminder_with_delivery(user)
    Client().post(f"/reminders/stop/{delivery.stop_token}/", REMOTE_ADDR=HOME)
    assert _last(target_type="reminder_channel").ip_address is None


def test_a_stop_link_of_a_self_guided_reminder_names_no_record(world: Any) -> None:
    _client, user = sign_up_on_the_page("stop2-35b")
    delivery = _own_reminder_with_delivery(user)
    Client().post(f"/reminders/stop/{delivery.stop_token}/", REMOTE_ADDR=HOME)
    assert _last(target_type="reminder_channel").patient_id is None


def test_a_stop_link_of_a_programs_patient_still_keeps_the_record(world: Any) -> None:
    patient = world.alice
    reminder = Reminder.objects.create(
        patient=patient, kind="checkin", at=time(9, 0), created_at=timezone.now()
    )
    delivery = Delivery.objects.create(reminder=reminder, channel="email")
    Client().post(f"/reminders/stop/{delivery.stop_token}/", REMOTE_ADDR=HOME)
    assert _last(target_type="reminder_channel").patient_id == patient.pk
