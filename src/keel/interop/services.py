"""FHIR in and out, through the access policy: the record as a Bundle (audited as an export), and a
QuestionnaireResponse from another system filed as an assessment (its subject checked against the patient,
scored, flagged and audited as usual, where it came from kept as a Provenance)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from keel.access import policy
from keel.assessments.models import Assessment
from keel.assessments.services import patient_for_recording, submit_assessment
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core import disclosure_words
from keel.core.instruments.fhir_import import (
    ImportedResponse as Parsed,
)
from keel.core.instruments.fhir_import import (
    Person,
    authored_within_life,
    match_subject,
    parse_questionnaire_response,
)
from keel.core.rules.inputs import FieldError, FieldsInvalid, InvalidInput
from keel.core.words import gettext_noop as N_
from keel.interop.fhir import resources
from keel.interop.fhir.base import RECORD_NUMBER_SYSTEM, Base, with_terms
from keel.interop.fhir.record import record_bundle
from keel.interop.models import ImportedResponse
from keel.patients.models import Patient, day_in, death_day, local_today, zone_of
from keel.sharing.services import export_by_token, release_record

if TYPE_CHECKING:
    from keel.accounts.models import User


class FhirInvalid(FieldsInvalid):
    """A FHIR document that cannot be read, each problem named by its JSON path."""


class SubjectMismatch(FhirInvalid):
    """A QuestionnaireResponse about someone else (or about nobody Keel can check)."""

    message = "The QuestionnaireResponse is not about this patient: nothing was filed."


def export_record(
    user: User,
    patient_id: int | str,
    *,
    raw: Mapping[str, object],
    base: Base,
    now: datetime | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """The care team's export of a record: it leaves the program, so it is a disclosure
    (`sharing.services.release_record`: a basis, the password again, the accounting of disclosures, one
    `export` audit row); the Bundle holds what the caller's role may see. `token`: the secret of the API
    token it is asked with (None for a session): a release by another system's credential, with the rules
    of one (review 22f: no patient's own request; one token, one recipient)."""

    def build(patient: Patient, at: datetime) -> dict[str, Any]:
        own = policy.withholds_struck_content(user, patient)  # it leaves: struck content withheld (fixpriv39)
        return record_bundle(patient, policy.areas_of(user), at, base, own=own)

    if token is not None:  # review 31b H2, H3: answered alike for every person until a consent of theirs
        export_by_token(user, patient_id, raw, "fhir_bundle", token)
    _, bundle = release_record(
        by=user,
        patient_id=patient_id,
        raw=raw,
        target_type="fhir_bundle",
        description=disclosure_words.AS_A_FILE,
        build=build,
        now=now,
        carry=with_terms,
        token=token,
    )
    return bundle


@dataclass(frozen=True)
class Filed:
    """An import's outcome: the assessment, whether it is new, where it came from, what Keel noticed."""

    assessment: Assessment
    created: bool
    provenance: ImportedResponse
    notes: list[dict[str, str]]
    patient: Patient  # scoped for the filer: its Provenance names the sender as `sender_named` says


def person_of(patient: Patient, base: Base) -> Person:
    return Person(
        record_number_system=f"{RECORD_NUMBER_SYSTEM}/{patient.program.slug}",
        record_number=patient.record_number,
        family_name=patient.family_name,
        given_names=tuple(n for n in (patient.given_name, patient.preferred_name) if n),
        birth_date=patient.date_of_birth,
        endpoint_url=f"{base.url}Patient/{patient.pk}",
    )


def _filled_at(parsed: Parsed, patient: Patient, now: datetime) -> datetime:
    if parsed.authored is not None:
        # A sender's clock ahead of Keel's, inside the leeway (KEEL_FHIR_CLOCK_LEEWAY_SECONDS): Keel's now.
        return min(parsed.authored, now)
    assert parsed.authored_on is not None
    # A date alone: the start of that day in the program's time zone; the date as sent is kept and sent back.
    return datetime.combine(parsed.authored_on, time(0, 0), tzinfo=zone_of(patient))


def _notes(parsed: Parsed, total: int | None, matched_by: str, now: datetime) -> list[dict[str, str]]:
    notes = [{"field": "subject", "reason": f"matched to this patient by {matched_by}"}]
    if parsed.sender_total is not None and parsed.sender_total != total:
        notes.append(
            {
                "field": "total",
                "reason": f"the sender's total {parsed.sender_total} disagrees with the answers, "
                f"which add up to {total}; Keel kept {total}",
            }
        )
    if parsed.authored_on is not None:
        notes.append({"field": "authored", "reason": "a date without a time: kept as that date"})
    elif parsed.authored is not None and parsed.authored > now:
        ahead = int((parsed.authored - now).total_seconds())
        notes.append(
            {"field": "authored", "reason": f"{ahead} s ahead of Keel's clock: filed at Keel's time"}
        )
    return notes


# Lane fix33f (review 33d H1, H2): a response is the sender's (system + its id); filed once, never amended
# by the feed: the clinic corrects the filed one.
ALREADY_FILED = N_(
    "This response was already filed: nothing new was filed. The clinic corrects the filed one in Keel."
)


class AlreadyFiled(Exception):
    """The sender's id names a response already filed, and this one differs from it (an amendment, or the
    sender's `entered-in-error`): answered 409 naming `identifier`; nothing is filed."""


def _authored_day(parsed: Parsed, patient: Patient, now: datetime) -> date:
    """The program's day the answers were given. An instant the calendar cannot take there (the first hours of
    year 1 east of UTC are in year 0 in UTC: review rev39d hole 2) is its first day, before anyone's birth
    (the 422 any day before hers gets); its last day is in the future, refused before."""
    if parsed.authored_on is not None:
        return parsed.authored_on
    try:
        return day_in(patient.program.time_zone, _filled_at(parsed, patient, now))
    except OverflowError:
        return date.min


def _parse(patient: Patient, doc: object, now: datetime) -> Parsed:
    """The response read, its `authored` inside the person's life (review 33d H4, H5) and not ahead of Keel's
    clock by more than the leeway for the sender's (H9)."""
    leeway = timedelta(seconds=settings.KEEL_FHIR_CLOCK_LEEWAY_SECONDS)
    try:
        parsed = parse_questionnaire_response(
            doc, instrument="phq9", now=now, today=local_today(patient, now + leeway), leeway=leeway
        )
        authored_within_life(
            _authored_day(parsed, patient, now), born=patient.date_of_birth, died=death_day(patient.pk)
        )
    except InvalidInput as exc:
        raise FhirInvalid(exc.errors) from None
    return parsed


def _same_authored(kept: str, parsed: Parsed) -> bool:
    """Whether `authored` as kept and as sent again say the same moment (or the same date); kept before
    review 34b H6 it may carry the spaces the reader stripped."""
    kept = kept.strip()
    if parsed.authored_on is not None:
        return kept == parsed.authored_on.isoformat()
    try:
        return datetime.fromisoformat(kept.replace("Z", "+00:00")) == parsed.authored
    except ValueError:
        return False


def _under_keys(patient: Patient, parsed: Parsed) -> ImportedResponse | None:
    """The first filing in her program (or of hers) under any of the sender's keys for the response
    (`sender_keys`: the identifier, or `meta.source` + id; whichever the first filing used). A key with no
    system is only the sender's among this person's responses; a system kept with its #fragment (before
    review 34b H1) is the same system."""
    named = Q()
    for system, value in parsed.keys:
        here = Q(sender_id=value) & (Q(sender_system=system) | Q(sender_system__startswith=f"{system}#"))
        named |= here & Q(assessment__patient=patient) if not system else here
    rows = ImportedResponse.objects.filter(named).filter(
        Q(program_id=patient.program_id) | Q(assessment__patient=patient)
    )
    return rows.select_related("assessment").order_by("received_at", "pk").first()


def _without_key(patient: Patient, parsed: Parsed, now: datetime) -> ImportedResponse | None:
    """A response with no key: her filing of the same answers `authored` at the same moment (or date). The
    filing's time is Keel's when the sender's clock was ahead (inside the leeway): looked for from that far
    back (review 34b H4)."""
    at = _filled_at(parsed, patient, parsed.authored or now)
    leeway = timedelta(seconds=settings.KEEL_FHIR_CLOCK_LEEWAY_SECONDS)
    existing = (
        Assessment.objects.filter(
            patient=patient,
            instrument=parsed.instrument,
            filled_at__gte=at - leeway,
            filled_at__lte=at,
            imported_from__isnull=False,
        )
        .select_related("imported_from")
        .order_by("id")
    )
    for a in existing:
        if a.answers == parsed.answers and _same_authored(a.imported_from.authored, parsed):
            return a.imported_from
    return None


def _filed_before(patient: Patient, parsed: Parsed, now: datetime) -> ImportedResponse | None:
    """The filing under the sender's key in her program, or (no key) the same answers at the same time for
    her; None when it is new. AlreadyFiled when it was filed with other content, or is withdrawn
    (`entered-in-error`, with a key or without: review 34b H3). Another program's filing is never looked
    at (review 34b H5): nothing here tells one program what another holds."""
    found = _under_keys(patient, parsed) if parsed.keys else _without_key(patient, parsed, now)
    if found is None:
        return None
    a = found.assessment
    same = (
        a.patient_id == patient.pk and a.answers == parsed.answers and _same_authored(found.authored, parsed)
    )
    if parsed.status == "entered-in-error" or not same:
        raise AlreadyFiled
    return found


def _resent(user: User, patient: Patient, found: ImportedResponse) -> Filed:
    a = found.assessment
    audit.record_for_patient(user, patient, Action.READ, "assessment", a.pk, reason="FHIR resend")
    return Filed(a, False, found, list(found.notes), patient)


def import_response(
    user: User, patient_id: int | str, doc: Any, *, base: Base, now: datetime | None = None
) -> Filed:
    """File a PHQ-9 QuestionnaireResponse from another system for this patient, after checking it is about
    them. A response is the sender's system and its key for it (`sender_keys`), filed once per program
    (review 34b H5); sent again alike, answered with the first filing; sent again otherwise (amended,
    entered-in-error), AlreadyFiled (review 33d H1, H2), held by the database too (two at the same moment).
    Without a key, the same answers `authored` at the same moment for the same patient are the same
    response (found at the time Keel filed it, review 34b H4; withdrawn: AlreadyFiled, H3)."""
    now = now or timezone.now()
    patient = patient_for_recording(
        user, patient_id if isinstance(patient_id, int) else None, "phq9", imported=True
    )
    parsed = _parse(patient, doc, now)
    try:
        match = match_subject(parsed.subject, person_of(patient, base))
    except InvalidInput as exc:
        raise SubjectMismatch(exc.errors) from None
    found = _filed_before(patient, parsed, now)
    if found is not None:
        return _resent(user, patient, found)
    if parsed.status == "entered-in-error":  # nothing of the sender's to withdraw
        raise FhirInvalid([FieldError("status", N_("must be completed or amended"))])
    try:
        return _file(user, patient, parsed, match.matched_by, now)
    except IntegrityError:  # the same sender's id filed by another request meanwhile
        found = _filed_before(patient, parsed, now)
        if found is None:
            raise
        return _resent(user, patient, found)


def _file(user: User, patient: Patient, parsed: Parsed, matched_by: str, now: datetime) -> Filed:
    with transaction.atomic():
        assessment, _result = submit_assessment(
            by=user,
            patient_id=patient.pk,
            instrument=parsed.instrument,
            answers=parsed.answers,
            filled_at=_filled_at(parsed, patient, now),
            imported=True,  # its repeats are decided by the sender's key (`_filed_before`), lane fix36o
        )
        notes = _notes(parsed, assessment.total, matched_by, now)
        provenance = ImportedResponse.objects.create(
            assessment=assessment,
            sender_system=parsed.source_system,
            sender_id=parsed.source_id,
            program_id=patient.program_id,
            subject=parsed.subject.reference,
            author=parsed.author,
            questionnaire=parsed.questionnaire[:500],
            authored=parsed.authored_as_sent[:40],
            matched_by=matched_by,
            sender_total=parsed.sender_total,
            notes=notes,
            extra_answers=parsed.extra_answers,
            received_by=user,
            received_at=now,
        )
    return Filed(assessment, True, provenance, notes, patient)


def provenance_resource(filed: Filed) -> dict[str, Any]:
    return resources.provenance(filed.provenance, filed.patient)
