"""The words of a medical emergency disclosure (42 CFR 2.51, 2024 [V]) and their checks: the roles of the
receiving medical personnel (`MEDICAL_ROLES`), what an emergency sends (`EMERGENCY_CATEGORIES`), the words
that name no medical personnel (`_NOT_MEDICAL`, `_NON_CLINICAL_OFFICES`, `_PERSON_TITLES`), the places of care
(`_CARE_KINDS`, `_CARE_OPERATORS`), the natures that are no emergency (`_NO_EMERGENCY`), and the tests that
read a recipient, a facility and a nature against them. Moved out of `keel.core.sharing` (issue #17), as
`keel.core.reasons.vocabulary` holds the reasons' words; `keel.core.sharing.parse_emergency` reads them, and
every name here is still importable from `keel.core.sharing`. Plain Python."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from keel.core.names import name_words
from keel.core.reasons import reason_problem, reason_text
from keel.core.rules.inputs import FieldError
from keel.core.text import shown_text, skeleton
from keel.core.words import gettext_noop as N_


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


def _nature(raw: Mapping[str, object], errors: list[FieldError]) -> str:
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
