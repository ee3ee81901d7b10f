"""Review 21p: a health-privacy officer (HIPAA, 42 CFR Part 2) and a penetration tester attack what session 20
fixed and nobody attacked since: the one test of a reason of substance (break-the-glass, an emergency
disclosure's nature), the logs' path shape, the lockout behind the shipped proxy, and the timeline under a
break-the-glass grant. Each test is one hole and fails until it is closed (the source is not changed here)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from keel.accounts import staff as staff_services
from keel.accounts.models import Program, ProgramMembership, Role, User
from keel.careteam.queries import timeline
from keel.core import sharing as core_sharing
from keel.core.reasons import reason_problem
from keel.core.rules.inputs import FieldsInvalid, InvalidInput
from keel.patients.models import EmergencyAccess
from keel.recovery.models import ThoughtRecord
from keel.sharing.errors import SharingInvalid
from keel.sharing.services.emergency import emergency_access
from tests.review21p.conftest import PASSWORD, Small, make_staff

GOOD_REASON = "found unresponsive in the lobby, need current medication and allergies"


def _break_glass(small: Small, reason: str) -> None:
    emergency_access(
        by=small.nurse, record_number=small.patient.record_number, reason=reason, password=PASSWORD
    )


def _refused_naming_reason(small: Small, reason: str) -> None:
    with pytest.raises(SharingInvalid) as refused:
        _break_glass(small, reason)
    assert "reason" in {e.field for e in refused.value.errors}
    assert not EmergencyAccess.objects.filter(patient=small.patient).exists()


# --- Break-the-glass: the reason of substance ------------------------------------------------------------


def test_break_glass_reason_of_one_word_numbered_is_refused(small: Small) -> None:
    """Scenario: a nurse off the care team breaks the glass on a record with the reason "test1 test2 test3"
    (one word typed three times, a digit added to each).
    What happened: `reason_problem` counts "test1", "test2" and "test3" as three different words of substance
    (16 characters, 5 different characters), so the grant is opened, the care team flagged "... opened this
    record in an emergency: test1 test2 test3", and the record is readable for the grant's minutes.
    What should happen: refused naming `reason`, like "xxxxxxxxxxxxxxx" and "ok ok ok" (review 13g, 20b): a
    word with a number glued to it is the same word; it documents no emergency (SECURITY.md T12).
    Severity: medium (the check that makes break-the-glass accountable is beaten by the first thing a user
    who wants in would type)."""
    _refused_naming_reason(small, "test1 test2 test3")


def test_break_glass_reason_one_word_repeated_in_quotes_is_refused(small: Small) -> None:
    """Scenario: the reason is one word three times, wrapped in quotes and brackets:
    `urgent "urgent" (urgent)`.
    What happened: the words are stripped only of . , ; : ! ? before they are counted, so `urgent`,
    `"urgent"` and `(urgent)` are three different words; the reason passes and the grant opens.
    What should happen: refused naming `reason` (one word repeated is no reason, whatever punctuation is
    around it).
    Severity: medium (same check as above, a second trivial evasion)."""
    _refused_naming_reason(small, 'urgent "urgent" (urgent)')


def test_break_glass_reason_repeated_with_invisible_characters_is_refused(small: Small) -> None:
    """Scenario: the reason is "urgent urgent urgent" as every reader sees it, the second and third copies
    carrying a zero-width space and a word joiner (U+200B, U+2060: pasted from a chat or a web page).
    What happened: `visible_length` ignores those characters (review 19b) but the word count does not, so the
    three copies are three different words; the grant opens and the flag the care team reads says
    "urgent urgent urgent".
    What should happen: refused naming `reason`: characters no one sees make no word different (the words
    counted as they are shown).
    Severity: medium (the review-19b fix for invisible text stops at the length)."""
    _refused_naming_reason(small, "urgent urgent\u200b urgent\u2060")


def test_break_glass_reason_pasted_from_the_refusal_is_refused(small: Small) -> None:
    """Scenario: a nurse types "now", is refused with "say what you assessed and why, in at least 3 words and
    15 characters", and pastes that sentence into the reason box.
    What happened: Keel's own refusal is accepted as the emergency's reason; the grant opens and the care
    team's flag carries Keel's instruction as the clinical reason.
    What should happen: refused naming `reason` (the words Keel itself shows as the refusal, and its other
    fixed hints, are no one's reason: copy-pasted text documents nothing).
    Severity: low."""
    pasted = reason_problem("now")
    assert pasted  # the refusal the nurse copied
    _refused_naming_reason(small, pasted)


# --- An emergency disclosure's nature of the emergency (42 CFR 2.51) ----------------------------------------


def test_emergency_disclosure_nature_of_one_word_numbered_is_refused() -> None:
    """Scenario: a clinician discloses a record in a medical emergency (42 CFR 2.51) to a named ER physician
    and writes the nature of the emergency as "test1 test2 test3".
    What happened: `parse_emergency` accepts it (the same `reason_problem`: three "different" words); the
    disclosure goes out with a nature that records nothing, and the accounting of disclosures shows it.
    What should happen: refused naming `nature` (section 2.51 requires the nature of the emergency recorded).
    Severity: medium (a Part 2 disclosure without its required record of why)."""
    raw = {
        "recipient_name": "Dr. Ana Ruiz",
        "recipient_role": "physician",
        "recipient_affiliation": "St. Mary's Hospital emergency department",
        "nature": "test1 test2 test3",
        "categories": ["medication"],
    }
    with pytest.raises(InvalidInput) as refused:
        core_sharing.parse_emergency(raw)
    assert "nature" in {e.field for e in refused.value.errors}


# --- Logs: gunicorn's error log -----------------------------------------------------------------------------


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_gunicorn_bad_request_line_logs_no_name() -> None:
    """Scenario: a FHIR client (a script, an integration) searches by name without encoding the space:
    `GET /fhir/R4/Patient?name=Maria Gonzalez HTTP/1.1`. gunicorn (`keel serve`) splits the request line in
    three at the first two spaces, finds "Gonzalez HTTP/1.1" is no HTTP version, and writes a WARNING on
    `gunicorn.error`: "Invalid request from ip=...: Invalid HTTP Version: 'Gonzalez HTTP/1.1'".
    What happened: `configure_logging`'s record factory scrubs the paths in the `gunicorn` loggers' lines,
    but the family name here is not in a path (the request line was cut before it), so it is written as is.
    What should happen: no text a person typed into a request reaches a log line (SECURITY.md: no patient
    data in logs; review 19d: a name typed into a FHIR path): gunicorn's messages that quote the request
    (its line, version, method, headers) keep only the path's shape or nothing of the request.
    Severity: medium (a patient's name in the production error log, on a plain client mistake)."""
    from gunicorn.config import Config
    from gunicorn.http.errors import InvalidHTTPVersion
    from gunicorn.http.parser import RequestParser

    raw = b"GET /fhir/R4/Patient?name=Maria Gonzalez HTTP/1.1\r\nHost: keel.clinic.example\r\n\r\n"
    with pytest.raises(InvalidHTTPVersion) as bad:
        next(iter(RequestParser(Config(), iter([raw]), ("203.0.113.9", 50000))))
    log = logging.getLogger("gunicorn.error")
    capture = _Capture()
    log.addHandler(capture)
    try:
        # what gunicorn's worker writes for it (gunicorn.workers.base.Worker.handle_error)
        log.warning("Invalid request from ip={ip}: {error}".format(ip="203.0.113.9", error=str(bad.value)))
    finally:
        log.removeHandler(capture)
    assert capture.lines
    assert not [line for line in capture.lines if "Gonzalez" in line or "Maria" in line], capture.lines


# --- The lockout behind the shipped proxy -------------------------------------------------------------------


def test_one_clients_failures_do_not_lock_out_another_behind_the_proxy(small: Small) -> None:
    """Scenario: Keel runs as docs/deploy.md ships it: Caddy on the public address, `keel serve` (gunicorn)
    on 127.0.0.1, so every request reaches Keel with REMOTE_ADDR 127.0.0.1 and the client's address in
    X-Forwarded-For. Someone on the internet types the on-call nurse's username with five wrong passwords.
    What happened: django-axes locks username + IP, and the IP it reads (AXES_IPWARE_META_PRECEDENCE_ORDER =
    REMOTE_ADDR) is the proxy's, the same for everyone: the nurse, signing in from the ward with the right
    password, is locked out for 15 minutes. The same lock refuses her password again before break-the-glass
    and disclosures (re-authentication counts in the same lockout, T17), and every audit row's "where" is
    127.0.0.1.
    What should happen: behind the trusted local proxy, the client address it forwards is the one the lockout
    and the audit trail use (SECURITY.md: lockout per user+IP; audit: where), so one address's failures lock
    that address only.
    Severity: medium (anyone can keep any clinician out of Keel, including out of emergency access)."""
    attacker = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66")
    for _ in range(5):
        attacker.post("/accounts/login/", {"username": small.nurse.username, "password": "wrong password 1"})
    nurse = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.23")
    answer = nurse.post("/accounts/login/", {"username": small.nurse.username, "password": PASSWORD})
    assert answer.status_code == 302, answer.status_code  # on to the second factor, not the lockout page


# --- The timeline under a break-the-glass grant -------------------------------------------------------------


def test_timeline_through_emergency_access_lists_no_thought_records(small: Small) -> None:
    """Scenario: a nurse off the care team breaks the glass (a reason of substance, her password), then opens
    the person's timeline (`/patients/<id>/timeline/`, `GET /api/v1/patients/<id>/timeline`).
    What happened: the thought records themselves are refused through emergency access (review 20b: a journal
    of automatic thoughts is no part of treating an emergency; the recovery overview leaves them out too),
    but the timeline lists each one ("Thought record written", with its time), so the grant still tells the
    off-team reader that and when the person keeps a CBT journal, which counseling content is.
    What should happen: through emergency access the timeline leaves the thought records out, as the list and
    the overview do.
    Severity: low (existence and times of counseling content, not its text)."""
    now = timezone.now()
    ThoughtRecord.objects.create(
        patient=small.patient, content=b"", intensity_before=7, created_at=now - timedelta(days=2)
    )
    _break_glass(small, GOOD_REASON)
    kinds = {e.kind for e in timeline(small.nurse, small.patient.pk, days=30).events}
    assert "thought_record" not in kinds, kinds


# --- A second-factor reset across programs ------------------------------------------------------------------


def test_an_admin_resets_no_second_factor_of_someone_who_also_works_in_another_program(small: Small) -> None:
    """Scenario: a deployment serves two clinics. A prescriber works in both (a membership in each). The admin
    of the first clinic resets the prescriber's two-step sign-in (page, `POST /api/v1/programs/{slug}/staff/
    {id}/second-factor/reset`, or `keel staff reset-second-factor`), with the admin's own password.
    What happened: the authenticator is removed, every session and API token of the prescriber ends, in both
    clinics, and their next sign-in takes the password alone and enrols a new app; the audit row is in the
    first clinic's trail only, so the second clinic's admins never learn that the second factor guarding
    their patients was reset. Changing the role and turning the account off both refuse or stay inside the
    program for such a person ("their role is theirs there too"); the reset does not.
    What should happen: refused naming `user_id` (nothing changed, like `change_role`), or at least only with
    the agreement of every program the person works in: one program's admin does not change what protects
    another program's records (SECURITY.md: programs are isolated from each other).
    Severity: medium (one clinic's admin weakens, and cuts off, the sign-in of another clinic's staff)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = make_staff("admin21p", Role.PROGRAM_ADMIN, small.program)
    other = Program.objects.create(slug="r21p-other", name="Other Clinic", time_zone="America/Chicago")
    ProgramMembership.objects.create(user=small.prescriber, program=other)
    TOTPDevice.objects.create(user=small.prescriber, name="default", confirmed=True)
    with pytest.raises(FieldsInvalid) as refused:
        staff_services.reset_second_factor(
            by=admin, program_slug=small.program.slug, user_id=small.prescriber.pk, password=PASSWORD
        )
    assert "user_id" in {e.field for e in refused.value.errors}
    assert TOTPDevice.objects.filter(user=small.prescriber, confirmed=True).exists()


# --- One audit row per access: a refused form ---------------------------------------------------------------


def _staff_client(user: User) -> Client:
    """A staff session that passed its second factor (django-otp's session key for a confirmed device)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_a_refused_instrument_form_is_audited_as_a_read(small: Small) -> None:
    """Scenario: a prescriber on the care team posts the PHQ-9 form for the person with no answers
    (`POST /patients/<id>/instruments/phq9/`).
    What happened: the answers are refused (422) and the form is shown again with the person's name at its
    top, read by `get_patient_or_404(..., audit_success=False)`; the service's check before it audits no
    success either, so the page that shows the record leaves no audit row at all.
    What should happen: exactly one audit row per access to patient data (SECURITY.md T2), the refused
    form included (a read of the record, or the attempt with its outcome).
    Severity: low (the name only, to a reader in scope; but T2's promise is every route)."""
    from keel.audit.models import AuditEvent

    client = _staff_client(small.prescriber)
    before = AuditEvent.objects.filter(patient_id=small.patient.pk).count()
    answer = client.post(f"/patients/{small.patient.pk}/instruments/phq9/", {})
    assert answer.status_code == 422, answer.status_code
    assert small.patient.display_name.encode() in answer.content  # the page shows the record
    assert AuditEvent.objects.filter(patient_id=small.patient.pk).count() == before + 1


def test_a_refused_intake_form_is_audited_as_a_read(small: Small) -> None:
    """Scenario: a prescriber on the care team posts the intake form with an answer Keel refuses
    (`POST /patients/<id>/intake/`, a time of last use that is not a time).
    What happened: the form comes back (422) with the person's name, read by `get_patient_or_404(...,
    audit_success=False)`, and the service refuses before it writes its own row: no audit row for the page.
    What should happen: one audit row for the access, as the GET of the same page has ("intake_form").
    Severity: low (the same gap as the refused instrument form, on another clinical route)."""
    from keel.audit.models import AuditEvent

    client = _staff_client(small.prescriber)
    before = AuditEvent.objects.filter(patient_id=small.patient.pk).count()
    answer = client.post(
        f"/patients/{small.patient.pk}/intake/", {"used": ["fentanyl"], "last_fentanyl": "not a time"}
    )
    assert answer.status_code == 422, answer.status_code
    assert small.patient.display_name.encode() in answer.content
    assert AuditEvent.objects.filter(patient_id=small.patient.pk).count() == before + 1


# --- No patient data in URLs -------------------------------------------------------------------------------


def test_the_dosing_window_search_puts_no_name_in_the_address(small: Small) -> None:
    """Scenario: at the dosing window a nurse types a person's name into "Find a person (name or record
    number), then Enter".
    What happened: the search is a GET form, so the name (or record number) becomes the page's address,
    `/dosing/?q=Maria+Gonzalez`, and the due count's htmx URL carries it too: it stays in the shared ward
    computer's browser history and address-bar suggestions, in any proxy or Caddy access log that keeps the
    query string, and, next to "dosing", it says the person takes methadone or buprenorphine.
    What should happen: no patient data in URLs (SECURITY.md, Transport and headers): the search is sent in a
    POST body (or filtered in the page), never in the address.
    Severity: medium (a Part 2 identifying fact in browser history and proxy logs, every day, by design)."""
    import re

    client = _staff_client(small.nurse)
    page = client.get("/dosing/").content.decode()
    forms = re.findall(r"<form\b[^>]*>.*?</form>", page, flags=re.S)
    searching = [f for f in forms if re.search(r'name="q"', f)]
    assert searching, "the dosing page has its find-a-person search"
    assert not [f for f in searching if re.search(r'method="get"', f, flags=re.I)], searching[0][:200]
