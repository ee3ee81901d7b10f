"""What left, as the accounting of disclosures says it (review 33b H1): the one catalogue of the descriptions
a disclosure row stores for a record that leaves whole or in part to another system, a file or a receiving
program, each in plain words a patient reads (no "FHIR", no resource type, no operation name), marked for
the Spanish catalogue (`N_`). A progress report's description is made from its sections apart
(`core.sharing.progress_report_description`).

A row stores the English entry (the record kept); each reader is shown it translated
(`sharing.models.Disclosure.description_shown`). Rows written before this catalogue stored other English
words (`_EARLIER`): they are never rewritten, only shown through the entry that replaced them (`current`).
"""

from __future__ import annotations

from keel.core.words import gettext_noop as N_

# the whole record: pulled by another system (`Patient/$everything`), a file a staff member exports, a
# transfer of care to a receiving program
SENT_TO_A_SYSTEM = N_("The whole record, sent to another computer system")
AS_A_FILE = N_("The whole record, as a file")
TRANSFER = N_("Transfer of care: who the person is and their episode of care")

# one kind of the record's information read or searched by another system with a staff member's token, by the
# FHIR resource type the request named (the type itself is never said)
READ_BY_A_SYSTEM: dict[str, str] = {
    "Patient": N_("Who the person is and how to reach them, read by another computer system"),
    "Observation": N_(
        "Results (questionnaire scores and heart-rhythm readings), read by another computer system"
    ),
    "Condition": N_("Diagnoses, read by another computer system"),
    "MedicationRequest": N_("Medicine orders, read by another computer system"),
    "MedicationAdministration": N_("Doses given, read by another computer system"),
    "MedicationDispense": N_("Take-home doses, read by another computer system"),
    "QuestionnaireResponse": N_("Questionnaire answers, read by another computer system"),
    "Consent": N_("Consents to this recipient, read by another computer system"),
    "EpisodeOfCare": N_("Care episodes, read by another computer system"),
    "Provenance": N_("Where questionnaire answers came from, read by another computer system"),
}
PART_READ_BY_A_SYSTEM = N_("Part of the record, read by another computer system")

# the English rows stored before this catalogue (sessions up to 33), each with the entry now said for it
_EARLIER: dict[str, str] = {
    "The whole record as FHIR R4 (Patient/$everything, pulled by another system)": SENT_TO_A_SYSTEM,
    "The whole record as a FHIR R4 file": AS_A_FILE,
    **{f"FHIR {kind} read by another system": said for kind, said in READ_BY_A_SYSTEM.items()},
    **{
        f"FHIR {kind} read by another system": PART_READ_BY_A_SYSTEM
        for kind in ("Organization", "Practitioner", "Questionnaire")
    },
}


def read_by_a_system(resource_type: str) -> str:
    """The description of a read or search of `resource_type` by another system (any type not listed: part
    of the record)."""
    return READ_BY_A_SYSTEM.get(resource_type, PART_READ_BY_A_SYSTEM)


def current(description: str) -> str:
    """The catalogue entry a stored description is said through: an earlier row's words mapped to the entry
    that replaced them, any other description unchanged."""
    return _EARLIER.get(description, description)


def stored_as(entry: str) -> tuple[str, ...]:
    """Every description a row saying `entry` may hold: the entry and the earlier words mapped to it."""
    return (entry, *(old for old, said in _EARLIER.items() if said == entry))
