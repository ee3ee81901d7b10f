"""The consent's words for people, translated: the same English texts as `keel.core.sharing` (which stores
them with each consent), listed here so that `makemessages` finds them."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

from keel.core import sharing as core

_FOR_MAKEMESSAGES = (
    gettext_noop("Enrollment: when care started and whether it is ongoing"),
    gettext_noop("Medication: current medicine and dose, and doses taken in the last 30 days"),
    gettext_noop("Check-ins: how many in the last 30 days, average craving and mood, days with use"),
    gettext_noop("Screening scores: the latest PHQ-9 and GAD-7 totals"),
    gettext_noop(
        "My whole record as a file: diagnoses, medicines and doses, questionnaires, care episodes, consents"
    ),
    gettext_noop("At my request"),
    gettext_noop("For my treatment by the recipient"),
    gettext_noop("For a drug court or probation program I take part in"),
    gettext_noop("For my employer's return-to-work program"),
    gettext_noop("Another purpose, described below"),
    gettext_noop("Physician"),
    gettext_noop("Nurse"),
    gettext_noop("Nurse practitioner"),
    gettext_noop("Physician assistant"),
    gettext_noop("Paramedic or emergency medical technician"),
    gettext_noop("Pharmacist"),
    gettext_noop("Poison center specialist"),
    gettext_noop("Parent of a minor"),
    gettext_noop("Legal guardian"),
    gettext_noop("Health-care agent (health-care power of attorney or proxy)"),
    gettext_noop("Personal representative of a patient who died (executor or administrator)"),
    gettext_noop(
        "I can take back (revoke) this consent at any time, in this app or in writing to the program, except "
        "for what was already shared because of it."
    ),
    gettext_noop(
        "42 CFR part 2 protects these records. The recipient may not use or share them further unless the "
        "law allows it."
    ),
    gettext_noop(
        "My treatment, payment, enrollment and eligibility for benefits do not depend on whether I sign."
    ),
)


# The consent form's field errors a patient may see (from keel.core.sharing), translated where they are fixed.
_ERRORS_FOR_MAKEMESSAGES = (
    gettext_noop("is required"),
    gettext_noop("type your full name as it appears on your record"),
    gettext_noop("must be after today"),
    gettext_noop("choose at least one kind of information"),
    gettext_noop("confirm that you read what this consent means"),
    gettext_noop("describe the purpose (at least 5 characters)"),
    gettext_noop("is required: the day the consent ends"),
    gettext_noop("must be a date like 2027-01-31"),
    gettext_noop("is not the recipient this consent names"),
    gettext_noop("is not the purpose this consent names"),
    gettext_noop("a medical emergency allows disclosure only to medical personnel"),
    gettext_noop("name the place of care (a hospital, clinic, emergency service): only medical personnel"),
    gettext_noop("choose what the emergency needs"),
    gettext_noop("The patient revoked this consent."),
    gettext_noop("the whole record leaves only as the record export"),
    gettext_noop("choose representative when someone signs for the patient"),
    gettext_noop("must be patient or representative"),
    gettext_noop("a parent signs only for a minor: the record has no birth date"),
    gettext_noop("for a minor, a parent or guardian signs with the minor"),
    gettext_noop(
        "a parent cannot sign for an adult: only a guardian, health-care agent or personal representative "
        "with legal authority"
    ),
    gettext_noop("the representative signs by typing their own name"),
    gettext_noop("the minor signs too, with their name as on the record"),
    gettext_noop("needs at least 5 characters"),
)


def error(reason: str) -> str:
    return gettext(reason)


def categories() -> list[tuple[str, str]]:
    """What a consent may name: the progress report's sections and the whole record."""
    return [(code, gettext(text)) for code, text in core.CONSENT_CATEGORIES.items()]


def purposes() -> list[tuple[str, str]]:
    return [(code, gettext(text)) for code, text in core.PURPOSES.items()]


def emergency_categories() -> list[tuple[str, str]]:
    return [(code, gettext(core.CATEGORIES[code])) for code in core.EMERGENCY_CATEGORIES]


def medical_roles() -> list[tuple[str, str]]:
    return [(code, gettext(text)) for code, text in core.MEDICAL_ROLES.items()]


def representatives() -> list[tuple[str, str]]:
    return [(code, gettext(text)) for code, text in core.REPRESENTATIVES.items()]


def representative(code: str) -> str:
    return gettext(core.REPRESENTATIVES[code]) if code in core.REPRESENTATIVES else ""


def statements() -> list[str]:
    return [gettext(s) for s in core.STATEMENTS]


def category(code: str) -> str:
    return gettext(core.CONSENT_CATEGORIES.get(code, code))


def purpose(code: str) -> str:
    return gettext(core.PURPOSES.get(code, code))
