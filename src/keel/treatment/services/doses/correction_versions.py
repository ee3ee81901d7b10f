"""The version of a dose's corrections a writer read (lane fix34a, review 34a hole 1), as an order carries
`order_version` and an assessment's correction `correction_version`: a correction or a void of a dose sends
`correction_version` (`queries.correction_version`: the id of the correction in force, 0 for none), and one
written since refuses it (`DoseCorrectionChanged`, 409, nothing written), compared under the dose's row lock
so of two at the same moment only one wins. Why: a nurse's correction from a page read before another
nurse's void put the dose back at an amount given, undoing the void (the bottles it called back left the
call-back list). The medication page's form carries it (a form without it read none: 0); the API requires it
(422 naming it when missing); a caller inside Keel that read nothing (a test's set-up) sends `NOT_READ`."""

from __future__ import annotations

import re

from django.utils.translation import gettext

from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.recovery.common import StaleEdit
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord
from keel.treatment.queries.doses import correction_version


class NotRead:
    """The type of `NOT_READ`."""

    def __repr__(self) -> str:
        return "NOT_READ"


# `amend_dose` from a caller inside Keel that read no dose (a test's set-up), never a page or the API
NOT_READ = NotRead()

MISSING_CORRECTION_VERSION = N_(
    "the version of the dose's corrections you read is missing or not a whole number: read the dose again "
    "and send its correction_version"
)
CORRECTED_SINCE_READ = N_(
    "This dose was corrected or voided since you opened this page. Nothing was saved: read the dose as it "
    "stands now, then correct it again if you still need to."
)


class DoseCorrectionChanged(StaleEdit):
    """A correction or void of the dose written since the writer read it: 409 naming `correction_version`;
    the page shows the dose as it stands now (`dose_id`)."""

    def __init__(self, message: str, *, dose_id: int) -> None:
        super().__init__(message, field="correction_version")
        self.dose_id = dose_id


def read_correction_version(raw: object) -> int | NotRead:
    """The version the writer sent: a whole number, 0 or more (a page sends text); NOT_READ as it is. None
    (left out of an API body), or anything else: TreatmentInvalid naming `correction_version`."""
    if isinstance(raw, NotRead):
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    if isinstance(raw, str) and re.fullmatch(r"[0-9]{1,18}", raw.strip(), re.ASCII):
        return int(raw.strip())
    raise TreatmentInvalid([FieldError("correction_version", MISSING_CORRECTION_VERSION)])


def check_correction_version(dose: DoseRecord, read: int | NotRead) -> None:
    """Inside the write's transaction: the dose's row locked (two corrections of one dose, one after the
    other, the second seeing the first's), then a correction written since `read` refuses this one."""
    list(DoseRecord.objects.select_for_update().filter(pk=dose.pk).values_list("pk", flat=True))
    if isinstance(read, NotRead) or read == correction_version(dose):
        return
    raise DoseCorrectionChanged(gettext(CORRECTED_SINCE_READ), dose_id=dose.pk)
