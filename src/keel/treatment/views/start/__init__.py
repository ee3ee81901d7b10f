"""The buprenorphine start page: readiness, the order, the first doses, naloxone and care-plan goals; one view
per action on it, each at its own URL (as on the medication page). A refused form comes back as the same page
(422) with what was typed and the reason beside it; a done one goes back to the page with a message.

One module per subdomain (the URLs import this package): `page` (the page, and the page again with what was
typed), `cards` (what the page shows of the readiness read), `last_use` (times of last use and their
corrections), `actions` (the order, a dose, an override, naloxone, a goal).
"""

from __future__ import annotations

from keel.treatment.views.start.actions import dose, goal, naloxone, order, override
from keel.treatment.views.start.cards import (
    CorrectionShown,
    CowsShown,
    LastUseField,
    LastUseShown,
    ReadinessCard,
)
from keel.treatment.views.start.last_use import last_use, last_use_correction
from keel.treatment.views.start.page import SCREEN_NAMES, start

__all__ = [
    "SCREEN_NAMES",
    "CorrectionShown",
    "CowsShown",
    "LastUseField",
    "LastUseShown",
    "ReadinessCard",
    "dose",
    "goal",
    "last_use",
    "last_use_correction",
    "naloxone",
    "order",
    "override",
    "start",
]
