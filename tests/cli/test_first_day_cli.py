"""Issue #18: the first day's staff and episode steps from the command line, through the same services as the
pages and the API. Every refusal names what was wrong and exits with 2; nothing is half-written."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from keel.accounts.models import Invitation, User
from keel.audit.models import AuditEvent
from keel.patients.models import ActivationCode, CareTeamMember, Enrollment, EnrollmentStatus
from tests.conftest import PASSWORD, World


def _keel(*args: str) -> tuple[int, str, str]:
    out = io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=io.StringIO())
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), ""


ADMIN = ("--by", "r-program_admin", "--program", "riverside")


# --- keel staff ---------------------------------------------------------------------------------------


def test_an_admin_lists_the_programs_staff_as_json(world: World) -> None:
    code, out, _ = _keel("staff", "list", *ADMIN, "--json")
    assert code == 0
    assert {row["username"] for row in json.loads(out)["staff"]} >= {"r-nurse", "r-prescriber"}


def test_the_list_never_shows_another_programs_staff(world: World) -> None:
    _, out, _ = _keel("staff", "list", *ADMIN, "--json")
    assert "l-nurse" not in {row["username"] for row in json.loads(out)["staff"]}


def test_a_nurse_may_not_list_staff(world: World) -> None:
    code, _, error = _keel("staff", "list", "--by", "r-nurse", "--program", "riverside")
    assert (code, "admins" in error) == (2, True)


def test_an_admin_of_one_program_cannot_manage_another(world: World) -> None:
    code, _, _ = _keel("staff", "list", "--by", "r-program_admin", "--program", "lakeside")
    assert code == 2


def test_an_unknown_actor_exits_2(world: World) -> None:
    code, _, error = _keel("staff", "list", "--by", "nobody", "--program", "riverside")
    assert (code, error.startswith("--by: ")) == (2, True)


def test_an_invitation_goes_out_by_email(world: World, smtp_server: Any) -> None:
    code, _, _ = _keel("staff", "invite", *ADMIN, "--email", "nina@riverside.example", "--role", "nurse")
    assert code == 0
    assert len(smtp_server.to("nina@riverside.example")) == 1


def test_the_invitation_link_uses_the_public_url(world: World, smtp_server: Any, settings: Any) -> None:
    settings.KEEL_PUBLIC_URL = "https://keel.riverside.example"
    _keel("staff", "invite", *ADMIN, "--email", "nina@riverside.example", "--role", "nurse")
    body = smtp_server.body(smtp_server.to("nina@riverside.example")[0])
    assert "https://keel.riverside.example/accounts/invitation/" in body


@pytest.mark.parametrize(
    ("email", "role", "field"),
    [("not-an-address", "nurse", "email: "), ("nina@riverside.example", "patient", "role: ")],
)
def test_a_bad_invitation_names_its_field(world: World, email: str, role: str, field: str) -> None:
    code, _, error = _keel("staff", "invite", *ADMIN, "--email", email, "--role", role)
    assert (code, error.startswith(field)) == (2, True)


def test_a_bad_invitation_writes_nothing(world: World) -> None:
    _keel("staff", "invite", *ADMIN, "--email", "nina@riverside.example", "--role", "patient")
    assert not Invitation.objects.exists()


def test_deactivating_a_nurse_ends_her_account(world: World, smtp_server: Any) -> None:
    nurse = world.staff["nurse"]
    code, _, _ = _keel("staff", "deactivate", *ADMIN, "--user-id", str(nurse.pk))
    assert code == 0
    assert User.objects.get(pk=nurse.pk).is_active is False


def test_deactivating_someone_of_another_program_is_refused(world: World) -> None:
    code, _, error = _keel("staff", "deactivate", *ADMIN, "--user-id", str(world.lakeside_nurse.pk))
    assert (code, error.startswith("user_id: ")) == (2, True)


def test_deactivating_a_bad_id_names_the_field(world: World) -> None:
    code, _, error = _keel("staff", "deactivate", *ADMIN, "--user-id", "abc")
    assert (code, error.startswith("user_id: ")) == (2, True)


def test_a_role_change_is_audited(world: World, smtp_server: Any) -> None:
    counselor = world.staff["counselor"]
    code, _, _ = _keel("staff", "role", *ADMIN, "--user-id", str(counselor.pk), "--role", "nurse")
    assert code == 0
    assert User.objects.get(pk=counselor.pk).role == "nurse"


def test_a_second_factor_reset_removes_the_authenticator(
    world: World, smtp_server: Any, monkeypatch: Any
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    nurse = world.staff["nurse"]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))  # the admin's password again (review 20b)
    code, _, _ = _keel("staff", "reset-second-factor", *ADMIN, "--user-id", str(nurse.pk), "--password-stdin")
    assert code == 0
    assert not TOTPDevice.objects.filter(user=nurse).exists()


# --- keel episode -------------------------------------------------------------------------------------


def test_discharge_ends_the_episode(world: World) -> None:
    code, _, _ = _keel(
        "episode",
        "discharge",
        "--by",
        "r-nurse",
        "--patient-id",
        str(world.alice.pk),
        "--reason",
        "completed",
    )
    assert code == 0
    assert not Enrollment.objects.filter(patient=world.alice, status=EnrollmentStatus.ACTIVE).exists()


def test_discharge_without_a_known_reason_names_the_field(world: World) -> None:
    code, _, error = _keel(
        "episode", "discharge", "--by", "r-nurse", "--patient-id", str(world.alice.pk), "--reason", "bored"
    )
    assert (code, error.startswith("reason: ")) == (2, True)


def test_a_future_discharge_date_names_the_field(world: World) -> None:
    args = ("--patient-id", str(world.alice.pk), "--reason", "completed", "--ended-on", "2999-01-01")
    code, _, error = _keel("episode", "discharge", "--by", "r-nurse", *args)
    assert (code, error.startswith("ended_on: ")) == (2, True)


def test_a_patient_of_another_program_is_not_found(world: World) -> None:
    args = ("--patient-id", str(world.charlie.pk), "--reason", "completed")
    code, _, error = _keel("episode", "discharge", "--by", "r-nurse", *args)
    assert (code, error.startswith("--patient-id: ")) == (2, True)


def test_another_programs_patient_keeps_their_episode(world: World) -> None:
    _keel(
        "episode",
        "discharge",
        "--by",
        "r-nurse",
        "--patient-id",
        str(world.charlie.pk),
        "--reason",
        "completed",
    )
    assert Enrollment.objects.filter(patient=world.charlie, status=EnrollmentStatus.ACTIVE).exists()


def test_a_peer_specialist_may_not_discharge(world: World) -> None:
    args = ("--patient-id", str(world.alice.pk), "--reason", "completed")
    code, _, _ = _keel("episode", "discharge", "--by", "r-peer_specialist", *args)
    assert code == 2


def test_a_non_number_patient_id_exits_2(world: World) -> None:
    code, _, error = _keel("episode", "readmit", "--by", "r-nurse", "--patient-id", "alice")
    assert (code, error.startswith("--patient-id: ")) == (2, True)


def test_readmission_opens_a_new_episode(world: World) -> None:
    _keel(
        "episode",
        "discharge",
        "--by",
        "r-nurse",
        "--patient-id",
        str(world.alice.pk),
        "--reason",
        "completed",
    )
    args = ("--patient-id", str(world.alice.pk), "--notice-given", "--consented")
    code, _, _ = _keel("episode", "readmit", "--by", "r-nurse", *args)
    assert code == 0
    assert Enrollment.objects.filter(patient=world.alice, status=EnrollmentStatus.ACTIVE).count() == 1


# A transfer from the command line: the same service, the password again read from standard input.


def _consent_for_lakeside(world: World) -> Any:
    from datetime import date, timedelta

    from keel.sharing import services as sharing

    return sharing.record_paper_consent(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        raw={
            "recipient_name": "Lakeside Health Center",
            "purpose": "treatment",
            "purpose_text": "",
            "categories": ["record"],
            "expires_on": (date.today() + timedelta(days=90)).isoformat(),
            "signature": "Alicia Zamorano",
            "understood": True,
        },
    )


def _transfer(world: World, monkeypatch: Any, *extra: str, password: str = PASSWORD) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    args = ("--patient-id", str(world.alice.pk), "--reason", "transferred")
    return _keel("episode", "discharge", "--by", "r-counselor", *args, *extra)


TO_LAKESIDE = ("--recipient-name", "Lakeside Health Center")


def test_a_transfer_with_a_live_consent_ends_the_episode(world: World, monkeypatch: Any) -> None:
    consent = _consent_for_lakeside(world)
    code, _, _ = _transfer(world, monkeypatch, *TO_LAKESIDE, "--consent", str(consent.pk), "--password-stdin")
    assert code == 0
    assert not Enrollment.objects.filter(patient=world.alice, status=EnrollmentStatus.ACTIVE).exists()


def test_a_transfer_with_a_live_consent_is_in_the_accounting_of_disclosures(
    world: World, monkeypatch: Any
) -> None:
    from keel.sharing.models import Disclosure

    consent = _consent_for_lakeside(world)
    _transfer(world, monkeypatch, *TO_LAKESIDE, "--consent", str(consent.pk), "--password-stdin")
    assert Disclosure.objects.filter(patient=world.alice, consent=consent).count() == 1


def test_a_transfer_without_a_consent_names_the_field(world: World, monkeypatch: Any) -> None:
    code, _, error = _transfer(world, monkeypatch, *TO_LAKESIDE, "--password-stdin")
    assert (code, error.startswith("consent: ")) == (2, True)


def test_a_transfer_without_a_consent_leaves_the_person_in_care(world: World, monkeypatch: Any) -> None:
    _transfer(world, monkeypatch, *TO_LAKESIDE, "--password-stdin")
    assert Enrollment.objects.filter(patient=world.alice, status=EnrollmentStatus.ACTIVE).exists()


def test_a_transfer_with_a_wrong_password_names_the_field(world: World, monkeypatch: Any) -> None:
    consent = _consent_for_lakeside(world)
    args = (*TO_LAKESIDE, "--consent", str(consent.pk), "--password-stdin")
    code, _, error = _transfer(world, monkeypatch, *args, password="not my password at all")
    assert (code, error.startswith("password: ")) == (2, True)


def test_a_transfer_never_takes_the_password_as_an_argument(world: World, monkeypatch: Any) -> None:
    consent = _consent_for_lakeside(world)
    code, _, error = _transfer(world, monkeypatch, *TO_LAKESIDE, "--consent", str(consent.pk))
    assert (code, error.startswith("password: ")) == (2, True)


def test_a_consent_given_for_a_discharge_that_is_not_a_transfer_is_refused(world: World) -> None:
    args = ("--patient-id", str(world.alice.pk), "--reason", "completed", "--consent", "1")
    code, _, error = _keel("episode", "discharge", "--by", "r-counselor", *args)
    assert (code, error.startswith("--consent: ")) == (2, True)


def test_a_discharge_as_deceased_is_not_undone_by_a_readmission(world: World) -> None:
    _keel(
        "episode", "discharge", "--by", "r-nurse", "--patient-id", str(world.alice.pk), "--reason", "deceased"
    )
    args = ("--patient-id", str(world.alice.pk), "--notice-given", "--consented")
    code, _, error = _keel("episode", "readmit", "--by", "r-nurse", *args)
    assert (code, error.startswith("patient: ")) == (2, True)


def test_readmitting_someone_in_care_is_refused(world: World) -> None:
    args = ("--patient-id", str(world.alice.pk), "--notice-given", "--consented")
    code, _, error = _keel("episode", "readmit", "--by", "r-nurse", *args)
    assert (code, error.startswith("patient: ")) == (2, True)


def test_an_admin_adds_a_nurse_to_a_care_team(world: World) -> None:
    nurse = world.staff["nurse"]
    args = ("--patient-id", str(world.bob.pk), "--add", str(nurse.pk))
    code, _, _ = _keel("episode", "care-team", "--by", "r-program_admin", *args)
    assert code == 0
    assert CareTeamMember.objects.filter(patient=world.bob, user=nurse).exists()


def test_another_programs_nurse_cannot_join_a_care_team(world: World) -> None:
    args = ("--patient-id", str(world.bob.pk), "--add", str(world.lakeside_nurse.pk))
    code, _, _ = _keel("episode", "care-team", "--by", "r-program_admin", *args)
    assert code == 2


def test_an_activation_code_is_printed_once_and_stored_as_a_digest(world: World) -> None:
    from keel.patients.models import Patient

    patient = Patient.objects.create(
        program=world.riverside,
        record_number="RR-0999",
        given_name="Nora",
        family_name="Ibarra",
        date_of_birth="1990-02-03",
    )
    Enrollment.objects.create(patient=patient, program=world.riverside, started_on="2026-01-05")
    code, out, _ = _keel(
        "episode", "activation-code", "--by", "r-program_admin", "--patient-id", str(patient.pk)
    )
    printed = out.split(": ", 1)[1].strip()
    assert code == 0
    assert printed not in json.dumps(list(ActivationCode.objects.values("digest")))


def test_an_activation_code_for_someone_with_an_account_names_the_field(world: World) -> None:
    args = ("--patient-id", str(world.alice.pk))
    code, _, error = _keel("episode", "activation-code", "--by", "r-program_admin", *args)
    assert (code, error.startswith("patient: ")) == (2, True)


def test_a_discharge_from_the_command_line_is_audited(world: World) -> None:
    before = AuditEvent.objects.count()
    _keel(
        "episode",
        "discharge",
        "--by",
        "r-nurse",
        "--patient-id",
        str(world.alice.pk),
        "--reason",
        "completed",
    )
    assert AuditEvent.objects.count() > before


def test_a_readmission_without_the_notice_and_consent_names_both(world: World) -> None:
    _keel("episode", "discharge", "--by", "r-nurse", "--patient-id", str(world.alice.pk), "--reason", "left")
    code, _, error = _keel("episode", "readmit", "--by", "r-nurse", "--patient-id", str(world.alice.pk))
    assert (code, error) == (
        2,
        "notice_given: give the person the privacy notice for their records, then "
        "confirm; consented: the person must consent to treatment; then confirm",
    )


# --- keel program_settings and keel photo -------------------------------------------------------------


def test_an_admin_sets_the_dosing_hours_from_the_command_line(world: World) -> None:
    data = json.dumps({"time_zone": "America/New_York", "dosing_opens": "06:00", "dosing_closes": "13:30"})
    code, out, _ = _keel("program_settings", *ADMIN, "--data", data, "--json")
    assert (code, json.loads(out)["dosing_opens"]) == (0, "06:00")


def test_settings_with_a_bad_time_name_the_field(world: World) -> None:
    data = {"time_zone": "America/New_York", "dosing_opens": "6 in the morning", "dosing_closes": "13:30"}
    code, _, error = _keel("program_settings", *ADMIN, "--data", json.dumps(data))
    assert (code, error.startswith("dosing_opens: ")) == (2, True)


def test_a_nurse_may_not_change_program_settings(world: World) -> None:
    data = json.dumps({"dosing_opens": "06:00", "dosing_closes": "13:30"})
    code, _, _ = _keel("program_settings", "--by", "r-nurse", "--program", "riverside", "--data", data)
    assert code == 2


def test_settings_that_are_not_json_exit_2(world: World) -> None:
    code, _, error = _keel("program_settings", *ADMIN, "--data", "{")
    assert (code, error.startswith("--data: ")) == (2, True)


def _jpeg(tmp_path: Any) -> str:
    from PIL import Image

    path = tmp_path / "face.jpg"
    Image.new("RGB", (64, 80), (120, 150, 190)).save(path, "JPEG")
    return str(path)


def test_the_desk_takes_a_photo_from_a_file(world: World, tmp_path: Any) -> None:
    from keel.patients.models import PatientPhoto

    args = ("--by", "r-program_admin", "--patient-id", str(world.alice.pk), "--file", _jpeg(tmp_path))
    code, _, _ = _keel("photo", "set", *args)
    assert (code, PatientPhoto.objects.filter(patient=world.alice).count()) == (0, 1)


def test_a_file_that_is_not_a_photo_names_the_field(world: World, tmp_path: Any) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a photo")
    args = ("--by", "r-program_admin", "--patient-id", str(world.alice.pk), "--file", str(path))
    code, _, error = _keel("photo", "set", *args)
    assert (code, error.startswith("photo: ")) == (2, True)


def test_a_peer_specialist_may_not_take_a_photo(world: World, tmp_path: Any) -> None:
    args = ("--by", "r-peer_specialist", "--patient-id", str(world.alice.pk), "--file", _jpeg(tmp_path))
    code, _, _ = _keel("photo", "set", *args)
    assert code == 2


def test_another_programs_patient_gets_no_photo(world: World, tmp_path: Any) -> None:
    args = ("--by", "r-program_admin", "--patient-id", str(world.charlie.pk), "--file", _jpeg(tmp_path))
    code, _, error = _keel("photo", "set", *args)
    assert (code, error.startswith("--patient-id: ")) == (2, True)


def test_the_desk_removes_a_photo(world: World, tmp_path: Any) -> None:
    from keel.patients.models import PatientPhoto

    by = ("--by", "r-program_admin", "--patient-id", str(world.alice.pk))
    _keel("photo", "set", *by, "--file", _jpeg(tmp_path))
    code, _, _ = _keel("photo", "remove", *by)
    assert (code, PatientPhoto.objects.filter(patient=world.alice).exists()) == (0, False)
