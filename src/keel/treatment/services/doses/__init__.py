"""The observed dose at the window and its append-only corrections, one module per step of the way:
`window` records a dose (`record_dose`: the guards in order, then the dose, its audit row and a hold's flag);
`guards` holds those checks (the order, the fields, the day, a prescriber's cover, a high QTc, the rule's
verdict); `rule` runs the medication's guard-rail rule with the program's policy (`BLOCKING`: the verdicts
that stop a dose); `limits` holds a correction to the window's ceilings and that day's limits;
`corrections` amends a recorded dose (`amend_dose`). The reads they share (the order in force, the day's
overrides) live in `keel.treatment.queries.orders`. Callers import the module that defines a name, or
`keel.treatment.services`.
"""

from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.doses.window import record_dose

__all__ = ["amend_dose", "record_dose"]  # the two writes, as `services.doses` served them before the split
