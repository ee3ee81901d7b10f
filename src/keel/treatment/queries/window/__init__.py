"""Today's dosing window, one module per subdomain (callers import this package or `keel.treatment.queries`).

`listing`: the list (`dosing_list`); `row`: one person's row swapped in after a dose (`dosing_row`,
`row_after_dose`, one hand-written statement held to the list's row); `still_due`: the count of due rows in
one statement; `row_status`: a row (`DosingRow`) and its status.
"""

from __future__ import annotations

from keel.treatment.queries.window.listing import dosing_list, window_people
from keel.treatment.queries.window.row import RecordedDose, dosing_row, row_after_dose
from keel.treatment.queries.window.row_status import WINDOW_MEDICATIONS, DosingRow
from keel.treatment.queries.window.still_due import StillDue, still_due

__all__ = [
    "WINDOW_MEDICATIONS",
    "DosingRow",
    "RecordedDose",
    "StillDue",
    "dosing_list",
    "dosing_row",
    "row_after_dose",
    "still_due",
    "window_people",
]
