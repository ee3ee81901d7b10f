"""The one test of a typed reason of substance, every reason Keel asks: a dose's override, a correction, a
void, a second-factor reset, a policy change, break-the-glass, an emergency disclosure's nature (42 CFR 2.51),
a flag's note. `reason_text` is the one cleaning of a typed reason (what is measured is what is kept);
`reason_problem` answers why a text is not a reason ("" when it is).

- `check`: `reason_problem` in named steps (the form, the measure, the verdict, the refusal);
- `vocabulary`: the measures a reason is held to and the words it is read against, each list with its source;
- `vitals`: vital signs written with their value ("RR 4", "SpO2 80%"), read as clinical words;
- `sentences`: Keel's own words about a reason (its refusals, the reason fields' labels and hints, the
  emergency pages' words), marked `N_`; a reason made of them is no one's.
"""

from keel.core.reasons.check import reason_problem, reason_text
from keel.core.reasons.sentences import (
    EMERGENCY_ACCESS_PAGE,
    EMERGENCY_DISCLOSURE_FORM,
    FLAG_ASSESSMENT,
    FLAG_NOTE_REQUIRED,
    KEEL_SENTENCES,
    REASON_FIELD_HELP,
    REASON_HINTS,
    REASON_KEELS_OWN,
    REASON_LABELS,
    REASON_MIXED_SCRIPT,
    REASON_NO_SUBSTANCE,
    REASON_REQUIRED,
    REASON_SAY_MORE,
    REASON_SAYS_NOTHING,
    REASON_TOO_LONG,
)
from keel.core.reasons.vocabulary import (
    REASON_MIN_CHARS,
    REASON_MIN_EMERGENCY_CHARS,
    REASON_MIN_SENTENCE_CHARS,
    REASON_MIN_SUBSTANCE,
    REASON_MIN_TERSE_CHARS,
    REASON_MIN_UNSPACED_LETTERS,
    REASON_MIN_WORDS,
    UNSPACED_SCRIPTS,
)

__all__ = [
    "EMERGENCY_ACCESS_PAGE",
    "EMERGENCY_DISCLOSURE_FORM",
    "FLAG_ASSESSMENT",
    "FLAG_NOTE_REQUIRED",
    "KEEL_SENTENCES",
    "REASON_FIELD_HELP",
    "REASON_HINTS",
    "REASON_KEELS_OWN",
    "REASON_LABELS",
    "REASON_MIN_CHARS",
    "REASON_MIN_EMERGENCY_CHARS",
    "REASON_MIN_SENTENCE_CHARS",
    "REASON_MIN_SUBSTANCE",
    "REASON_MIN_TERSE_CHARS",
    "REASON_MIN_UNSPACED_LETTERS",
    "REASON_MIN_WORDS",
    "REASON_MIXED_SCRIPT",
    "REASON_NO_SUBSTANCE",
    "REASON_REQUIRED",
    "REASON_SAYS_NOTHING",
    "REASON_SAY_MORE",
    "REASON_TOO_LONG",
    "UNSPACED_SCRIPTS",
    "reason_problem",
    "reason_text",
]
