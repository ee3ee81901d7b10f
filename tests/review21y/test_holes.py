"""Review 21y: attacks on session 21's privacy and security fixes (expected to fail until fixed)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from django.test import RequestFactory, override_settings

from keel.core.reasons import reason_problem
from keel.web.client_address import client_ip
from tests.conftest import PASSWORD

# Each reads on a page as "urgent urgent urgent", which reason_problem refuses; each is three "words".
_INVISIBLE_WORD_MAKERS = {
    # U+034F COMBINING GRAPHEME JOINER: a mark (Mn) that draws nothing, kept in the word by words_of
    "grapheme_joiner": "urgent urgent\u034f urgent\u034f\u034f",
    # U+FE00/U+FE01 variation selectors (Mn): draw nothing after a Latin letter
    "variation_selector": "urgent urgent\ufe00 urgent\ufe01",
    # U+E0100/U+E0101 variation selectors supplement (Mn)
    "variation_selector_supplement": "urgent urgent\U000e0100 urgent\U000e0101",
    # U+180B/U+180C Mongolian free variation selectors (Mn)
    "mongolian_fvs": "urgent urgent\u180b urgent\u180c",
    # U+3164 HANGUL FILLER (Lo, NFKC to U+1160): drawn blank, counted a letter of the word
    "hangul_filler": "urgent urgent\u3164 urgent\u3164\u3164",
    # U+115F / U+1160 Hangul choseong/jungseong fillers (Lo), in text.py's own blank list
    "hangul_jamo_fillers": "urgent urgent\u115f urgent\u1160",
}


@pytest.mark.parametrize("text", _INVISIBLE_WORD_MAKERS.values(), ids=_INVISIBLE_WORD_MAKERS.keys())
def test_invisible_marks_and_fillers_make_no_new_word(text: str) -> None:
    """Scenario: a clinician breaking the glass (or writing an emergency disclosure's nature under 42 CFR
    2.51, an override or a correction) types "urgent urgent urgent" with an invisible character glued to
    the second and third word: a combining grapheme joiner, a variation selector, a Mongolian free
    variation selector or a Hangul filler. Happened: `reason_problem` returns "" (accepted): `words_of`
    keeps marks (Mn) and the fillers (Lo) inside a word, so three look-alike words count as three
    different words, while `visible_length` counts none of those characters. Review 21p's fix ("urgent
    urgent\u200b" is one word) is bypassed by any default-ignorable code point that is not Cf. Should:
    refused as no substance, the same as "urgent urgent urgent" (drop default-ignorable code points and
    text.py's _BLANK characters in `shown_text`, or build words only of what `visible_length` counts).
    Severity: medium (the accountability of break-the-glass and of a 42 CFR Part 2 emergency disclosure
    rests on this one check)."""
    assert reason_problem("urgent urgent urgent")
    assert reason_problem(text), f"{text!r} read as a reason of substance"


def test_latin_and_armenian_look_alikes_make_no_new_word() -> None:
    """Scenario: "urgent ur\\u0261ent \\u057drgent": the second word has U+0261 LATIN SMALL LETTER SCRIPT G
    for its "g" (a Latin letter NFKC leaves alone), the third U+057D ARMENIAN SMALL LETTER SEH for its
    "u". On a page it reads "urgent urgent urgent". Happened: accepted ("" from `reason_problem`): the
    mixed-script check knows only Latin, Cyrillic and Greek, and a word of Latin look-alikes inside
    Latin is no mix at all. Should: refused like "urgent urgent urgent" (a confusables skeleton per
    word, UTS #39, or refuse any word mixing Latin with a script other than the expected one). Severity:
    low (needs deliberate effort; same accountability loss as the test above)."""
    assert reason_problem("urgent ur\u0261ent \u057drgent")


@override_settings(KEEL_TRUSTED_PROXIES=["127.0.0.1", "::1", "2001:DB8::A"])
def test_trusted_proxy_written_in_capitals_or_long_form_is_still_trusted() -> None:
    """Scenario: two proxies, a CDN at 2001:db8::a in front of Caddy on loopback; the operator writes
    KEEL_TRUSTED_PROXIES=127.0.0.1,::1,2001:DB8::A (capitals are a valid way to write an IPv6 address).
    The chain Caddy passes on is "198.51.100.7, 2001:db8::a". Happened: `client_ip` normalises each
    X-Forwarded-For entry (`str(ip_address(...))`, lower case, compressed) but compares it with the list
    as typed, so the CDN is not recognised and every client's address is the CDN's: one sign-in lockout
    for everyone behind it (five wrong passwords from anywhere lock a user's name out for every real
    client), one per-client limit, and every audit row's "where" the CDN. Should: the trusted list
    normalised the same way (or compared as ip_address objects), giving 198.51.100.7. Severity: medium
    (availability of sign-in, audit trail's address useless; configuration-dependent)."""
    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7, 2001:db8::a"
    )
    assert client_ip(request) == "198.51.100.7"


@override_settings(KEEL_TRUSTED_PROXIES=["127.0.0.1", "::1"])
def test_trusted_proxy_reaching_a_dual_stack_socket_is_still_trusted() -> None:
    """Scenario: `keel serve` bound to a dual-stack socket (`--host ::`), Caddy on the same machine connecting
    over IPv4 loopback: the WSGI server reports REMOTE_ADDR "::ffff:127.0.0.1" (an IPv4-mapped IPv6
    address), the default KEEL_TRUSTED_PROXIES being 127.0.0.1 and ::1. Happened: `client_ip` compares
    REMOTE_ADDR with the list as text, so the proxy is not trusted and every client is "::ffff:127.0.0.1":
    one lockout per user name for all of them and every audit row's address the proxy's (review 21p's
    problem back). Should: addresses compared as addresses (an IPv4-mapped address is its IPv4 address),
    giving 198.51.100.7. Severity: low (deployment-dependent; fails safe against spoofing, not against
    shared lockouts)."""
    request = RequestFactory().get("/", REMOTE_ADDR="::ffff:127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert client_ip(request) == "198.51.100.7"


def _bob_by_emergency(world: Any, reason: str) -> Any:
    from keel.sharing.services.emergency import emergency_access

    return emergency_access(
        by=world.staff["nurse"],
        record_number=world.bob.record_number,
        reason=reason,
        password=PASSWORD,
    )


def test_break_the_glass_refuses_urgent_three_times_with_a_grapheme_joiner(world: Any) -> None:
    """Scenario: a Riverside nurse (not on Bob's care team) breaks the glass on Bob's record with the reason
    "urgent urgent\\u034f urgent\\u034f\\u034f" (what a reviewer reads: "urgent urgent urgent"). Happened:
    the grant is made (EmergencyAccess row, care team flagged): `reason_problem` takes the combining
    grapheme joiner as part of a new word. Should: refused naming `reason`, nothing granted, as "urgent
    urgent urgent" is. Severity: medium (break-the-glass's accountability; SECURITY.md: emergency access
    with a reason)."""
    from keel.patients.models import EmergencyAccess
    from keel.sharing.errors import SharingInvalid

    with pytest.raises(SharingInvalid):
        _bob_by_emergency(world, "urgent urgent urgent")
    with contextlib.suppress(SharingInvalid):
        _bob_by_emergency(world, "urgent urgent\u034f urgent\u034f\u034f")
    assert not EmergencyAccess.objects.filter(patient=world.bob).exists()


def test_break_the_glass_keeps_no_direction_override_in_the_reason_it_stores(world: Any) -> None:
    """Scenario: the nurse breaks the glass with "patient found unresponsive \\u202egnitset tsuj": the
    right-to-left override makes a reviewer's screen show "patient found unresponsive just testing" while
    the text measured, stored, searched and exported reads "... gnitset tsuj" (a 'Trojan source' reason:
    what the auditor sees is not what the trail holds; the same with zero-width characters inside words,
    which defeat a search of the trail for a word). Happened: `reason_problem` measures `shown_text` (format
    characters dropped), but the grant, its flag and its audit rows store the raw text, U+202E included.
    Should: the reason stored as it was measured (`shown_text`: no format characters), so the reviewer, the
    search and the measure see one text. Severity: low (misleads review of a break-the-glass; no data
    leaves)."""
    from keel.patients.models import EmergencyAccess

    _bob_by_emergency(world, "patient found unresponsive \u202egnitset tsuj")
    grant = EmergencyAccess.objects.get(patient=world.bob)
    assert "\u202e" not in grant.reason


def test_unknown_rule_error_is_translated_and_does_not_echo_the_typed_name(signed_in: Any) -> None:
    """Scenario: a Spanish-speaking prescriber's client asks `GET /api/v1/rules/<typed>` with a name typed in
    the wrong field ("Maria Gonzalez") and Accept-Language: es. Happened: 404 with the English
    "unknown rule 'Maria Gonzalez'; known: ...": `on_unknown_rule` returns `str(UnknownRule)`, untranslated,
    and repeats the typed text (review 20b removed the same echo from the unknown instrument's error).
    Should: the message in the request's language, naming the known rules but not repeating what was typed.
    Severity: low (echo to the sender only; a translation gap of this session's change)."""
    client = signed_in("prescriber")
    response = client.get("/api/v1/rules/Maria%20Gonzalez", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 404
    message = response.json()["message"]
    assert "Maria" not in message
    assert not message.startswith("unknown rule")


def test_refused_second_factor_reset_of_someone_in_another_program_is_audited(world: Any) -> None:
    """Scenario: the Riverside program admin, with the right password, asks to reset the two-step sign-in of
    the Riverside nurse, who also works at Lakeside (where this admin is not an admin). Happened: refused
    naming `user_id` (right), but no audit row at all: a wrong password is audited as a denied MFA change,
    yet an attempt to weaken the sign-in of someone whose records reach another program, refused by
    `policy.works_beyond_admin`, leaves no trace in either program's trail (and Lakeside's admins never
    learn a Riverside admin tried). Should: a `denied` row (target_type "mfa", the nurse's id, outcome
    denied) in Riverside's trail, and Lakeside's, as the successful reset is written in each program's trail.
    Severity: low-medium (SECURITY.md: MFA changes and every refusal are audited)."""
    from keel.accounts import staff
    from keel.accounts.models import ProgramMembership
    from keel.audit.models import AuditEvent, Outcome
    from keel.core.rules.inputs import FieldsInvalid

    nurse = world.staff["nurse"]
    ProgramMembership.objects.create(user=nurse, program=world.lakeside)
    before = AuditEvent.objects.filter(target_type="mfa").count()
    with pytest.raises(FieldsInvalid) as refused:
        staff.reset_second_factor(
            by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk, password=PASSWORD
        )
    assert [e.field for e in refused.value.errors] == ["user_id"]  # refused by works_beyond_admin
    denied = AuditEvent.objects.filter(target_type="mfa", outcome=Outcome.DENIED)
    assert AuditEvent.objects.filter(target_type="mfa").count() > before
    assert denied.filter(program_id=world.riverside.pk).exists()
    assert denied.filter(program_id=world.lakeside.pk).exists()


# Keel's own refusals of a reason as a page shows them, pasted back into the field they refused.
_KEEL_OWN_WORDS = {
    # the held dose flag's refusal (patients/services/flags.py), English and Spanish
    "flag_refusal": (
        "write the assessment: say what you assessed and why, in at least 3 words and 15 characters"
    ),
    "flag_refusal_es": (
        "escriba la evaluación: diga qué evaluó y por qué, en al menos 3 palabras y 15 caracteres"
    ),
    # the flag's other refusal, shown for the same note field
    "flag_note_required": "write what was done (a note is required to resolve a flag)",
    # REASON_REQUIRED less its "(required)"
    "hint_cut_short": "write the clinical reason",
    "hint_cut_short_es": "escriba el motivo clínico",
}


@pytest.mark.parametrize("text", _KEEL_OWN_WORDS.values(), ids=_KEEL_OWN_WORDS.keys())
def test_keel_own_refusal_pasted_back_is_no_reason(text: str) -> None:
    """Scenario: a prescriber resolving a held dose's flag (the note must be an assessment of substance,
    `reason_problem`) is refused with "write the assessment: say what you assessed and why, in at least 3
    words and 15 characters" and pastes that sentence back (or the Spanish one, or the flag's other refusal
    "write what was done (a note is required to resolve a flag)", or "write the clinical reason" from the
    hint). Happened: accepted: `_less_hints` removes a hint only as a whole run of its words, and only the
    four `REASON_HINTS`; the words Keel wraps around a hint ("write the assessment"), Keel's other refusals
    of the same field and a hint cut short count as three words of substance. Should: refused: Keel's own
    sentences (every refusal shown for a reason field, the words around them, any run of three or more of
    their words) count no words. Severity: low-medium (a held dose's resolution and break-the-glass keep a
    sentence Keel wrote as the clinician's assessment)."""
    assert reason_problem(text), f"{text!r} read as a reason of substance"


def _score_in_spanish(body: str) -> Any:
    from django.test import Client

    return Client().post(
        "/api/v1/instruments/phq9/score", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="es"
    )


@pytest.mark.django_db
def test_score_errors_are_said_in_the_request_language() -> None:
    """Scenario: an app in Spanish posts a PHQ-9 with no answers to the open scoring route
    (`POST /api/v1/instruments/phq9/score`, Accept-Language: es). Happened: the message is Spanish
    ("Algunas respuestas no son válidas.") but every field's reason is the core's English ("missing: this
    question needs an answer", "not an item of this instrument", "must be a whole number, one of [...]"):
    `on_invalid_answers` passes `ItemError.reason` through untranslated, while this session translated every
    other handler's reasons. Should: each reason in the request's language. Severity: low (words, not a
    leak; a Spanish-speaking patient's app shows English)."""
    response = _score_in_spanish('{"answers": {}}')
    assert response.status_code == 422
    reasons = {e["reason"] for e in response.json()["errors"]}
    assert "missing: this question needs an answer" not in reasons


@pytest.mark.django_db
def test_score_error_does_not_repeat_an_unknown_answer_key() -> None:
    """Scenario: a client posts answers to the open scoring route with a key that is someone's name or a
    diagnosis typed in the wrong field: {"answers": {"Maria Gonzalez": 1}}. Happened: 422 naming the field
    "answers.Maria Gonzalez": the typed key is repeated in the error, while review 20b stopped repeating an
    unknown instrument code for exactly this reason ("it may be a name or a diagnosis typed in the wrong
    field"); the same holds for an unknown key of any body (`_field_of` joins pydantic's `loc`, the typed key
    included). Should: the field named without the typed text (e.g. "answers", reason "not an item of this
    instrument"). Severity: low (echoed to the sender, but into clients' error logs and screenshots)."""
    response = _score_in_spanish('{"answers": {"Maria Gonzalez": 1}}')
    assert response.status_code == 422
    assert "Maria" not in response.content.decode()


def _gunicorn_refusal_logged(raw: bytes) -> str:
    """gunicorn's own parser refuses `raw`; its worker's warning line (workers/base.py handle_error), as the
    record factory Keel installs leaves it."""
    import logging

    from gunicorn.config import Config
    from gunicorn.http.message import Request
    from gunicorn.http.unreader import IterUnreader

    from keel.web.logs import scrub_paths

    with pytest.raises(Exception) as refused:
        Request(Config(), IterUnreader([raw]), ("198.51.100.7", 50000), 1)
    line = "Invalid request from ip={ip}: {error}".format(ip="198.51.100.7", error=str(refused.value))
    record = logging.LogRecord("gunicorn.error", logging.WARNING, __file__, 1, line, (), None)
    return scrub_paths(record).getMessage()


@pytest.mark.parametrize(
    "raw",
    [
        # a search with an apostrophe name and an unencoded "ñ": the query is cut at the apostrophe
        b"GET /fhir/R4/Patient?family=D'Angelo-Mu\xc3\xb1oz HTTP/1.1\r\nHost: keel\r\n\r\n",
        # a name in the path with an apostrophe and an accent typed raw
        b"GET /fhir/R4/Patient/O'Brien-Jos\xc3\xa9 HTTP/1.1\r\nHost: keel\r\n\r\n",
        # a double quote or angle brackets in the path
        b'GET /fhir/R4/Patient/Maria"Gonzalez\x01 HTTP/1.1\r\nHost: keel\r\n\r\n',
    ],
    ids=["query_apostrophe", "path_apostrophe", "path_double_quote"],
)
def test_gunicorn_refused_request_line_keeps_no_typed_name(raw: bytes) -> None:
    """Scenario: a misbehaving client sends a request line gunicorn refuses (a character outside printable
    ASCII, as an unencoded "ñ" or "é"), and the target holds a name with an apostrophe or a double quote:
    `GET /fhir/R4/Patient?family=D'Angelo-Muñoz HTTP/1.1`. gunicorn logs "Invalid HTTP request line: "GET
    ..."" (its repr). Happened: `_quoted` keeps a whole request line's method, path shape and version, but
    `_PATH_IN_TEXT` stops a path (and a query) at a quote or angle bracket, so the rest of the target is kept
    as typed: "...Patient'Angelo-MuÃ±oz HTTP/1.1", "/fhir/R4/Patient/*'Brien-JosÃ©", "/*\"Gonzalez". Should:
    nothing of the target but the path's shape (every segment after the first character that is neither a
    path character nor part of a route word hidden; the query gone). Severity: medium (a patient's name in
    the server's log, the leak review 21p closed, reopened by one apostrophe)."""
    logged = _gunicorn_refusal_logged(raw)
    for typed in ("Angelo", "Brien", "Gonzalez"):
        assert typed not in logged, logged


@pytest.mark.parametrize(
    ("logger", "template", "args"),
    [
        # Django's 500 line: `request.path`, percent-decoded (/fhir/R4/Patient/Maria%20Gonzalez)
        ("django.request", "Internal Server Error: %s", ("/fhir/R4/Patient/Maria Gonzalez",)),
        # the CSRF refusal's line, a decoded apostrophe in the path
        ("django.security.csrf", "Forbidden (%s): %s", ("CSRF token missing.", "/fhir/R4/Patient/O'Brien")),
    ],
    ids=["space", "apostrophe"],
)
def test_django_path_lines_keep_no_typed_name(
    caplog: pytest.LogCaptureFixture, logger: str, template: str, args: tuple[str, ...]
) -> None:
    """Scenario: a FHIR client puts a person's name into a path (`/fhir/R4/Patient/Maria%20Gonzalez`,
    review 19d's case) and the request ends in a line Django writes with `request.path`, which is
    percent-decoded: a 500's "Internal Server Error: <path>", a CSRF refusal's "Forbidden (...): <path>".
    Happened: `_PATH_IN_TEXT` ends a path at the first space or quote, so `safe_path` hides "Maria" and
    the rest is kept: "Internal Server Error: /fhir/R4/Patient/* Gonzalez", "/fhir/R4/Patient/*'Brien".
    Should: the path as Django wrote it (everything after the message's ": ") shaped as one path, the
    family name hidden. Severity: medium (a patient's family name in the log, review 19d's leak reopened
    by a space)."""
    import logging

    with caplog.at_level(logging.WARNING, logger=logger):
        logging.getLogger(logger).warning(template, *args)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "Gonzalez" not in logged
    assert "Brien" not in logged
