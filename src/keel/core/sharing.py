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
  `EMERGENCY_CATEGORIES`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, TypedDict

from keel.core.decision import Decision, Reason
from keel.core.reasons import REASON_MIXED_SCRIPT, reason_problem, reason_text
from keel.core.rules import policy
from keel.core.rules.base import NoPolicy
from keel.core.rules.inputs import Field, FieldError, InvalidInput, record_id
from keel.core.rules.policy import Limit, limit_for
from keel.core.text import mixed_script_words, shown_text, skeleton, visible_length
from keel.core.words import gettext_noop as N_

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
REFUSALS = (REVOKED, ENDED, UNKNOWN_KINDS, NOT_COVERED, NO_SECTION, NOT_THE_RECIPIENT, NOT_THE_PURPOSE)

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
# it apart for the record itself to leave (42 CFR 2.31(a)(3): how much and what kind of information).
RECORD = "record"
CONSENT_CATEGORIES: dict[str, str] = {
    **CATEGORIES,
    RECORD: N_(
        "My whole record as a file: diagnoses, medicines and doses, questionnaires, care episodes, consents"
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


@dataclass(frozen=True)
class EmergencyTerms:
    recipient_name: str
    recipient_role: str
    recipient_affiliation: str  # the health care facility
    nature: str
    categories: tuple[str, ...]


# Section 2.51: only to medical personnel. The roles a receiving person may hold (Keel's list).
MEDICAL_ROLES: dict[str, str] = {
    "physician": N_("Physician"),
    "nurse": N_("Nurse"),
    "nurse_practitioner": N_("Nurse practitioner"),
    "physician_assistant": N_("Physician assistant"),
    "paramedic": N_("Paramedic or emergency medical technician"),
    "pharmacist": N_("Pharmacist"),
    "poison_center": N_("Poison center specialist"),
}
# What a medical emergency needs (Keel's product rule, `keel-emergency-categories`): the medicine and dose
# the person takes and whether and since when they are in care. Check-in answers and screening scores stay.
EMERGENCY_CATEGORIES = ("enrollment", "medication")
NATURE_MAX = 1000  # the nature of an emergency: the record's room (`EmergencyDisclosure.nature`)
# Words that name a recipient who is not medical personnel, in each language Keel speaks: courts, law
# enforcement, jails, lawyers, employers, schools, insurers, landlords, immigration, child and family
# services. A facility or person so named is refused (section 2.51 is for medical personnel only). Matched as
# whole words (and phrases of words) on their skeletons (`_names`): case, accents and look-alike letters do
# not matter ("Policía" is "policia", "J\u0430il" with a Cyrillic "a" is "jail"; review 22p). Not "seguro"
# alone: Latin America's social security runs clinics ("Clínica del Seguro Social"; "seguros", the plural an
# insurance business is named with, is refused: review 22s); not "familia" alone ("Médico de Familia"); not
# "university" or "universidad" (review 23s): the academic medical centres are universities' ("Temple
# University Hospital", "Hospital Universitario de la Universidad Autónoma de Nuevo León"), the ED a person
# is taken to; a university named without a care word is still asked to name the place of care.
# With them, every form of `_NOT_MEDICAL_STEMS`. A jail's or prison's own medical unit ("Correctional Health
# Services", "County Jail Clinic") is refused too, though its staff give care: Keel cannot tell from a typed
# name whether a recipient inside a jail is medical personnel kept apart from custody, Part 2 lets records
# reach the criminal justice system under a consent (sections 2.31, 2.35), and in an emergency the record
# goes to the hospital or emergency service the person is taken to (review 22s).
_NOT_MEDICAL_WORDS = (
    # English
    "court", "courts", "judge", "judicial", "probation", "parole", "police", "sheriff", "sheriffs", "jail",
    "prison", "correctional", "corrections", "attorney", "attorneys", "lawyer", "lawyers", "prosecutor",
    "district attorney", "law firm", "employer", "human resources", "hr department", "school",
    "insurance", "insurer", "landlord", "child protective", "immigration", "courthouse", "detention",
    "homeland", "workplace", "warehouse", "fulfillment", "children and family", "family services",
    "social services", "department of corrections",
    # Spanish
    "policía", "policías", "guardia civil", "guardia nacional", "comisaría", "cárcel", "cárceles", "prisión",
    "penal", "penitenciaría", "penitenciario", "reclusorio", "centro de readaptación", "correccional",
    "juzgado", "juzgados", "tribunal", "tribunales", "corte", "juez", "jueza", "fiscal", "fiscalía",
    "ministerio público", "abogado", "abogados", "abogada", "abogadas", "bufete", "despacho jurídico",
    "libertad condicional", "libertad vigilada", "alguacil", "empleador", "empleadora", "recursos humanos",
    "escuela", "colegio", "aseguradora", "aseguradoras", "compañía de seguros", "casero",
    "arrendador", "inmigración", "migración", "centro de detención", "lugar de trabajo", "almacén",
    "protección infantil", "protección de menores", "servicios sociales", "servicios familiares",
    "seguros", "fianza", "fianzas", "afianzadora", "afianzadoras", "aduana", "aduanas",
    # English, added by review 22s
    "bail", "bail bond", "bail bonds", "bondsman", "bondsmen", "law enforcement", "customs enforcement",
    "trooper", "troopers", "detention",
    # Review 23s: insurers and health plans named with a care word ("Molina Healthcare", "Humana Health
    # Plan", "Triple-S Salud", "MAPFRE Salud", "Plan de Salud del Gobierno"): the plan or payer itself, and
    # the insurers of the US, Puerto Rico and Mexico whose name is only an insurer's (never one that also runs
    # clinics under its name: "Kaiser Permanente", "Optum" are places of care). A name that is also a surname
    # or a word ("Molina", "humana": "Dr. Molina", "Instituto de Genética Humana") only with its care word.
    # Section 2.51 is for medical personnel; a payer needs the patient's consent (2.31).
    "health plan", "health plans", "plan de salud", "planes de salud", "managed care", "medicaid",
    "medicare", "medi cal", "hmo", "ppo", "molina healthcare", "humana health", "humana inc", "aetna",
    "cigna", "anthem", "elevance", "centene", "wellcare", "ambetter", "unitedhealthcare", "united healthcare",
    "blue cross", "blue shield", "bcbs", "triple s", "mapfre", "mmm healthcare", "plan vital", "gnp", "axa",
    "metlife", "allianz",
    # Review 23s: custody and police under their everyday names (ICE's detention medical corps, Mexico's
    # prisons by their current name "Centro (Federal) de Reinserción Social", Puerto Rico's "Departamento de
    # Corrección", a juvenile hall, Mexico's police "Seguridad Pública")
    "ice health", "ihsc", "cereso", "ceresos", "cefereso", "ceferesos",
    "reinserción social", "readaptación social", "juvenile hall", "juvenile halls", "juvie", "reformatory",
    "reformatorio", "consejo tutelar", "seguridad pública", "seguridad ciudadana", "marshal", "marshals",
    "border patrol",
    # Review 25b (H2): child welfare and federal law enforcement by their names and initials, and people who
    # name themselves by a non-medical office ("Detective Jane Smith", "Caseworker Jones"). These only refuse
    # sooner: the positive test below (`_CARE_PLACES`) is what closes the class.
    "fbi", "dea", "atf", "dcf", "dcfs", "cps", "child welfare", "children and families",
    "department of children", "federal bureau", "bureau of investigation", "detective", "detectives",
    "caseworker", "caseworkers", "case worker", "case workers", "special agent", "investigator",
    "investigators", "bienestar infantil", "protección a la infancia",
    # Review 25d (H7, lane fac26): agencies that carry a care word and give no care.
    # Licensing boards ("State Pharmacy Board", "Texas Medical Board", "Board of Nursing", Puerto Rico's
    # "Junta de Farmacia", Mexico's COFEPRIS): a board licenses and disciplines clinicians, it treats no one;
    # the pharmacy or hospital a person is taken to names itself. A board "of" anything or a state's board is
    # refused, never "board" alone: Scotland's and Wales' NHS health boards run the hospitals ("health board"
    # is no care word either: it is asked what kind of place it is). "Law office" is a law firm's other name.
    "board of", "boards of", "state board", "state boards", "licensing board", "licensing boards",
    "pharmacy board", "nursing board", "medical board", "medical boards", "dental board", "examining board",
    "board of medical examiners", "licensing", "licensure", "junta de farmacia", "junta de enfermería",
    "junta de licenciamiento", "junta médica", "junta estatal", "consejo de salubridad", "cofepris",
    "riesgos sanitarios", "law office", "law offices",
    # Benefits administrations: the US Social Security Administration (and its Spanish name, "Administración
    # del Seguro Social", its offices), the VA's benefits arm (not its Veterans Health Administration, which
    # runs the VA hospitals). They pay benefits, they treat no one. ("Seguridad social" as a benefits
    # institute: `_BENEFITS_INSTITUTES`, below.)
    "social security administration", "ssa", "benefits administration", "administración del seguro social",
    "administración de seguro social", "oficina del seguro social", "oficinas del seguro social",
    # Immigration and customs enforcement by its initials (a whole word: "ICE", "I.C.E.", "Ice"), its
    # detention ("processing center" is ICE's name for a detention centre; Mexico's "estación migratoria") and
    # Spanish "detención": custody, like a jail (review 22s). "ICE Processing Center Clinic" is a detention
    # centre's clinic.
    "ice", "processing center", "processing centers", "processing centre", "processing centres",
    "centro de procesamiento", "estación migratoria", "estaciones migratorias", "migratoria", "migratorias",
    "migratorio", "migratorios", "detención", "enforcement and removal",
    # Review 26b (H6): custody, pretrial release and schools by the names a care word hides in ("Texas
    # Department of Criminal Justice Hospital Galveston", "Travis County Pretrial Services Clinic", Mexico's
    # juvenile detention "Centro de Internamiento para Adolescentes", a "secundaria"'s "enfermería"). The rule
    # above for a jail's medical unit holds for every custodian, whatever it is called: "criminal justice"
    # and "juvenile justice" run prisons and juvenile detention; "pretrial" services supervise a person
    # charged, for a court; "internamiento" is Mexico's word for holding a minor in custody (and
    # "tutelar"/"centro de observación" its old names); "department of justice", "procuraduría" (Mexico's
    # prosecutors and child protection) and "protective services" (adult and child protection) are no place
    # of care. Schools under the names they go by ("high school", "middle school", "elementary", the Spanish
    # "primaria", "secundaria", "preparatoria", "bachillerato", "kínder", "guardería") and a school's "nurse's
    # office": a school nurse works for the school, not the ED a person is taken to (review 22s's "school").
    "criminal justice", "juvenile justice", "department of justice", "justice department", "pretrial",
    "pre trial", "internamiento", "centro de observación", "procuraduría", "procuradurías",
    "protective services", "human services", "public defender", "legal aid", "state bar",
    "high school", "middle school", "elementary", "kindergarten", "daycare", "day care", "nurse's office",
    "nurses office", "school nurse", "primaria", "secundaria", "preparatoria", "bachillerato", "kínder",
    "guardería", "guarderías",
)  # fmt: skip
# Review 26b (H10): an office of a hospital that gives no care: its security (which works with police on a
# patient in custody), billing and patient accounts, legal department and risk management, in English and
# Spanish. "Mercy Hospital Security" names the hospital's guards, not its ED. Refused in the facility and in
# a person's name ("Billing Clerk Ann"); never inside "seguridad social"/"social security" (`_BENEFITS_
# INSTITUTES`: "Hospital de la Seguridad Social" is a hospital; a benefits institute alone is refused there).
_NON_CLINICAL_OFFICES = (
    "security", "public safety", "billing", "patient accounts", "patient financial services", "legal",
    "legal department", "legal affairs", "general counsel", "risk management", "compliance office",
    "seguridad", "vigilancia", "jurídico", "jurídica", "jurídicos", "jurídicas", "asuntos legales",
    "departamento legal", "facturación", "cobranza", "gestión de riesgos",
)  # fmt: skip
# Review 26b (H7): a person named by a police, custody, court or guard title ("Officer Smith", "Deputy
# Jones", "Sgt. Ramirez", "Bailiff Ortiz", "Agente Pérez", "Oficial Ramírez", "Security Guard Bob") is no
# medical personnel, whatever role is chosen: the officer guarding a patient in the ED is the non-medical
# person most likely to ask. Read in `recipient_name` only (a person's name field names a person). A
# medical officer is a clinician ("Chief Medical Officer", "Medical Officer Lee", "oficial médico"):
# `_MEDICAL_TITLES` is never read as an officer's title.
_PERSON_TITLES = (
    "officer", "officers", "deputy", "deputies", "sgt", "sergeant", "lieutenant", "corporal", "cpl",
    "bailiff", "constable", "agent", "guard", "security guard", "warden", "jailer", "clerk",
    # Spanish
    "agente", "agentes", "oficial", "oficiales", "custodio", "custodia", "custodios", "sargento", "teniente",
    "cabo", "guardia", "vigilante", "celador", "comandante",
)  # fmt: skip
# A title that is also a surname ("Dr. Ana Custodio", "Dr. John Warden", "Dra. Cabo") counts only as the
# first word of the name, where a title stands.
_TITLES_FIRST_ONLY = ("warden", "custodio", "custodia", "cabo", "guardia", "clerk", "agent", "oficial")
_MEDICAL_TITLES = (
    "medical officer", "chief medical officer", "oficial médico", "oficial medico",
)  # fmt: skip
# Review 22s: a word that names no medical personnel in each form English and Spanish give its stem (the
# stem, then each of its endings; "" the stem alone): "Policeman", "Policial", "Patrol", "Patrulla",
# "Insurance", "Aseguradora". A stem's endings are listed, never any word that begins like it: "Policlínica"
# (a clinic of many specialties), "Politécnico", "Polk", "Insurgentes", "Courtney" are no police, insurer or
# court.
_NOT_MEDICAL_STEMS: dict[str, tuple[str, ...]] = {
    "polic": (
        "e", "es", "eman", "emen", "ewoman", "ewomen", "eofficer", "ia", "ias", "ial", "iales", "iaco",
        "iaca", "iacos", "iacas",
    ),
    "sheriff": ("", "s", "dom"),
    "patrol": ("", "s", "man", "men", "ling", "led"),
    "patrull": ("a", "as", "ero", "eros", "era", "eras"),
    "jail": ("", "s", "er", "ers", "house"),
    "cárcel": ("", "es"),
    "carcelari": ("o", "a", "os", "as"),
    "prison": ("", "s", "er", "ers"),
    "prisión": ("", "es"),
    "penitenciari": ("o", "a", "os", "as"),
    "correction": ("", "s", "al"),
    "correccional": ("", "es"),
    "correcci": ("ón", "ones"),  # review 23s: "Departamento de Corrección" (Puerto Rico's prisons)
    "court": ("", "s", "house", "houses", "room", "rooms"),
    "juzgad": ("o", "os"),
    "probation": ("", "ary", "er", "ers"),
    "parole": ("", "d", "e", "es"),
    "insur": ("ance", "ances", "er", "ers"),
    "asegur": ("adora", "adoras", "ador", "adores"),
}  # fmt: skip
_NOT_MEDICAL = _NOT_MEDICAL_WORDS + tuple(
    stem + ending for stem, endings in _NOT_MEDICAL_STEMS.items() for ending in endings
)
# Section 2.51 allows disclosure only to medical personnel: the facility must name a place of care (a word
# list of what is not medical cannot be complete; this is the positive test, the role list is the other),
# in each language Keel speaks, matched like `_NOT_MEDICAL`. A care word is one that is no common
# name or word besides: "ED", "ER" and "OTP" alone are the first name Ed, a suffix, a bank (review 22p: "Ed
# Johnson Bail Bonds"), so they count only written out ("emergency department", "emergency room", "opioid
# treatment program"); "Mercy ED" is asked to name the hospital ("Mercy Hospital ED").
# Review 25b (H2): a care word is a kind of place that gives care (a hospital, an emergency department, an
# emergency medical service, a poison center, a clinic or a clinician's practice), never an adjective any
# office can carry: "health", "medical", "medicine", "salud", "médico" alone made "DCF Health Unit", "CPS
# Health Office" and "FBI Medical Unit" places of care. An agency's health unit is not where a person in a
# medical emergency is treated; the hospital or emergency service she is taken to names itself as one.
# Review 25d (H6, lane fac26): the places that receive a person in an emergency under their ordinary names:
# the British and Commonwealth spelling ("St Thomas' Medical Centre", "A&E": accident and emergency); fire
# departments and fire districts, which run most US 911 ambulances, and Spanish "bomberos", who run rescue
# (a fire department's own name is a care word, never "fire" alone: a fire marshal enforces codes); the Red
# Cross and Red Crescent (Mexico's Cruz Roja is its main ambulance service; Cruz Verde is the municipal
# emergency service of Jalisco's cities); and integrated health systems ("Mount Sinai Health System",
# Puerto Rico's "Sistema de Salud Menonita"), which give care and nothing else (their health plans are
# refused by `_NOT_MEDICAL`: "Kaiser Foundation Health Plan", "Geisinger Health Plan").
# Each care word names one kind of place (`FACILITY_KINDS`): the kind a name says, read from its first care
# word (`named_kind`). A system that runs hospitals and clinics (`_CARE_OPERATORS`) is read as a hospital
# only when the name says nothing more precise ("Clínica 5 del Seguro Social" is a clinic).
_CARE_KINDS: dict[str, tuple[str, ...]] = {
    "hospital": (
        "hospital", "hospitals", "medical center", "medical centers", "medical centre", "medical centres",
        "emergency department", "emergency room", "accident and emergency", "accident emergency", "icu",
        "intensive care", "trauma center", "trauma centre", "infirmary",
        # Spanish
        "hospitales", "centro médico", "urgencias", "emergencias", "sala de emergencias", "uci",
        "cuidados intensivos", "sanatorio",
    ),
    "ems": (
        "ambulance", "ambulances", "ems", "emergency medical service", "emergency medical services",
        "paramedic", "paramedics", "fire rescue", "rescue squad", "fire department", "fire departments",
        "fire dept", "fire district", "fire districts", "fire protection district", "fire and rescue",
        "red cross", "red crescent",
        # Spanish
        "ambulancia", "ambulancias", "paramédico", "paramédicos", "bomberos", "cruz roja", "media luna roja",
        "cruz verde",
    ),
    "poison_center": (
        "poison control", "poison center", "poison centre", "centro de toxicología", "toxicología",
    ),
    "clinic": (
        "urgent care", "clinic", "clinics", "health center", "health centers", "health centre",
        "health centres", "pharmacy", "treatment center", "treatment centre", "detox", "crisis center",
        "crisis centre", "crisis unit",
        # Spanish
        "clínica", "clínicas", "centro de salud", "centros de salud", "enfermería", "farmacia",
        "policlínico", "policlínica", "centro de tratamiento", "desintoxicación", "centro de crisis",
    ),
    "practice": (
        "family medicine", "internal medicine", "emergency medicine", "medical group", "medical practice",
        "physicians group", "general practice",
        # Spanish
        "consultorio", "medicina familiar",
    ),
    "otp": ("opioid treatment program", "opioid treatment programme"),
}  # fmt: skip
# Systems that run hospitals and clinics and give care and nothing else: integrated health systems by the
# words and the names they go by (an insurer's name is never here: review 23s), and Latin America's social
# security institutes ("Instituto Mexicano del Seguro Social", "IMSS", "ISSSTE", Panama's "Caja de Seguro
# Social"; review 22s). Read as a hospital (`named_kind`).
_CARE_OPERATORS = (
    "health system", "health systems", "healthcare system", "healthcare systems", "health care system",
    "health care systems", "sistema de salud", "sistemas de salud", "kaiser permanente", "geisinger",
    "ochsner", "northwell", "commonspirit", "intermountain healthcare", "quirónsalud", "christus muguerza",
    "seguro social", "imss", "issste",
)  # fmt: skip
_FACILITY_WORDS = tuple(word for words in _CARE_KINDS.values() for word in words)
_CARE_WORDS = _FACILITY_WORDS + _CARE_OPERATORS
# Review 25d (H7, lane fac26): "seguridad social" and "social security" name a benefits institute (Spain's
# "Instituto Nacional de la Seguridad Social" and its treasury, the Philippines' Social Security System)
# unless a facility word names a hospital or clinic of it ("Hospital de la Seguridad Social", "Clínica del
# IESS, Seguridad Social"): refused like `_NOT_MEDICAL` otherwise, whatever kind of place is chosen. Not
# "seguro social": Mexico's IMSS and Panama's Caja de Seguro Social are places of care by their names.
_BENEFITS_INSTITUTES = ("seguridad social", "social security")


@cache
def _phrases(words: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(skeleton(w) for w in name_words(phrase).split()) for phrase in words)


# Punctuation between two letters, no space: the dots of "P.o.l.i.c.e", the hyphen of "Po-lice", the
# apostrophe of "Sheriff's".
_INSIDE_A_WORD = re.compile(r"(?<=[^\W\d_])[^\w\s]+(?=[^\W\d_])")


def _readings(text: str) -> tuple[tuple[str, ...], ...]:
    """The words of `text` (`name_words`) by skeleton, read two ways: as typed, and with the punctuation
    inside a word dropped and a run of single letters joined ("P.o.l.i.c.e", "P o l i c e", "Po-lice":
    "police"; review 22s), so a word spelled out is the word."""
    typed = tuple(skeleton(w) for w in name_words(text).split())
    joined: list[str] = []
    run = ""  # single letters in a row
    for w in name_words(_INSIDE_A_WORD.sub("", shown_text(text))).split():
        if len(w) == 1:
            run += w
            continue
        joined += [run, w] if run else [w]
        run = ""
    joined += [run] if run else []
    return typed, tuple(skeleton(w) for w in joined)


def _names(text: str, words: tuple[str, ...]) -> bool:
    """Whether `text` holds one of `words` (words and phrases) in either of its readings (`_readings`: as
    typed, and spelled-out words joined), compared as whole words by their skeletons
    (`keel.core.text.skeleton`: look-alike letters and accents folded)."""
    return any(
        seen[i : i + len(p)] == p
        for seen in _readings(text)
        for p in _phrases(words)
        for i in range(len(seen) - len(p) + 1)
    )


def _spans(seen: tuple[str, ...], words: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where in the words `seen` each of `words` (words and phrases, by skeleton) stands: (start, end)."""
    return [
        (i, i + len(p))
        for p in _phrases(words)
        for i in range(len(seen) - len(p) + 1)
        if seen[i : i + len(p)] == p
    ]


def _names_outside(
    text: str, words: tuple[str, ...], unless: tuple[str, ...], *, first: bool = False
) -> bool:
    """Like `_names`, but a word of `words` inside a phrase of `unless` does not count ("security" inside
    "social security", "officer" inside "chief medical officer"); `first`: only as the first word or words."""
    for seen in _readings(text):
        kept = _spans(seen, unless)
        for start, end in _spans(seen, words):
            if first and start != 0:
                continue
            if not any(s <= start and end <= e for s, e in kept):
                return True
    return False


def _non_clinical_office(text: str) -> bool:
    """Whether `text` names an office that gives no care (`_NON_CLINICAL_OFFICES`; review 26b H10)."""
    return _names_outside(text, _NON_CLINICAL_OFFICES, (*_BENEFITS_INSTITUTES, "seguridad pública"))


def _non_medical_title(name: str) -> bool:
    """Whether a person's name carries a police, custody, court or guard title (`_PERSON_TITLES`; review 26b
    H7): anywhere, or first for a title that is also a surname (`_TITLES_FIRST_ONLY`)."""
    anywhere = tuple(t for t in _PERSON_TITLES if t not in _TITLES_FIRST_ONLY)
    return _names_outside(name, anywhere, _MEDICAL_TITLES) or _names_outside(
        name, _TITLES_FIRST_ONLY, _MEDICAL_TITLES, first=True
    )


def _not_medical(text: str) -> bool:
    """Whether `text` names a recipient who is no medical personnel: a word of `_NOT_MEDICAL`, or a benefits
    institute (`_BENEFITS_INSTITUTES`) with no facility word of its own."""
    return _names(text, _NOT_MEDICAL) or (
        _names(text, _BENEFITS_INSTITUTES) and not _names(text, _FACILITY_WORDS)
    )


def _text(raw: Mapping[str, Any], name: str, errors: list[FieldError], *, low: int, high: int) -> str:
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


def _recipient(raw: Mapping[str, Any], errors: list[FieldError]) -> str:
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
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(plain.casefold().split())


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _representative(
    raw: Mapping[str, Any],
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
            errors.append(
                FieldError(
                    "signer",
                    N_(
                        "the record shows the patient died: only a personal representative "
                        "(executor or administrator) can sign a consent now"
                    ),
                )
            )
        return None
    if signer != "representative":
        errors.append(FieldError("signer", N_("must be patient or representative")))
        return None
    name = _text(raw, "representative_name", errors, low=2, high=200)
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


def _refuse_representative_fields(raw: Mapping[str, Any], errors: list[FieldError]) -> None:
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
    death (2.15(b))."""
    if name and _folded(name) == _folded(patient_name):
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


def _purpose(raw: Mapping[str, Any], errors: list[FieldError]) -> tuple[Any, str]:
    """The purpose, one of PURPOSES, and its words (required, 5 characters at least, for other)."""
    purpose = raw.get("purpose")
    if not isinstance(purpose, str) or purpose not in PURPOSES:  # a list is no key (review 13a: a 500)
        errors.append(FieldError.said("purpose", N_("must be one of: %(items)s"), items=", ".join(PURPOSES)))
    purpose_text = _text(raw, "purpose_text", errors, low=0, high=500)
    if purpose == "other" and visible_length(purpose_text) < 5:
        errors.append(FieldError("purpose_text", N_("describe the purpose (at least 5 characters)")))
    return purpose, purpose_text


def _categories(raw: Mapping[str, Any], errors: list[FieldError]) -> Any:
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


def _expires_on(raw: Mapping[str, Any], errors: list[FieldError], *, today: date) -> date:
    """The expiry date: given, after today, at most MAX_YEARS ahead (today when it is missing or wrong)."""
    expires_raw = raw.get("expires_on")
    expires_on = today
    try:
        expires_on = date.fromisoformat(str(expires_raw)) if expires_raw else today
        if not expires_raw:
            errors.append(FieldError("expires_on", N_("is required: the day the consent ends")))
        elif expires_on <= today:
            errors.append(FieldError("expires_on", N_("must be after today")))
        elif expires_on > today + timedelta(days=365 * MAX_YEARS):
            errors.append(
                FieldError.said(
                    "expires_on", N_("can be at most %(max_years)s years from today"), max_years=MAX_YEARS
                )
            )
    except ValueError:
        errors.append(FieldError("expires_on", N_("must be a date like 2027-01-31")))
    return expires_on


def _signatures(
    raw: Mapping[str, Any],
    errors: list[FieldError],
    representative: Representative | None,
    patient_name: str,
    date_of_birth: date | None,
    today: date,
    age_of_majority: int,
) -> tuple[str, str]:
    """The signature (the patient's name, or the representative's) and, for a minor who has a representative,
    the minor's own signature too (2.14(b): never replaced); "" when there is none."""
    signature = _text(raw, "signature", errors, low=2, high=200)
    patient_signature = ""
    if representative is None:
        if signature and _folded(signature) != _folded(patient_name):
            errors.append(FieldError("signature", N_("type your full name as it appears on your record")))
    else:
        if signature and representative.name and _folded(signature) != _folded(representative.name):
            errors.append(FieldError("signature", N_("the representative signs by typing their own name")))
        if is_minor(date_of_birth, today, age_of_majority):  # 2.14(b): the minor signs too, never replaced
            patient_signature = _text(raw, "patient_signature", errors, low=2, high=200)
            if patient_signature and _folded(patient_signature) != _folded(patient_name):
                errors.append(
                    FieldError(
                        "patient_signature", N_("the minor signs too, with their name as on the record")
                    )
                )
    return signature, patient_signature


def parse_consent(
    raw: Mapping[str, Any],
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


# Review 26b (H8): a nature that names a purpose no emergency has, by class, in English and Spanish: a court
# or legal process ("court ordered", "subpoena"), an employer or employment testing ("employer drug test",
# "pre-employment", "return to work"), and what is routine, scheduled or a request for records ("routine
# follow-up", "records request", "cita programada"). Section 2.51 is for a bona fide medical emergency; these
# are uses a consent covers (2.31). Read here and not in `keel.core.reasons`: "routine follow-up" is a fine
# reason for a correction or an override; only an emergency's nature must name an emergency. Never "court",
# "police" or "custody" alone: "collapsed in court, overdose" and "in police custody, unresponsive" are
# emergencies.
_NO_EMERGENCY = (
    # court, legal
    "court order", "court ordered", "court orders", "subpoena", "subpoenaed", "lawsuit", "litigation",
    "legal request", "legal proceedings", "custody hearing", "orden judicial", "orden del juez",
    "mandato judicial", "requerimiento judicial", "citatorio", "demanda judicial",
    # employment, testing
    "employer", "employers", "employment", "pre employment", "preemployment", "return to work",
    "fitness for duty", "workers compensation", "workers comp", "empleador", "empleadora",
    "prueba de empleo", "regreso al trabajo",
    # routine, scheduled, records, request
    "routine", "scheduled visit", "scheduled appointment", "scheduled exam", "follow up visit",
    "follow up appointment", "check up", "checkup", "annual", "appointment",
    "records request", "record request", "request for records", "request for information", "paperwork",
    "rutina", "rutinario", "rutinaria", "consulta programada", "visita programada", "cita",
    "cita de seguimiento", "consulta de seguimiento",
    "chequeo", "revisión anual", "solicitud de expediente", "solicitud de registros",
    "solicitud de información", "trámite", "papeleo",
)  # fmt: skip
NO_EMERGENCY = N_(
    "describe the medical emergency: a court, an employer, a routine visit or a records request is no "
    "emergency (ask for the patient's consent)"
)


def _nature(raw: Mapping[str, Any], errors: list[FieldError]) -> str:
    """The nature of the emergency, as measured and stored (`reason_text`: as shown, spaces folded), judged by
    the one test of a reason (`reason_problem`; review 20b: ten x's are no nature of an emergency) and no
    other length rule (review 24r: "heroin OD" opens a record by break-the-glass, so it names the emergency
    here too); at most 1000 characters, the record's room."""
    value = raw.get("nature")
    if value is not None and not isinstance(value, str):
        errors.append(FieldError("nature", N_("must be text")))
        return ""
    nature = reason_text(value)
    if problem := reason_problem(nature):
        errors.append(FieldError("nature", problem))
    elif _names(nature, _NO_EMERGENCY):
        errors.append(FieldError("nature", NO_EMERGENCY))
    elif len(nature) > NATURE_MAX:
        errors.append(FieldError.said("nature", N_("can be at most %(high)s characters"), high=NATURE_MAX))
    return nature


def parse_emergency(raw: Mapping[str, Any]) -> EmergencyTerms:
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


def check_disclosure(
    *,
    expires_on: date,
    revoked_at: datetime | None,
    consent_categories: tuple[str, ...],
    asked: tuple[str, ...],
    today: date,
) -> Decision[NoPolicy, DisclosureDetails]:
    """Whether the consent covers a disclosure of `asked` today; what may leave is `details["categories"]`."""
    state = status(expires_on=expires_on, revoked_at=revoked_at, today=today)
    if state == "revoked":
        return _refuse(REVOKED)
    if state == "expired":
        return _refuse(ENDED, date=expires_on.isoformat())
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


def _is_latin(c: str) -> bool:
    return unicodedata.name(c, "").startswith("LATIN ")


# "Number" and ordinals as Spanish writes them in a name, each read one way (review 22p): "Nº 5", "N.º 5",
# "N° 5" (the degree sign, drawn alike and typed for it), "No. 5", "Núm. 5" and "#5" are "no 5"; "2.ª" and
# "2ª" are "2a"; "3.º", "3º" and "3°" are "3o".
_NUMBER_SIGN = re.compile(r"(?<![^\W\d_])(?:n\s*\.?\s*[º°o]|n[uú]m|#)\s*\.?\s*(?=[0-9])", re.IGNORECASE)
_ORDINAL = re.compile(r"(?<=[0-9])\.?([ºª°])")
# The marks that make a letter of its own in a language Keel speaks, on a Latin letter: Spanish "ñ".
_LETTER_MARKS = {"n": "\u0303", "N": "\u0303"}


def name_words(text: str) -> str:
    """A name compared as words: read as shown (`core.text.shown_text`: NFKC, no format or invisible
    characters, so "Po\u00adlice" is "police"), then case, the accents of Latin letters (Clínica, Clinica;
    José, Jose), spacing and punctuation do not matter, and "number" and ordinals are read one way
    (`_NUMBER_SIGN`, `_ORDINAL`: "Nº 5", "N° 5", "N.º 5", "No. 5"; "2.ª", "2ª"); letters of any script and the
    marks that make them do (kana voicing, Cyrillic й, Hebrew points, Devanagari vowel signs, Thai tone marks:
    review 21z), and so does Spanish "ñ" (`_LETTER_MARKS`): the alphabet Spanish is written in has "ñ" as a
    letter of its own between "n" and "o", so "Peña" and "Pena" are two surnames (and "año" and "ano" two
    words), while an accent on a vowel is a mark on the same letter, often left out in capitals and on
    keyboards (review 22p). A name with no letter or digit has no words (""). The one reading of a name or a
    recipient: a consent's against a request's, an API token's bound recipient against a consent's
    (`accounts.services.token_releases_to`, review 21f), and an emergency's recipient against the words that
    name no medical personnel (`_names`)."""
    text = _ORDINAL.sub(lambda m: {"ª": "a"}.get(m[1], "o"), text if isinstance(text, str) else "")
    text = _NUMBER_SIGN.sub("no ", text)
    kept: list[str] = []
    for c in unicodedata.normalize("NFD", shown_text(text)):
        if unicodedata.combining(c) and kept and _is_latin(kept[-1]) and _LETTER_MARKS.get(kept[-1]) != c:
            continue  # an accent on a Latin letter
        kept.append(c)
    words: list[str] = []
    current: list[str] = []
    for c in unicodedata.normalize("NFC", "".join(kept)).casefold():
        category = unicodedata.category(c)
        if category[0] in "LN" or (current and category[0] == "M"):
            current.append(c)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return " ".join(words)


def same_name(a: str, b: str) -> bool:
    """Whether two names are the same recipient (`name_words`); a name with no letter or digit is no one's."""
    words = name_words(a)
    return bool(words) and words == name_words(b)


def parse_request(raw: Mapping[str, Any]) -> DisclosureRequest:
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


def _disclosure_basis(raw: Mapping[str, Any]) -> str:
    """Step 1: the basis is a consent or an emergency."""
    basis = raw.get("basis")
    if not isinstance(basis, str) or basis not in BASES:
        raise InvalidInput([FieldError("basis", N_("must be consent or emergency"))])
    return basis


def _disclosure_asked(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """Step 2: the categories asked are a list of kinds of information, never the whole record."""
    asked = raw.get("categories") or []
    if not isinstance(asked, list | tuple) or not all(isinstance(c, str) for c in asked):
        raise InvalidInput([FieldError("categories", N_("must be a list of kinds of information"))])
    if RECORD in asked:
        raise InvalidInput(
            [FieldError("categories", N_("the whole record leaves only as the record export"))]
        )
    return tuple(asked)


def parse_disclosure(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The values of `DISCLOSURE`, each step refusing on its own: the basis, then the categories asked, then
    the recipient and purpose (`parse_request`) or the emergency's facts (`parse_emergency`), refused as
    TermsInvalid. Under a consent `categories` is what was asked (the consent decides what leaves) and
    `consent` the id named (None when it names no row); in an emergency, the categories the emergency needs.
    The password is as typed (anything but text: ""), checked by the caller; other keys are ignored here (a
    page's form carries its token; the API's JSON body refuses them by name first, in
    `keel.api_body.CoreIn.parse`: review 13a)."""
    basis = _disclosure_basis(raw)
    asked = _disclosure_asked(raw)
    values: dict[str, Any] = {f.name: f.default for f in DISCLOSURE}
    try:
        if basis == "consent":
            request = parse_request(raw)
            values.update(asdict(request), categories=list(asked), consent=record_id(raw.get("consent")))
        else:
            terms = parse_emergency(raw)
            values.update(asdict(terms), categories=list(terms.categories))
    except InvalidInput as exc:
        raise TermsInvalid(exc.errors) from None
    password = raw.get("password")
    return {**values, "basis": basis, "password": password if isinstance(password, str) else ""}


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


def _refuse(why: str, **params: str) -> Decision[NoPolicy, DisclosureDetails]:
    """A refusal said from its template (`why`, marked for the catalogue), so a page can translate it."""
    return Decision(
        "part2-disclosure",
        "1",
        "refused",
        (Reason.said(why, SOURCES_CONSENT, **params),),
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
