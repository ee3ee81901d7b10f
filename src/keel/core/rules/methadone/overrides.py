"""The methadone dose check's override rule: each check after the hold and the hard bounds that goes over its
limit blocks the dose ("needs_override"), or passes with the prescriber's documented reason (logged,
"allowed_with_rationale").

Sources: 42 CFR 8.12 (2024 rule: the OTP practitioner documents the reason to exceed a limit); Keel clinical
reference section 10.
"""

from __future__ import annotations

from keel.core.decision import Param, Reason
from keel.core.words import gettext_noop


class _Limits:
    """The checks a dose passes after the hold and the hard bounds: each one over its limit is blocked, or
    passes with the prescriber's documented reason (logged)."""

    def __init__(self, documented: bool, reasons: list[Reason], verdict: str | None) -> None:
        self.documented, self.reasons = documented, reasons
        self.blocked = verdict == "needs_override"
        self.rationale = verdict == "allowed_with_rationale"

    def over(self, template: str, sources: tuple[str, ...], **params: Param) -> None:
        if self.documented:
            self.rationale = True
            then = gettext_noop("A prescriber documented a reason (logged).")
        else:
            self.blocked = True
            then = gettext_noop("Needs a prescriber's override for today, with a reason.")
        self.reasons.append(Reason.said(template, sources, **params, then=then))

    @property
    def verdict(self) -> str:
        return "needs_override" if self.blocked else "allowed_with_rationale" if self.rationale else "allowed"
