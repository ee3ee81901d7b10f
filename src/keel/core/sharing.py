"""Sharing under 42 CFR Part 2 (2024 final rule; reference section 15, correction 4): what a consent must
hold, when it covers a disclosure, the notice every disclosure carries, and what an emergency disclosure
must record. Plain Python: the caller passes today's date.

- **Consent (section 2.31 as amended):** the patient's name; who may disclose (the program); a specific
  description of the information, here by category; the recipient; the purpose; the right to revoke and how;
  an expiry date; the signature and the date signed; statements about redisclosure and that treatment does
  not depend on signing. Items 1-4 are [V]; 5-10 are the standard elements, wording UNVERIFIED, written here
  in plain words. Keel asks for an expiry *date* (never "none"): a consent to a named recipient for a purpose
  ends on a day the patient chose.
- **Who signs (sections 2.14, 2.15, 2024 [V]):** the patient; or a representative named with their
  relationship and the legal authority they act under (a court order, a health-care power of attorney,
  letters of administration...), recorded on the consent. A minor's consent needs the minor's own signature
  and, where state law requires it, also their parent's or guardian's (2.14(b)): a representative who signs
  for a minor signs with the minor, never instead. A parent has no standing for an adult child; an adult's
  guardian, health-care agent or personal representative (2.15(a), (b): incompetent or deceased) signs
  alone, and only with their authority recorded.
- **Coverage:** a disclosure needs a consent that is signed, not revoked (from the instant the revocation
  is recorded, whatever the clocks and zones), not expired on the day; the request names its recipient and
  purpose, which must be the consent's; and only the categories the consent names leave (SECURITY.md: "only
  the categories the purpose needs leave the system").
- **Notice (section 2.32, 2024):** each disclosure made with consent carries the short statement
  `NOTICE` and a clear description of the consent's scope (correction 4).
- **Medical emergency (section 2.51, 2024 [V]):** without consent, to medical personnel only, for a bona
  fide emergency; recorded right after: the recipient's name and affiliation, who disclosed, date and time,
  and the nature of the emergency. Keel also asks the recipient's medical role and sends only
  `EMERGENCY_CATEGORIES`. The emergency's words and the checks that read them are
  `keel.core.emergency_words` (issue #17); a name read as words is `keel.core.names`; both re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypedDict

from keel.core.decision import Decision, Reason
from keel.core.reasons import REASON_MIXED_SCRIPT
from keel.core.rules import policy
from keel.core.rules.base import NoPolicy
from keel.core.rules.inputs import Field, FieldError, InvalidInput, record_id
from keel.core.rules.policy import Limit, limit_for
from keel.core.text import mixed_script_words, visible_length
from keel.core.words import gettext_noop as N_

# The emergency's words and their checks (issue #17: `keel.core.emergency_words`) and the reading of a
# name (`keel.core.names`) live in their own modules; every old name is still importable from here.
# isort: off
from keel.core.emergency_words import (
    EmergencyTerms as EmergencyTerms,
    MEDICAL_ROLES as MEDICAL_ROLES,
    EMERGENCY_CATEGORIES as EMERGENCY_CATEGORIES,
    NATURE_MAX as NATURE_MAX,
    _NOT_MEDICAL_WORDS as _NOT_MEDICAL_WORDS,
    _NON_CLINICAL_OFFICES as _NON_CLINICAL_OFFICES,
    _PERSON_TITLES as _PERSON_TITLES,
    _TITLES_FIRST_ONLY as _TITLES_FIRST_ONLY,
    _MEDICAL_TITLES as _MEDICAL_TITLES,
    _NOT_MEDICAL_STEMS as _NOT_MEDICAL_STEMS,
    _NOT_MEDICAL as _NOT_MEDICAL,
    _CARE_KINDS as _CARE_KINDS,
    _CARE_OPERATORS as _CARE_OPERATORS,
    _FACILITY_WORDS as _FACILITY_WORDS,
    _CARE_WORDS as _CARE_WORDS,
    _BENEFITS_INSTITUTES as _BENEFITS_INSTITUTES,
    _phrases as _phrases,
    _INSIDE_A_WORD as _INSIDE_A_WORD,
    _readings as _readings,
    _names as _names,
    _spans as _spans,
    _names_outside as _names_outside,
    _non_clinical_office as _non_clinical_office,
    _non_medical_title as _non_medical_title,
    _not_medical as _not_medical,
    _NO_EMERGENCY as _NO_EMERGENCY,
    NO_EMERGENCY as NO_EMERGENCY,
    _nature as _nature,
)
from keel.core.names import (
    names_a_person,
    person_name_key,
    same_person_name,
    _is_latin as _is_latin,
    _NUMBER_SIGN as _NUMBER_SIGN,
    _ORDINAL as _ORDINAL,
    _LETTER_MARKS as _LETTER_MARKS,
    name_words as name_words,
)
# isort: on

SOURCES_CONSENT = ("cfr-2-31-2024",)
SOURCES_NOTICE = ("cfr-2-32-2024",)
SOURCES_EMERGENCY = ("cfr-2-51-2024",)
SOURCES_REPRESENTATIVE = ("cfr-2-14-2024", "cfr-2-15-2024")
FORM_VERSION = "keel-part2-consent-1"

# The short statement of section 2.32(a)(2) as amended in 2024 (correction 4: "use or disclosure").
NOTICE = N_("42 CFR part 2 prohibits unauthorized use or disclosure of these records.")

# Why a consent does not let a disclosure out: templates the pages and the API say in the reader's language
# (`keel.web.field_words`; the API in the request's, lane es21) and the audit page in its reader's
# (`keel.web.audit_words`); the English is what the audit trail keeps.
REVOKED = N_("The patient revoked this consent.")
ENDED = N_("This consent ended on %(date)s.")
UNKNOWN_KINDS = N_("Unknown kind of information: %(kinds)s.")
NOT_COVERED = N_("The consent does not cover: %(kinds)s.")
NO_SECTION = N_("The consent covers no section of a progress report.")
NOT_THE_RECIPIENT = N_("is not the recipient this consent names")
NOT_THE_PURPOSE = N_("is not the purpose this consent names")
SIGNER_AUTHORITY_ENDED = N_(
    "The person who signed this consent for the patient can no longer consent for them: the record leaves "
    "only on a new consent, signed by whoever has that authority now."
)
REFUSALS = (
    REVOKED,
    ENDED,
    UNKNOWN_KINDS,
    NOT_COVERED,
    NO_SECTION,
    NOT_THE_RECIPIENT,
    NOT_THE_PURPOSE,
    SIGNER_AUTHORITY_ENDED,
)

CATEGORIES: dict[str, str] = {
    "enrollment": N_("Enrollment: when care started and whether it is ongoing"),
    "medication": N_("Medication: current medicine and dose, and doses taken in the last 30 days"),
    "checkins": N_("Check-ins: how many in the last 30 days, average craving and mood, days with use"),
    "screenings": N_("Screening scores: the latest PHQ-9 and GAD-7 totals"),
}
# What a progress report held, as a disclosure's description (review 26b H11): stored in English for the
# record, said to each reader from its sections (`Disclosure.description_shown`).
PROGRESS_REPORT = N_("Progress report: %(sections)s")


def progress_report_description(categories: tuple[str, ...] | list[str]) -> str:
    """The English description of a progress report of `categories`, as a disclosure row stores it."""
    return PROGRESS_REPORT % {"sections": "; ".join(CATEGORIES[c] for c in categories)}


# The whole record as a file (the FHIR export): never a section of a progress report, so a consent must name
# it apart for the record itself to leave (42 CFR 2.31(a)(3): how much and what kind of information). Of her
# consents it carries the one it leaves under, never one to anyone else (review 32b H1, `sharing.carried`).
RECORD = "record"
CONSENT_CATEGORIES: dict[str, str] = {
    **CATEGORIES,
    # what a whole-record release carries, named (review 33b): her contact details and emergency contacts,
    # take-home doses and heart-rhythm (QTc) results too; the key stays `record`
    RECORD: N_(
        "My whole record as a file: my name, birth date and contact details (with my emergency contacts), "
        "diagnoses, medicines and doses (take-home doses too), questionnaires and their scores, heart-rhythm "
        "(QTc) results, care episodes, and my consents to this recipient (never my consents to anyone else)"
    ),
}
PURPOSES: dict[str, str] = {
    "patient_request": N_("At my request"),
    "treatment": N_("For my treatment by the recipient"),
    "court_program": N_("For a drug court or probation program I take part in"),
    "employment": N_("For my employer's return-to-work program"),
    "other": N_("Another purpose, described below"),
}
STATEMENTS = (
    N_(
        "I can take back (revoke) this consent at any time, in this app or in writing to the program, except "
        "for what was already shared because of it."
    ),
    N_(
        "42 CFR part 2 protects these records. The recipient may not use or share them further unless the "
        "law allows it."
    ),
    N_("My treatment, payment, enrollment and eligibility for benefits do not depend on whether I sign."),
)
MAX_YEARS = 5  # Keel's limit on how far ahead an expiry date may be; a new consent can follow
# The patient's accounting of disclosures covers the 3 years before the day she asks (42 CFR 2.24, 2.25):
# calendar years (`years_from`), not 3 x 365 days, which fall a day short across a 29 February (review 37d).
ACCOUNTING_YEARS = 3


def years_from(day: date, years: int) -> date:
    """The same calendar day `years` years later (earlier when negative); 29 February becomes 28 February,
    the earlier day (a look-back then covers a day more, never less; a limit ahead a day less, never more)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


def accounting_since(today: date) -> date:
    """The first day the accounting of disclosures covers, asked on `today` (the program's day)."""
    return years_from(today, -ACCOUNTING_YEARS)


# Who may sign for the patient (sections 2.14 and 2.15): the relationship, and for whom it gives standing.
# `minor`: a parent or guardian signs with a minor whose state requires their consent (2.14(b)); `adult`: a
# guardian or health-care agent for an adult who cannot decide (2.15(a)), an executor, administrator or other
# personal representative for a patient who died (2.15(b)).
REPRESENTATIVES: dict[str, str] = {
    "parent": N_("Parent of a minor"),
    "guardian": N_("Legal guardian"),
    "health_care_agent": N_("Health-care agent (health-care power of attorney or proxy)"),
    "personal_representative": N_(
        "Personal representative of a patient who died (executor or administrator)"
    ),
}
_REPRESENTS_MINORS = frozenset({"parent", "guardian"})
_REPRESENTS_ADULTS = frozenset({"guardian", "health_care_agent", "personal_representative"})
# A minor as section 2.14 uses the word is defined by state law: program policy (the deployment's
# KEEL_AGE_OF_MAJORITY), 18 by default, inside the Limit `policy.LIMITS[("consent", "age_of_majority")]`
# (floor 18, ceiling 21; source `cfr-2-14-2024`). Every caller passes the value in force.
AGE_OF_MAJORITY_DEFAULT = 18
AGE_OF_MAJORITY_SOURCES = ("cfr-2-14-2024",)


def age_of_majority_limit() -> Limit:
    found = limit_for(policy.CONSENT, "age_of_majority")
    assert found is not None
    return found


@dataclass(frozen=True)
class Representative:
    """Who signed for the patient, their relationship and the legal authority they act under."""

    name: str
    relationship: str
    authority: str


@dataclass(frozen=True)
class ConsentTerms:
    recipient_name: str
    purpose: str
    purpose_text: str
    categories: tuple[str, ...]
    expires_on: date
    signature: str  # the typed name of whoever signed: the patient, or the representative
    representative: Representative | None = None
    patient_signature: str = ""  # a minor's own signature next to their representative's (2.14(b))


def _text(raw: Mapping[str, object], name: str, errors: list[FieldError], *, low: int, high: int) -> str:
    value = raw.get(name)
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        errors.append(FieldError(name, N_("must be text")))
    elif visible_length(text) < low:  # characters no one sees are no text (review 19b)
        if not visible_length(text):
            errors.append(FieldError(name, N_("is required")))
        else:  # every length said through the catalogue (review 24r: "needs at least 10 characters" was not)
            errors.append(FieldError.said(name, N_("needs at least %(n)s characters"), n=low))
    elif len(text) > high:
        errors.append(FieldError.said(name, N_("can be at most %(high)s characters"), high=high))
    return text


def _recipient(raw: Mapping[str, object], errors: list[FieldError]) -> str:
    """The recipient's name (2 to 200 visible characters) with at least one letter or digit: "★★" or "--"
    names no one, and would be the same recipient as no other (`same_name`; review 21z); and no word mixing
    scripts (`_mixed_scripts`)."""
    recipient = _text(raw, "recipient_name", errors, low=2, high=200)
    if recipient and not any(e.field == "recipient_name" for e in errors) and not name_words(recipient):
        errors.append(FieldError("recipient_name", N_("name the recipient in letters or digits")))
    _mixed_scripts("recipient_name", recipient, errors)
    return recipient


def _mixed_scripts(field: str, text: str, errors: list[FieldError]) -> None:
    """Refuse a recipient or facility with a word mixing scripts (`keel.core.text.mixed_script_words`: one
    Cyrillic letter in "Jail" or "Police"), as a typed reason is (review 22p)."""
    if text and not any(e.field == field for e in errors) and mixed_script_words(name_words(text).split()):
        errors.append(FieldError(field, REASON_MIXED_SCRIPT))


def _folded(name: str) -> str:
    """A typed name (a signature, a representative's name) compared with the record's name: the same
    person's name, as the registration's duplicate search reads it (`keel.core.names.person_name_key`, the
    one fold: case, accents, dashes, apostrophes and spacing do not matter). Issue #17: it once kept only
    ASCII, so two names in another script both read "" and matched; review 30c H1: a mark on a letter of
    another script is kept). Compared with `same_person_name`, where a name with no letter matches none."""
    return person_name_key(name)


# A typed person's name (a representative's, a signature) with no letter names no one (review 30c H3), as a
# recipient's name with no letter or digit does (`_recipient`, review 21z).
NAMES_NO_ONE = N_("type a name in letters: this names no one")


def _person_text(raw: Mapping[str, object], name: str, errors: list[FieldError]) -> str:
    """A typed person's name (2 to 200 visible characters, `_text`) with a letter once folded
    (`keel.core.names.names_a_person`): "--" or "''" names no one and is refused naming the field."""
    text = _text(raw, name, errors, low=2, high=200)
    if text and not any(e.field == name for e in errors) and not names_a_person(text):
        errors.append(FieldError(name, NAMES_NO_ONE))
        return ""
    return text


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


# After a death is recorded, who may sign (2.15(b)): said of the patient's own signature and of any
# representative but a personal representative; the service audits a refusal that says it (review 28a H5).
ONLY_PERSONAL_REPRESENTATIVE = N_(
    "the record shows the patient died: only a personal representative "
    "(executor or administrator) can sign a consent now"
)


def _representative(
    raw: Mapping[str, object],
    errors: list[FieldError],
    *,
    date_of_birth: date | None,
    today: date,
    age_of_majority: int,
    patient_name: str,
    deceased: bool,
) -> Representative | None:
    """The representative who signs for the patient (sections 2.14, 2.15), or None when the patient signs.
    Each missing element is named; a relationship without standing for this patient is refused: the patient
    themself named as their own representative (a minor as their own parent, an adult as their own agent:
    a substitute decision-maker who does not exist), a personal representative of a patient who died
    while the record shows no death, and the patient's own signature once the record shows the death: after
    death only an executor, administrator or other personal representative consents (2.15(b))."""
    signer = raw.get("signer", "patient")
    if signer in (None, "", "patient"):
        _refuse_representative_fields(raw, errors)
        if deceased:
            errors.append(FieldError("signer", ONLY_PERSONAL_REPRESENTATIVE))
        return None
    if signer != "representative":
        errors.append(FieldError("signer", N_("must be patient or representative")))
        return None
    name = _person_text(raw, "representative_name", errors)
    relationship = raw.get("representative_relationship")
    authority = _text(raw, "representative_authority", errors, low=5, high=500)
    if not isinstance(relationship, str) or relationship not in REPRESENTATIVES:
        errors.append(
            FieldError.said(
                "representative_relationship",
                N_("must be one of: %(items)s"),
                items=", ".join(REPRESENTATIVES),
            )
        )
        return Representative(name, "", authority)  # still the signer: their name is checked
    relationship = str(relationship)  # one of REPRESENTATIVES: the same value
    _refuse_without_standing(name, relationship, errors, patient_name=patient_name, deceased=deceased)
    _refuse_for_age(
        relationship, errors, date_of_birth=date_of_birth, today=today, age_of_majority=age_of_majority
    )
    return Representative(name, relationship, authority)


def _refuse_representative_fields(raw: Mapping[str, object], errors: list[FieldError]) -> None:
    """The patient signs: a representative's name, relationship or authority given anyway is refused once."""
    for name in ("representative_name", "representative_relationship", "representative_authority"):
        if raw.get(name) not in (None, ""):
            errors.append(
                FieldError("signer", N_("choose representative when someone signs for the patient"))
            )
            break


def _refuse_without_standing(
    name: str, relationship: str, errors: list[FieldError], *, patient_name: str, deceased: bool
) -> None:
    """The patient named as their own representative; a personal representative while the record shows no
    death; once it shows the death, anyone but a personal representative (a health-care agent's or a
    guardian's authority ends at death, review 28a H5): 2.15(b)."""
    if name and same_person_name(name, patient_name):
        errors.append(
            FieldError(
                "representative_name",
                N_(
                    "is the patient's own name: a representative is someone else; "
                    "when the patient signs, choose patient as the signer"
                ),
            )
        )
    if relationship == "personal_representative" and not deceased:
        errors.append(
            FieldError(
                "representative_relationship",
                N_(
                    "a personal representative signs only for a patient who died, "
                    "and the record shows no death"
                ),
            )
        )
    if deceased and relationship != "personal_representative":
        errors.append(
            FieldError(
                "representative_relationship",
                ONLY_PERSONAL_REPRESENTATIVE,
            )
        )


def _refuse_for_age(
    relationship: str,
    errors: list[FieldError],
    *,
    date_of_birth: date | None,
    today: date,
    age_of_majority: int,
) -> None:
    """A parent without a birth date; for a minor, a parent or guardian signs with them; for an adult, never
    a parent (2.14, 2.15(a))."""
    minor = is_minor(date_of_birth, today, age_of_majority)
    if date_of_birth is None and relationship == "parent":
        errors.append(
            FieldError(
                "representative_relationship",
                N_("a parent signs only for a minor: the record has no birth date"),
            )
        )
    elif minor and relationship not in _REPRESENTS_MINORS:
        errors.append(
            FieldError(
                "representative_relationship", N_("for a minor, a parent or guardian signs with the minor")
            )
        )
    elif not minor and relationship not in _REPRESENTS_ADULTS:
        errors.append(
            FieldError(
                "representative_relationship",
                N_(
                    "a parent cannot sign for an adult: only a guardian, health-care agent or personal "
                    "representative with legal authority"
                ),
            )
        )


def is_minor(date_of_birth: date | None, today: date, age_of_majority: int) -> bool:
    """Under the age of majority in force (program policy: a value outside its Limit is never used)."""
    problem = age_of_majority_limit().problem(age_of_majority)
    if problem:
        raise ValueError(f"age_of_majority {problem}")
    return date_of_birth is not None and age_on(date_of_birth, today) < age_of_majority


def _purpose(raw: Mapping[str, object], errors: list[FieldError]) -> tuple[object, str]:
    """The purpose, one of PURPOSES, and its words (required, 5 characters at least, for other)."""
    purpose = raw.get("purpose")
    if not isinstance(purpose, str) or purpose not in PURPOSES:  # a list is no key (review 13a: a 500)
        errors.append(FieldError.said("purpose", N_("must be one of: %(items)s"), items=", ".join(PURPOSES)))
    purpose_text = _text(raw, "purpose_text", errors, low=0, high=500)
    if purpose == "other" and visible_length(purpose_text) < 5:
        errors.append(FieldError("purpose_text", N_("describe the purpose (at least 5 characters)")))
    return purpose, purpose_text


def _categories(raw: Mapping[str, object], errors: list[FieldError]) -> Sequence[object]:
    """The kinds of information: a non-empty list of CONSENT_CATEGORIES (an empty list when it is not one)."""
    categories = raw.get("categories")
    if not isinstance(categories, list | tuple) or not categories:
        errors.append(FieldError("categories", N_("choose at least one kind of information")))
        categories = []
    elif any(not isinstance(c, str) or c not in CONSENT_CATEGORIES for c in categories):
        errors.append(
            FieldError.said(
                "categories", N_("each must be one of: %(items)s"), items=", ".join(CONSENT_CATEGORIES)
            )
        )
    return categories


def _expires_on(raw: Mapping[str, object], errors: list[FieldError], *, today: date) -> date:
    """The expiry date: given, after today, at most MAX_YEARS ahead (today when it is missing or wrong)."""
    expires_raw = raw.get("expires_on")
    expires_on = today
    try:
        expires_on = date.fromisoformat(str(expires_raw)) if expires_raw else today
        if not expires_raw:
            errors.append(FieldError("expires_on", N_("is required: the day the consent ends")))
        elif expires_on <= today:
            errors.append(FieldError("expires_on", N_("must be after today")))
        elif expires_on > years_from(today, MAX_YEARS):
            errors.append(
                FieldError.said(
                    "expires_on", N_("can be at most %(max_years)s years from today"), max_years=MAX_YEARS
                )
            )
    except ValueError:
        errors.append(FieldError("expires_on", N_("must be a date like 2027-01-31")))
    return expires_on


def _signatures(
    raw: Mapping[str, object],
    errors: list[FieldError],
    representative: Representative | None,
    patient_name: str,
    date_of_birth: date | None,
    today: date,
    age_of_majority: int,
) -> tuple[str, str]:
    """The signature (the patient's name, or the representative's) and, for a minor who has a representative,
    the minor's own signature too (2.14(b): never replaced); "" when there is none."""
    signature = _person_text(raw, "signature", errors)
    patient_signature = ""
    if representative is None:
        if signature and not same_person_name(signature, patient_name):
            errors.append(FieldError("signature", N_("type your full name as it appears on your record")))
    else:
        if signature and representative.name and not same_person_name(signature, representative.name):
            errors.append(FieldError("signature", N_("the representative signs by typing their own name")))
        if is_minor(date_of_birth, today, age_of_majority):  # 2.14(b): the minor signs too, never replaced
            patient_signature = _person_text(raw, "patient_signature", errors)
            if patient_signature and not same_person_name(patient_signature, patient_name):
                errors.append(
                    FieldError(
                        "patient_signature", N_("the minor signs too, with their name as on the record")
                    )
                )
    return signature, patient_signature


def parse_consent(
    raw: Mapping[str, object],
    *,
    patient_name: str,
    today: date,
    date_of_birth: date | None = None,
    age_of_majority: int = AGE_OF_MAJORITY_DEFAULT,
    deceased: bool = False,
) -> ConsentTerms:
    """The consent as the patient (or their representative) filled it, every element checked; InvalidInput
    names each bad field. `date_of_birth` and the program's `age_of_majority` decide whether the patient is a
    minor (section 2.14); `deceased` (the record shows the patient died) whether a personal representative has
    standing (section 2.15(b))."""
    errors: list[FieldError] = []
    representative = _representative(
        raw,
        errors,
        date_of_birth=date_of_birth,
        today=today,
        age_of_majority=age_of_majority,
        patient_name=patient_name,
        deceased=deceased,
    )
    recipient = _recipient(raw, errors)
    purpose, purpose_text = _purpose(raw, errors)
    categories = _categories(raw, errors)
    expires_on = _expires_on(raw, errors, today=today)
    signature, patient_signature = _signatures(
        raw, errors, representative, patient_name, date_of_birth, today, age_of_majority
    )
    if raw.get("understood") is not True:
        errors.append(FieldError("understood", N_("confirm that you read what this consent means")))
    if errors:
        raise InvalidInput(errors)
    kinds = tuple(c for c in CONSENT_CATEGORIES if c in set(categories))
    return ConsentTerms(
        recipient, str(purpose), purpose_text, kinds, expires_on, signature, representative, patient_signature
    )


def parse_emergency(raw: Mapping[str, object]) -> EmergencyTerms:
    """What section 2.51 requires be named and recorded (the discloser and the time come from the session and
    the clock): the receiving medical personnel (person, role, facility) and the nature of the emergency; and
    only what the emergency needs. A court, an employer or any other non-medical recipient is refused."""
    errors: list[FieldError] = []
    recipient = _recipient(raw, errors)
    role = raw.get("recipient_role")
    if not isinstance(role, str) or role not in MEDICAL_ROLES:  # a list is no key (review 13a: a 500)
        errors.append(FieldError("recipient_role", N_("choose the role of the receiving medical personnel")))
    affiliation = _text(raw, "recipient_affiliation", errors, low=2, high=200)
    _mixed_scripts("recipient_affiliation", affiliation, errors)
    nature = _nature(raw, errors)
    for field, text in (("recipient_name", recipient), ("recipient_affiliation", affiliation)):
        if (
            _not_medical(text)
            or _non_clinical_office(text)
            or (field == "recipient_name" and _non_medical_title(text))
        ):
            errors.append(
                FieldError(field, N_("a medical emergency allows disclosure only to medical personnel"))
            )
    if (
        affiliation
        and not _not_medical(affiliation)
        and not _non_clinical_office(affiliation)
        and not _names(affiliation, _CARE_WORDS)
    ):
        errors.append(
            FieldError(
                "recipient_affiliation",
                N_("name the place of care (a hospital, clinic, emergency service): only medical personnel"),
            )
        )
    asked = raw.get("categories")
    if not isinstance(asked, list | tuple) or not asked or not all(isinstance(c, str) for c in asked):
        errors.append(FieldError("categories", N_("choose what the emergency needs")))
        asked = []
    elif any(c not in EMERGENCY_CATEGORIES for c in asked):
        errors.append(FieldError("categories", N_("an emergency needs only enrollment and medication")))
    if errors:
        raise InvalidInput(errors)
    categories = tuple(c for c in EMERGENCY_CATEGORIES if c in set(asked))
    return EmergencyTerms(recipient, str(role), affiliation, nature, categories)


def status(*, expires_on: date, revoked_at: datetime | None, today: date) -> str:
    """active | revoked | expired (a consent covers its expiry day itself).

    A revocation is in force from the moment it is recorded, whatever any clock or time zone says: it is never
    dated ahead, so its existence is enough. Comparing its instant with "now" would let a server whose clock
    runs behind the one that recorded it disclose after it; comparing dates would let a server in a zone ahead
    of the program's do the same until midnight."""
    if revoked_at is not None:
        return "revoked"
    return "active" if today <= expires_on else "expired"


class DisclosureDetails(TypedDict):
    """A disclosure decision's other output: the record's sections that may leave (none when refused)."""

    categories: list[str]


# A consent a representative signed for the patient while she lived, read once the record shows her death
# (lane priv31, decided the safe way): the signer's authority to consent for her ended at the death. HIPAA 45
# CFR 164.502(g)(4): after a death the personal representative is the executor, administrator or other person
# with authority under applicable law to act for the deceased or her estate, not her guardian or agent; 42
# CFR 2.15(b)(2): a deceased patient's written consent is given by an executor, administrator or other
# personal representative (or, when none is appointed, spouse or family). So a consent her guardian, her
# health-care agent or her parent signed for her, with no signature of her own, stops releasing at the
# recorded death. One she signed herself keeps releasing until its own end, alone (lane dead29a) or next to
# her parent or guardian (review 31c H3: 42 CFR 2.14(b), a minor consents herself and the parent's consent
# is in addition to hers; death is not among the defects of 2.31(c), so her own signature still stands). A
# personal representative's is the one signed after the death. The words never name the death: the
# recipient's own system (a token) is told only that the signer's authority ended (HIPAA 164.502(b), minimum
# necessary); the staff page shows the death itself. An undone death (recorded by mistake) makes such a
# consent release again: the rule reads the death as recorded now. Wherever a consent's state is shown (the
# sharing page and API, the FHIR Consent) such a consent is `SIGNER_ENDED`, not "active" (review 31c H2).
AUTHORITY_ENDS_AT_DEATH = frozenset({"parent", "guardian", "health_care_agent"})
SOURCES_AUTHORITY_AT_DEATH = ("hipaa-164-502-g", "cfr-2-14-2024", "cfr-2-15-2024")


SIGNER_ENDED = "signer_ended"  # a consent's state once its signer's authority ended (with active, ...)


def signer_authority_ended(signed_by: str, *, deceased: bool, patient_signed: bool = False) -> bool:
    """Whether the consent's signer (`signed_by`: its representative's relationship, "" when the patient
    signed alone) can no longer consent for the patient: a living patient's representative once the record
    shows the death (`AUTHORITY_ENDS_AT_DEATH`, sources `SOURCES_AUTHORITY_AT_DEATH`), unless the patient
    signed it too (`patient_signed`: her own signature stands, review 31c H3)."""
    return deceased and not patient_signed and signed_by in AUTHORITY_ENDS_AT_DEATH


def shown_status(state: str, *, authority_ended: bool) -> str:
    """A consent's state as shown (`status`), `SIGNER_ENDED` when its end day and revocation leave it
    active but its signer's authority ended (`signer_authority_ended`): what a release would do."""
    return SIGNER_ENDED if state == "active" and authority_ended else state


def check_disclosure(
    *,
    expires_on: date,
    revoked_at: datetime | None,
    consent_categories: tuple[str, ...],
    asked: tuple[str, ...],
    today: date,
    authority_ended: bool = False,
) -> Decision[NoPolicy, DisclosureDetails]:
    """Whether the consent covers a disclosure of `asked` today; what may leave is `details["categories"]`.
    `authority_ended`: its signer can no longer consent (`signer_authority_ended`, asked of the consent row
    by `Consent.signer_authority_ended`)."""
    state = status(expires_on=expires_on, revoked_at=revoked_at, today=today)
    if state == "revoked":
        return _refuse(REVOKED)
    if state == "expired":
        return _refuse(ENDED, date=expires_on.isoformat())
    if authority_ended:
        return _refuse(SIGNER_AUTHORITY_ENDED, sources=SOURCES_AUTHORITY_AT_DEATH)
    unknown = [c for c in asked if c not in CONSENT_CATEGORIES]
    if unknown:
        return _refuse(UNKNOWN_KINDS, kinds=", ".join(unknown))
    outside = [c for c in asked if c not in consent_categories]
    if outside:
        return _refuse(NOT_COVERED, kinds=", ".join(outside))
    # Nothing named: the consent's report sections (the whole record leaves only when asked for by name).
    chosen = tuple(c for c in consent_categories if (c in asked if asked else c in CATEGORIES))
    if not chosen:
        return _refuse(NO_SECTION)
    return Decision(
        "part2-disclosure",
        "1",
        "allowed",
        (
            Reason(f"Signed consent, active until {expires_on.isoformat()}.", SOURCES_CONSENT),
            Reason("Only the information the consent names is shared.", SOURCES_CONSENT),
            Reason("The disclosure carries the section 2.32 notice and the consent's scope.", SOURCES_NOTICE),
        ),
        details={"categories": list(chosen)},
    )


@dataclass(frozen=True)
class DisclosureRequest:
    """Who a disclosure goes to and why, as the staff member sends it; it must match the consent."""

    recipient_name: str
    purpose: str
    purpose_text: str


def same_name(a: str, b: str) -> bool:
    """Whether two names are the same recipient (`name_words`); a name with no letter or digit is no one's."""
    words = name_words(a)
    return bool(words) and words == name_words(b)


def parse_request(raw: Mapping[str, object]) -> DisclosureRequest:
    """The recipient and the purpose a disclosure request carries; InvalidInput names each missing one."""
    errors: list[FieldError] = []
    recipient = _recipient(raw, errors)
    purpose = raw.get("purpose")
    if not isinstance(purpose, str) or purpose not in PURPOSES:  # a list is no key (review 13a: a 500)
        errors.append(FieldError("purpose", N_("choose the purpose the consent names")))
    purpose_text = _text(raw, "purpose_text", errors, low=0, high=500)
    if errors:
        raise InvalidInput(errors)
    return DisclosureRequest(recipient, str(purpose), purpose_text)


# The body of a disclosure request, as the API and the page post it: a consent's (who and why, matched to the
# consent) or a medical emergency's (section 2.51). `parse_disclosure` checks it.
BASES = ("consent", "emergency")
DISCLOSURE = (
    Field("basis", "choice", choices=BASES, help="consent: under a consent; emergency: section 2.51"),
    Field("consent", "integer", required=False, minimum=1, help="basis consent: the consent's id"),
    Field("categories", "choices", required=False, choices=tuple(CATEGORIES), help="blank: the consent's"),
    Field("recipient_name", "text", required=False, maximum=200, default=""),
    Field("purpose", "choice", required=False, choices=tuple(PURPOSES), help="basis consent"),
    Field("purpose_text", "text", required=False, maximum=500, default=""),
    Field("recipient_role", "choice", required=False, choices=tuple(MEDICAL_ROLES), help="basis emergency"),
    Field("recipient_affiliation", "text", required=False, maximum=200, default=""),
    Field("nature", "text", required=False, maximum=1000, default="", help="basis emergency"),
    Field("password", "text", help="your password again: a record leaves"),
)


class TermsInvalid(InvalidInput):
    """A disclosure request whose recipient and purpose (or an emergency's facts) are wrong: the refusal the
    trail records, naming the fields (a wrong basis or list of categories is refused before it)."""


def _disclosure_basis(raw: Mapping[str, object]) -> str:
    """Step 1: the basis is a consent or an emergency."""
    basis = raw.get("basis")
    if not isinstance(basis, str) or basis not in BASES:
        raise InvalidInput([FieldError("basis", N_("must be consent or emergency"))])
    return basis


def _disclosure_asked(raw: Mapping[str, object]) -> tuple[str, ...]:
    """Step 2: the categories asked are a list of kinds of information, never the whole record."""
    asked = raw.get("categories") or []
    if not isinstance(asked, list | tuple) or not all(isinstance(c, str) for c in asked):
        raise InvalidInput([FieldError("categories", N_("must be a list of kinds of information"))])
    if RECORD in asked:
        raise InvalidInput(
            [FieldError("categories", N_("the whole record leaves only as the record export"))]
        )
    return tuple(asked)


class DisclosureValues(TypedDict):
    """The values of `DISCLOSURE` once `parse_disclosure` checked them, in its order: under a consent no
    emergency's role (None), affiliation or nature (""); in an emergency no consent or purpose (None)."""

    basis: str
    consent: int | None
    categories: list[str]
    recipient_name: str
    purpose: str | None
    purpose_text: str
    recipient_role: str | None
    recipient_affiliation: str
    nature: str
    password: str


def _consent_values(raw: Mapping[str, object], basis: str, asked: tuple[str, ...]) -> DisclosureValues:
    """Under a consent: the recipient and purpose named (`parse_request`), the categories as asked and the
    consent's id (None when it names no row); the emergency's fields at their `DISCLOSURE` defaults."""
    request = parse_request(raw)
    return DisclosureValues(
        basis=basis,
        consent=record_id(raw.get("consent")),
        categories=list(asked),
        recipient_name=request.recipient_name,
        purpose=request.purpose,
        purpose_text=request.purpose_text,
        recipient_role=None,
        recipient_affiliation="",
        nature="",
        password="",
    )


def _emergency_values(raw: Mapping[str, object], basis: str) -> DisclosureValues:
    """In an emergency: its facts (`parse_emergency`) and the categories it needs; no consent, no purpose."""
    terms = parse_emergency(raw)
    return DisclosureValues(
        basis=basis,
        consent=None,
        categories=list(terms.categories),
        recipient_name=terms.recipient_name,
        purpose=None,
        purpose_text="",
        recipient_role=terms.recipient_role,
        recipient_affiliation=terms.recipient_affiliation,
        nature=terms.nature,
        password="",
    )


def parse_disclosure(raw: Mapping[str, object]) -> DisclosureValues:
    """The values of `DISCLOSURE`, each step refusing on its own: the basis, then the categories asked, then
    the recipient and purpose (`parse_request`) or the emergency's facts (`parse_emergency`), refused as
    TermsInvalid. Under a consent `categories` is what was asked (the consent decides what leaves) and
    `consent` the id named (None when it names no row); in an emergency, the categories the emergency needs.
    The password is as typed (anything but text: ""), checked by the caller; other keys are ignored here (a
    page's form carries its token; the API's JSON body refuses them by name first, in
    `keel.api_body.CoreIn.parse`: review 13a)."""
    basis = _disclosure_basis(raw)
    asked = _disclosure_asked(raw)
    try:
        values = _consent_values(raw, basis, asked) if basis == "consent" else _emergency_values(raw, basis)
    except InvalidInput as exc:
        raise TermsInvalid(exc.errors) from None
    password = raw.get("password")
    values["password"] = password if isinstance(password, str) else ""
    return values


def mismatches(
    request: DisclosureRequest, *, recipient_name: str, purpose: str, purpose_text: str
) -> list[FieldError]:
    """Where the request leaves the consent: another recipient or another purpose is never recorded as the
    consented one (section 2.31(a)(4), (a)(5): the consent names both)."""
    errors: list[FieldError] = []
    if not same_name(request.recipient_name, recipient_name):
        errors.append(FieldError("recipient_name", NOT_THE_RECIPIENT))
    if request.purpose != purpose or (
        purpose == "other" and name_words(request.purpose_text) != name_words(purpose_text)
    ):
        errors.append(FieldError("purpose", NOT_THE_PURPOSE))
    return errors


def _refuse(
    why: str, sources: tuple[str, ...] = SOURCES_CONSENT, **params: str
) -> Decision[NoPolicy, DisclosureDetails]:
    """A refusal said from its template (`why`, marked for the catalogue), so a page can translate it."""
    return Decision(
        "part2-disclosure",
        "1",
        "refused",
        (Reason.said(why, sources, **params),),
        details={"categories": []},
    )


def scope(
    recipient_name: str, purpose: str, purpose_text: str, categories: tuple[str, ...], expires_on: date
) -> str:
    """A clear description of the consent's scope, sent with each disclosure (section 2.32, 2024)."""
    what = "; ".join(CONSENT_CATEGORIES[c] for c in categories)
    why = purpose_text if purpose == "other" else PURPOSES[purpose]
    return (
        f"Shared with {recipient_name} for this purpose: {why}. Information: {what}. "
        f"Consent ends {expires_on.isoformat()}."
    )
