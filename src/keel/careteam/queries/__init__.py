"""The care team's morning (journey 6): the caseload in risk order and one patient's timeline. Reads only,
through the access policy, each one audited once; what a role may see decides which signals and events
appear (a peer specialist sees check-ins, never clinical flags or doses).

The caseload, one module per step of the way (issue #17): `listing` answers it (`caseload`, the sequence
`Caseload` of `CaseloadRow`s) from `statuses` (which people: current, discharged, all); `head` ranks the
people who may have a signal as far as the first pages need; `tail_page` cuts a page past them in the
database, `tail` orders them in Python (the reference it is held to) and `others` places them lightly when
every row is read; `ranking` holds the order and the full ranking, `reads` the reads they share. The timeline
lives in `keel.careteam.timeline`. Callers import the names below from here; tests reach a step's private
names in its module.
"""

from keel.careteam.queries.listing import Caseload, CaseloadRow, caseload
from keel.careteam.queries.statuses import CASELOAD_STATUSES, default_status
from keel.careteam.timeline import EVENT_KINDS, TIMELINE_DAYS, Event, Timeline, timeline

__all__ = [
    "CASELOAD_STATUSES",
    "EVENT_KINDS",
    "TIMELINE_DAYS",
    "Caseload",
    "CaseloadRow",
    "Event",
    "Timeline",
    "caseload",
    "default_status",
    "timeline",
]
