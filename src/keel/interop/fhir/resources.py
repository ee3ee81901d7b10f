"""Keel's records as FHIR R4 resources: Patient (US Core Patient only when it carries what that profile
needs), Organization, Practitioner, EpisodeOfCare, MedicationRequest, MedicationAdministration, Consent
(42 CFR Part 2) and Provenance (where an imported record came from). References are relative
(`Patient/12`); every resource they name is one Keel serves and puts in the same Bundle.

Sources: `fhir-r4` (elements and required codes), `us-core-stu7-patient` (mandatory identifier, name, gender;
must-support birth date and telecom; the birth-sex extension with F, M, UNK: `us-core-birthsex`),
`fhir-r4-consent` (scope `patient-privacy`, category LOINC 59284-0, rule ppc-1: a policy or a policy rule),
`hl7-v3-actreason` (purposes of use TREAT, PATRQT), `hl7-v3-participationtype` (IRCP, information recipient).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from keel.access.policy import Area, field_visible
from keel.core import sharing
from keel.interop.fhir.base import (
    KEEL,
    RECORD_NUMBER_SYSTEM,
    STAFF_SYSTEM,
    instant,
    last_updated,
    narrative,
    ref,
)
from keel.patients.models import death_changed, died_of
from keel.sharing.carried import sender_named

if TYPE_CHECKING:
    from datetime import date, datetime, tzinfo

    from keel.accounts.models import Program, User
    from keel.interop.models import ImportedResponse
    from keel.patients.models import Enrollment, Patient
    from keel.sharing.models import Consent
    from keel.treatment.models import DoseAmendment, DoseRecord

US_CORE_PATIENT = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient|7.0.0"
US_CORE_BIRTHSEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"


def patient(p: Patient, areas: frozenset[Area]) -> dict[str, Any]:
    """The person. The record number, birth date and birth sex only for roles that see the clinical area (the
    same fields the JSON API hides); US Core Patient is claimed only when its mandatory elements are there.
    After a death is recorded (`death_recorded`, any program's episode) the resource says so (review 28a
    H1): `active` false and `deceasedDateTime` the day recorded (`death_day`), else `deceasedBoolean`."""
    out: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(p.pk),
        "active": True,
        "name": [{"use": "official", "family": p.family_name, "given": [p.given_name]}],
        "gender": p.gender,
        "managingOrganization": ref("Organization", p.program_id),
    }
    if p.preferred_name:
        out["name"].append({"use": "usual", "given": [p.preferred_name], "family": p.family_name})
    if field_visible(areas, "record_number"):
        out["identifier"] = [
            {
                "use": "usual",
                "type": {
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}],
                    "text": "Medical record number",
                },
                "system": f"{RECORD_NUMBER_SYSTEM}/{p.program.slug}",
                "value": p.record_number,
            }
        ]
    # every record of a program has a birth date; only a self-guided record has none
    if p.date_of_birth and field_visible(areas, "date_of_birth"):
        out["birthDate"] = p.date_of_birth.isoformat()
    telecom = []
    if p.phone and field_visible(areas, "phone"):
        telecom.append({"system": "phone", "value": p.phone})
    if getattr(p, "email", "") and field_visible(areas, "email"):
        telecom.append({"system": "email", "value": p.email})
    if telecom:
        out["telecom"] = telecom
    address = _address(p) if field_visible(areas, "address") else None
    if address:
        out["address"] = [address]
    if getattr(p, "emergency_contact_name", "") and field_visible(areas, "emergency_contact"):
        out["contact"] = [_emergency_contact(p)]
    if p.birth_sex and field_visible(areas, "birth_sex"):
        out["extension"] = [{"url": US_CORE_BIRTHSEX, "valueCode": p.birth_sex}]
    _deceased(out, p)
    if out.get("identifier") and out.get("name") and out.get("gender"):
        out["meta"] = {"profile": [US_CORE_PATIENT]}
    # the row's own update time (auto_now), and when her death was recorded or undone (review 30b H1)
    return last_updated(out, p.updated_at, *death_changed(p))


def _deceased(out: dict[str, Any], p: Patient) -> None:
    """Patient.active and deceased[x] after a death is recorded: a FHIR reader is never told she is alive.
    Lane fhir29: a search reads both with its statement (`with_death_day`); one record asks them here."""
    died, day = died_of(p)
    if not died:
        return
    out["active"] = False
    if day is not None:
        out["deceasedDateTime"] = day.isoformat()  # a FHIR dateTime may be a date alone
    else:
        out["deceasedBoolean"] = True


def _address(p: Patient) -> dict[str, Any] | None:
    """The home address with only the parts the record has (FHIR forbids empty strings)."""
    parts: dict[str, Any] = {}
    if getattr(p, "address_line", ""):
        parts["line"] = [p.address_line]
    for element, name in (("city", "city"), ("state", "region"), ("postalCode", "postal_code")):
        if getattr(p, name, ""):
            parts[element] = getattr(p, name)
    return {"use": "home", **parts} if parts else None


def _emergency_contact(p: Patient) -> dict[str, Any]:
    """Patient.contact: the emergency contact (HL7 v2 table 0131, code C), their relationship as text."""
    relationship: dict[str, Any] = {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "C"}]
    }
    if p.emergency_contact_relationship:
        relationship["text"] = p.emergency_contact_relationship
    contact: dict[str, Any] = {"relationship": [relationship], "name": {"text": p.emergency_contact_name}}
    if p.emergency_contact_phone:
        contact["telecom"] = [{"system": "phone", "value": p.emergency_contact_phone}]
    return contact


def organization(program: Program) -> dict[str, Any]:
    """The program. `meta.lastUpdated`: when it was made (`Program.created_at`): a program keeps no time of
    a later change (its name), so that is the nearest true time (session 24)."""
    out: dict[str, Any] = {
        "resourceType": "Organization",
        "id": str(program.pk),
        "identifier": [{"system": f"{KEEL}/program", "value": program.slug}],
        "active": True,
        "name": program.name,
    }
    return last_updated(out, program.created_at)


def practitioner(user: User) -> dict[str, Any]:
    """A staff member who prescribed, gave or recorded something in the record. `meta.lastUpdated`: when
    the account was made (`date_joined`): a user keeps no time of a later change of name or of its end, so
    that is the nearest true time (session 24)."""
    out: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": str(user.pk),
        "identifier": [{"system": STAFF_SYSTEM, "value": str(user.pk)}],
        "active": bool(user.is_active),
    }
    full = user.get_full_name().strip()
    if full:
        out["name"] = [{"text": full, **({"family": user.last_name} if user.last_name else {})}]
    return last_updated(out, user.date_joined)


def episode(e: Enrollment, changed: datetime) -> dict[str, Any]:
    """One episode of care. `changed`: when it last changed (an episode keeps no time of its own but the
    notice's and the consent's: its admission and its discharge are read from the audit trail,
    `record._episode_changes`)."""
    period: dict[str, str] = {"start": e.started_on.isoformat()}
    if e.ended_on:
        period["end"] = e.ended_on.isoformat()
    return last_updated(
        {
            "resourceType": "EpisodeOfCare",
            "id": f"enrollment-{e.pk}",
            "status": "active" if e.status == "active" else "finished",
            "patient": ref("Patient", e.patient_id),
            "managingOrganization": ref("Organization", e.program_id),
            "period": period,
        },
        changed,
    )


def _mg(value: Decimal) -> dict[str, Any]:
    return {"value": float(value), "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}


def medication_administration(d: DoseRecord, amendments: list[DoseAmendment]) -> dict[str, Any]:
    """One observed dose as it stands after its amendments: a voided dose is `entered-in-error`, a corrected
    one carries the corrected amount and is `completed` (`not-done` when corrected to none), each step in a
    note in its coded words (voided, or corrected from one amount to another; never the typed reason, which
    stays in Keel); the time is when it was given;
    the performer is the nurse or prescriber who gave it."""
    last = amendments[-1] if amendments else None
    correction = last.corrected_mg if last is not None and not last.voided else None
    corrected = correction is not None
    if last is not None and last.voided:
        status = "entered-in-error"
    elif correction is not None:  # what was taken: a held dose corrected to 30 mg was given
        status = "completed" if correction > 0 else "not-done"
    else:
        status = "completed" if d.status == "given" else "not-done"
    amount = correction if correction is not None else d.amount_mg
    out: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": f"dose-{d.pk}",
        "status": status,
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": d.order.rxnorm}],
            "text": d.medication,
        },
        "subject": ref("Patient", d.patient_id),
        "effectiveDateTime": instant(d.given_at or d.recorded_at),
        "performer": [{"actor": ref("Practitioner", d.recorded_by_id)}],
        "request": ref("MedicationRequest", d.order_id),
        "dosage": {"dose": _mg(amount)},
    }
    if status == "not-done":
        held = d.status != "given" and not corrected
        reason = "Dose held at the window" if held else "Dose corrected to none"
        out["statusReason"] = [{"text": reason}]
    notes = []
    before = d.amount_mg  # each correction is described from the amount it corrected
    for a in amendments:
        if a.voided or a.corrected_mg is None:
            what = "voided"
        else:
            what = f"corrected from {before.normalize():f} mg to {a.corrected_mg.normalize():f} mg"
            before = a.corrected_mg
        notes.append(
            {
                "authorReference": ref("Practitioner", a.amended_by_id),
                "time": instant(a.amended_at),
                # the correction's coded words only (the page's "voided", "55 mg"), never the typed reason:
                # what a staff member typed may name others or details the record does not carry (session 21)
                "text": f"Dose {what}",
            }
        )
    if notes:
        out["note"] = notes
    return last_updated(out, d.recorded_at, *(a.amended_at for a in amendments))


def practitioner_ids(resources: list[dict[str, Any]]) -> list[int]:
    """The staff members the resources name, in order of first mention."""
    found: dict[int, None] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            target = node.get("reference")
            if isinstance(target, str) and target.startswith("Practitioner/"):
                found.setdefault(int(target.split("/", 1)[1]), None)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(resources)
    return list(found)


_PURPOSE_OF_USE = {"treatment": "TREAT", "patient_request": "PATRQT"}  # hl7-v3-actreason


def _consent_provision(c: Consent, zone: tzinfo) -> dict[str, Any]:
    """What the consent permits: the period from the signing day to expiry, both on the program's clock
    (`zone`; review 20c: 23:30 in Los Angeles is that day, not the next UTC day), the recipient (IRCP), the
    categories, and the purpose of use when it has an HL7 code."""
    signed_on = c.signed_at.astimezone(zone).date()
    provision: dict[str, Any] = {
        "type": "permit",
        "period": {"start": signed_on.isoformat(), "end": c.expires_on.isoformat()},
        "actor": [
            {
                "role": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                            "code": "IRCP",
                            "display": "information recipient",
                        }
                    ]
                },
                "reference": {"display": c.recipient_name},
            }
        ],
        "code": [
            {
                "coding": [{"system": f"{KEEL}/CodeSystem/part2-category", "code": k}],
                "text": sharing.CONSENT_CATEGORIES.get(k, k),
            }
            for k in c.categories
        ],
    }
    if c.purpose in _PURPOSE_OF_USE:
        provision["purpose"] = [
            {
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                "code": _PURPOSE_OF_USE[c.purpose],
            }
        ]
    return provision


def _representative(c: Consent) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """Signed for the patient (42 CFR 2.14, 2.15): the representative as a contained RelatedPerson with their
    relationship, and their legal authority in its text; the patient stays a performer only when they signed
    too (a minor with their parent or guardian). Returns the RelatedPerson, the performers and the sentence
    added to the consent's text."""
    rel = c.representative_relationship
    related = {
        "resourceType": "RelatedPerson",
        "id": "representative",
        "text": narrative(
            f"{c.representative_name}, {sharing.REPRESENTATIVES.get(rel, rel)}. "
            f"Legal authority: {c.representative_authority}."
        ),
        "patient": ref("Patient", c.patient_id),
        "relationship": [
            {
                "coding": [{"system": _ROLE_CODE, **_REPRESENTATIVE_CODE[rel]}],
                "text": sharing.REPRESENTATIVES.get(rel, rel),
            }
        ],
        "name": [{"text": c.representative_name}],
    }
    performer = [{"reference": "#representative", "display": c.representative_name}]
    if c.patient_signature:
        performer.append(ref("Patient", c.patient_id))
    signed = (
        f" Signed for the patient by {c.representative_name} "
        f"({sharing.REPRESENTATIVES.get(rel, rel)}); legal authority: {c.representative_authority}."
    )
    return related, performer, signed


def _part2_scope_and_category() -> dict[str, Any]:
    """The fixed codes of a 42 CFR Part 2 consent: scope `patient-privacy`, category LOINC 59284-0 and the
    Part 2 consent directive."""
    return {
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "patient-privacy",
                    "display": "Privacy Consent",
                }
            ]
        },
        "category": [
            {"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]},
            {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "42CFRPart2CD"}
                ],
                "text": "42 CFR Part 2 consent directive",
            },
        ],
    }


def consent(
    c: Consent,
    *,
    revoked_at: datetime | None,
    today: date,
    zone: tzinfo,
    deceased: bool = False,
) -> dict[str, Any]:
    """A 42 CFR Part 2 consent (section 2.31) as a Consent: the patient, the program that may disclose, the
    recipient, the purpose, the categories, the expiry; revoked or expired consents, and a representative's
    once the record shows the death (`deceased`; `Consent.shown_status`, review 31c H2), are `inactive`.
    `zone`: the program's time zone, in which the signing day is read (required: never the server's or UTC's
    day, review 33b H3)."""
    state = c.shown_status(revoked_at=revoked_at, today=today, deceased=deceased)
    provision = _consent_provision(c, zone)
    scope_text = sharing.scope(c.recipient_name, c.purpose, c.purpose_text, tuple(c.categories), c.expires_on)
    performer: list[dict[str, Any]] = [ref("Patient", c.patient_id)]
    contained: list[dict[str, Any]] = []
    if getattr(c, "representative_name", ""):
        related, performer, signed = _representative(c)
        contained.append(related)
        scope_text += signed
    out: dict[str, Any] = {
        "resourceType": "Consent",
        "id": f"consent-{c.pk}",
        "text": narrative(scope_text + (" Revoked." if state == "revoked" else "")),
        "status": "active" if state == "active" else "inactive",
        **_part2_scope_and_category(),
        "patient": ref("Patient", c.patient_id),
        "dateTime": instant(c.signed_at),
        "performer": performer,
        "organization": [ref("Organization", c.program_id)],
        "policy": [
            {
                "authority": "https://www.ecfr.gov",
                "uri": "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2/subpart-C/section-2.31",
            }
        ],
        "provision": provision,
    }
    if contained:
        out = {"resourceType": "Consent", "id": out["id"], "text": out["text"], "contained": contained, **out}
    return last_updated(out, c.signed_at, revoked_at)  # a consent changes once after signing: its revocation


_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
# The representative's relationship in HL7 v3 RoleCode (RelatedPerson.relationship's value set).
_REPRESENTATIVE_CODE: dict[str, dict[str, str]] = {
    "parent": {"code": "PRN", "display": "parent"},
    "guardian": {"code": "GUARD", "display": "guardian"},
    "health_care_agent": {"code": "HPOWATT", "display": "healthcare power of attorney"},
    "personal_representative": {"code": "EXCEST", "display": "executor of estate"},
}

_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


def _as_sent(reference: Any) -> dict[str, Any]:
    """Another system's Reference, kept as text and identifier only: its literal reference points into that
    system and would not resolve here."""
    if not isinstance(reference, dict):
        return {"display": "not given"}
    out: dict[str, Any] = {}
    ident = reference.get("identifier")
    if isinstance(ident, dict) and isinstance(ident.get("value"), str):
        out["identifier"] = {k: ident[k] for k in ("system", "value") if isinstance(ident.get(k), str)}
    text = [str(reference[k]) for k in ("display", "reference") if isinstance(reference.get(k), str)]
    out["display"] = " | ".join(text) if text else "not given"
    return out


def _enterer(imp: ImportedResponse) -> dict[str, str]:
    """Who filed the response in Keel: the person herself, or a staff member."""
    if getattr(imp.received_by, "role", "") == "patient":
        return ref("Patient", imp.assessment.patient_id)
    return ref("Practitioner", imp.received_by_id)


def provenance(imp: ImportedResponse, patient: Patient) -> dict[str, Any]:
    """Where an imported QuestionnaireResponse came from: the sending system and its id for the response
    (entity, role source), the author and subject as the sender named them, and who filed it in Keel.
    Where `sharing.carried.sender_named` says no for `patient` (the scoped patient it is built for: inside a
    release to a recipient, review 32c H1; through emergency access, review 33b H2) only what `received`
    keeps: the sender, its author and its reference for the person are another party's facts."""
    if not sender_named(patient):
        return received(imp)
    sender_id = imp.sender_id_as_sent  # a later filing taken off the one-filing rule too (lane priv34)
    sent = f"QuestionnaireResponse {sender_id or '(no id)'} from {imp.sender_system or 'an unnamed system'}"
    subject = _as_sent(imp.subject)
    what: dict[str, Any] = {
        "display": f"{sent}; subject as sent: {subject['display']}; matched by {imp.matched_by}"
    }
    if sender_id:
        what["identifier"] = {
            "value": sender_id,
            **({"system": imp.sender_system} if imp.sender_system else {}),
        }
    out: dict[str, Any] = {
        "resourceType": "Provenance",
        "id": f"import-{imp.pk}",
        "target": [ref("QuestionnaireResponse", f"assessment-{imp.assessment_id}")],
        "recorded": instant(imp.received_at),
        "agent": [
            {"type": {"coding": [{"system": _PARTICIPANT, "code": "author"}]}, "who": _as_sent(imp.author)},
            {
                "type": {"coding": [{"system": _PARTICIPANT, "code": "custodian"}]},
                "who": {"display": imp.sender_system or "an unnamed system"},
            },
            {"type": {"coding": [{"system": _PARTICIPANT, "code": "enterer"}]}, "who": _enterer(imp)},
        ],
        "entity": [{"role": "source", "what": what}],
    }
    return last_updated(out, imp.received_at)


ANOTHER_SYSTEM = "another system"


def received(imp: ImportedResponse) -> dict[str, object]:
    """An imported response's Provenance as a release carries it (review 32c H1: reduced, not dropped): that
    it was received from another system, when, which response it is about, how Keel matched it to the person
    and who filed it; never the sending system's name or identifiers, the sender's author, its id for the
    response or its reference for the person (42 CFR 2.13(a), 2.31(a)(3); HIPAA 45 CFR 164.502(b)).
    `agent.who` and `entity.what` are display-only References (required by FHIR R4)."""
    out: dict[str, object] = {
        "resourceType": "Provenance",
        "id": f"import-{imp.pk}",
        "target": [ref("QuestionnaireResponse", f"assessment-{imp.assessment_id}")],
        "recorded": instant(imp.received_at),
        "agent": [
            {
                "type": {"coding": [{"system": _PARTICIPANT, "code": "custodian"}]},
                "who": {"display": ANOTHER_SYSTEM},
            },
            {"type": {"coding": [{"system": _PARTICIPANT, "code": "enterer"}]}, "who": _enterer(imp)},
        ],
        "entity": [
            {
                "role": "source",
                "what": {
                    "display": f"QuestionnaireResponse from {ANOTHER_SYSTEM}; matched by {imp.matched_by}"
                },
            }
        ],
    }
    return last_updated(out, imp.received_at)
