"""Fix 21p: what closes each hole of review 21p holds without closing the way for a real reason or a real
reader (Spanish with its accents, the care team's timeline, the staff reset of one program's own staff), and
the two "found but not tested": no probing of record numbers or staff ids without the password."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from keel.accounts import staff as staff_services
from keel.accounts.models import Program, ProgramMembership, Role
from keel.audit.models import AuditEvent
from keel.careteam.queries import timeline
from keel.core.reasons import REASON_MIXED_SCRIPT, reason_problem
from keel.core.rules.inputs import FieldsInvalid
from keel.core.text import mixed_script_words, shown_text, words_of
from keel.patients.models import EmergencyAccess
from keel.recovery.models import ThoughtRecord
from keel.sharing.errors import SharingInvalid
from keel.sharing.services.emergency import emergency_access
from tests.review21p.conftest import PASSWORD, Small, make_staff

# --- The one test of a reason of substance -----------------------------------------------------------------


@pytest.mark.parametrize(
    "reason",
    [
        "paciente inconsciente en el vestíbulo, necesita su medicación y alergias",
        "encontrado sin respuesta: pupilas puntiformes, respiración lenta",
        "pupilas puntiformes, respiraci\u00f3n lenta, naloxona",  # composed accent
        "pupilas puntiformes, respiracio\u0301n lenta, naloxona",  # the accent typed as a combining mark
        "found unresponsive in the lobby, need current medication and allergies",
        "COWS 14 at 2 h, still in withdrawal",
        "пациент без сознания, нужны лекарства",  # one script, Cyrillic: a reason
    ],
)
def test_a_reason_of_substance_passes_in_any_language(reason: str) -> None:
    assert reason_problem(reason) == ""


@pytest.mark.parametrize(
    "reason",
    [
        "test1 test2 test3 test4",
        "urgent 'urgent' [urgent] {urgent} «urgent» “urgent”",
        "urg\u200bent urgent\u2060 u\u00adrgent",  # zero-width space, word joiner, soft hyphen (all Cf)
        "\uff55\uff52\uff47\uff45\uff4e\uff54 urgent URGENT",  # full-width letters are letters (NFKC)
        "say what you assessed and why, in at least 3 words and 15 characters",
        "diga qué evaluó y por qué, en al menos 3 palabras y 15 caracteres",  # the same, in Spanish
        "now: say what you assessed and why, in at least 3 words and 15 characters!",
    ],
)
def test_a_reason_of_no_substance_is_refused(reason: str) -> None:
    assert reason_problem(reason) != ""


def test_a_word_mixing_latin_with_a_cyrillic_look_alike_is_refused() -> None:
    reason = "patient urg\u0435nt, need current medication and allergies"  # Cyrillic U+0435
    assert reason_problem(reason) == REASON_MIXED_SCRIPT
    with translation.override("es"):
        assert translation.gettext(REASON_MIXED_SCRIPT) != REASON_MIXED_SCRIPT


def test_the_words_are_counted_as_shown() -> None:
    assert shown_text("a\u200bb\u2060c") == "abc"
    assert words_of('test1 "Test2" (TEST3) x') == ["test", "test", "test", "x"]
    assert mixed_script_words(["urg\u0435nt", "urgent", "\u03bf\u03c5\u03c1"]) == ["urg\u0435nt"]


def test_break_the_glass_refuses_a_mixed_script_reason(small: Small) -> None:
    with pytest.raises(SharingInvalid) as refused:
        emergency_access(
            by=small.nurse,
            record_number=small.patient.record_number,
            reason="urg\u0435nt: found unresponsive in the lobby",
            password=PASSWORD,
        )
    assert [e.field for e in refused.value.errors] == ["reason"]


def test_break_the_glass_opens_with_a_spanish_reason(small: Small) -> None:
    emergency_access(
        by=small.nurse,
        record_number=small.patient.record_number,
        reason="paciente inconsciente en el vestíbulo, necesita su medicación",
        password=PASSWORD,
    )
    assert EmergencyAccess.objects.filter(user=small.nurse).exists()


# --- Break-the-glass: the password before the record number ------------------------------------------------


def test_break_the_glass_asks_the_password_before_the_record_number(small: Small) -> None:
    """A wrong password with a number that exists and one that does not: the same answer (password), so
    no one learns which numbers exist without it; the denial audited with no patient."""
    answers = []
    for number in (small.patient.record_number, "RN-NOPE"):
        with pytest.raises(SharingInvalid) as refused:
            emergency_access(
                by=small.nurse,
                record_number=number,
                reason="found unresponsive in the lobby, need medication",
                password="not my password",
            )
        answers.append([e.field for e in refused.value.errors])
    assert answers == [["password"], ["password"]]
    denied = AuditEvent.objects.filter(target_type="emergency_access", action="denied").order_by("id")
    assert [(d.reason, d.patient_id) for d in denied] == [("re-authentication failed", None)] * 2


# --- The timeline: the care team still sees that a thought record was written ---------------------------


def test_the_care_team_timeline_still_lists_thought_records(small: Small) -> None:
    ThoughtRecord.objects.create(
        patient=small.patient, content=b"", intensity_before=5, created_at=timezone.now() - timedelta(days=1)
    )
    kinds = {e.kind for e in timeline(small.prescriber, small.patient.pk, days=30).events}
    assert "thought_record" in kinds


# --- The staff reset ----------------------------------------------------------------------------------------


def test_an_admin_still_resets_the_second_factor_of_her_own_programs_staff(small: Small) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = make_staff("admin21q", Role.PROGRAM_ADMIN, small.program)
    TOTPDevice.objects.create(user=small.prescriber, name="default", confirmed=True)
    staff_services.reset_second_factor(
        by=admin, program_slug=small.program.slug, user_id=small.prescriber.pk, password=PASSWORD
    )
    assert not TOTPDevice.objects.filter(user=small.prescriber).exists()


def test_the_staff_reset_asks_the_password_before_the_staff_member(small: Small) -> None:
    """A wrong password, for a staff member of the program, one of another program and an id no one has: the
    same answer (password), nothing learned of who works where."""
    admin = make_staff("admin21r", Role.PROGRAM_ADMIN, small.program)
    other = Program.objects.create(slug="r21p-else", name="Else Clinic", time_zone="America/Chicago")
    elsewhere = make_staff("else21p", Role.NURSE, other)
    answers = []
    for user_id in (small.prescriber.pk, elsewhere.pk, 999_999, "x"):
        with pytest.raises(FieldsInvalid) as refused:
            staff_services.reset_second_factor(
                by=admin, program_slug=small.program.slug, user_id=user_id, password="not my password"
            )
        answers.append([e.field for e in refused.value.errors])
    assert answers == [["password"]] * 4


def test_the_cross_program_refusal_is_said_on_the_api(small: Small) -> None:
    import json

    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = make_staff("admin21s", Role.PROGRAM_ADMIN, small.program)
    other = Program.objects.create(slug="r21p-two", name="Two Clinic", time_zone="America/Chicago")
    ProgramMembership.objects.create(user=small.prescriber, program=other)
    client = Client()
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.create(
        user=admin, name="d", confirmed=True
    ).persistent_id
    session.save()
    response = client.post(
        f"/api/v1/programs/{small.program.slug}/staff/{small.prescriber.pk}/second-factor/reset",
        json.dumps({"password": PASSWORD}),
        content_type="application/json",
    )
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["user_id"])


def _in_two_programs(small: Small) -> tuple[Program, object]:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    other = Program.objects.create(slug="r21p-second", name="Second Clinic", time_zone="America/Chicago")
    ProgramMembership.objects.create(user=small.prescriber, program=other)
    TOTPDevice.objects.create(user=small.prescriber, name="default", confirmed=True)
    return other, TOTPDevice


def test_an_admin_of_every_program_the_person_works_in_resets_their_second_factor(small: Small) -> None:
    other, devices = _in_two_programs(small)
    admin = make_staff("admin21p-both", Role.PROGRAM_ADMIN, small.program)
    ProgramMembership.objects.create(user=admin, program=other)
    staff_services.reset_second_factor(
        by=admin, program_slug=small.program.slug, user_id=small.prescriber.pk, password=PASSWORD
    )
    assert not devices.objects.filter(user=small.prescriber).exists()  # type: ignore[attr-defined]


def test_the_reset_is_in_the_trail_of_each_program_the_person_works_in(small: Small) -> None:
    other, _devices = _in_two_programs(small)
    admin = make_staff("admin21p-both", Role.PROGRAM_ADMIN, small.program)
    ProgramMembership.objects.create(user=admin, program=other)
    staff_services.reset_second_factor(
        by=admin, program_slug=small.program.slug, user_id=small.prescriber.pk, password=PASSWORD
    )
    rows = AuditEvent.objects.filter(
        target_type="mfa", target_id=str(small.prescriber.pk), reason="second factor reset"
    )
    assert sorted(rows.values_list("program_id", flat=True)) == sorted([small.program.pk, other.pk])


def test_an_admin_of_one_of_two_programs_is_still_refused(small: Small) -> None:
    other, _devices = _in_two_programs(small)
    make_staff("admin21p-other", Role.PROGRAM_ADMIN, other)  # the other program's admin, not this one
    admin = make_staff("admin21p-one", Role.PROGRAM_ADMIN, small.program)
    with pytest.raises(FieldsInvalid):
        staff_services.reset_second_factor(
            by=admin, program_slug=small.program.slug, user_id=small.prescriber.pk, password=PASSWORD
        )
