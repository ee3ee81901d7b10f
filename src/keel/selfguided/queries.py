"""An account of one's own, the reads: which program a one-time code is from, before the person chooses
whether to join it (`preview_join`, also the first check of `services.join_program`), and the live code a
typed one names. A wrong code is still counted: each try spends one of the account's tries
(`limits.take_join_try`) and a wrong one is a failed sign-in for the lockout, as a read that is refused
writes its denial."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area
from keel.accounts import services as accounts
from keel.accounts.models import User
from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.patients.services.common import death_refused
from keel.selfguided.errors import SelfGuidedInvalid, TooManyTries
from keel.selfguided.limits import take_join_try
from keel.selfguided.models import HistoryConsent, LinkCode


def code_digest(code: str) -> str:
    """What is stored of a one-time code: its digest, read as typed (case, dashes and spaces aside)."""
    return hashlib.sha256(re.sub(r"[^A-Z0-9]", "", code.upper()).encode()).hexdigest()


def live_code(code: str, now: datetime) -> LinkCode | None:
    """The code's row while it works: not used, not expired, its record without an account yet."""
    return (
        LinkCode.objects.select_related("patient__program")
        .filter(
            digest=code_digest(code or ""),
            used_at__isnull=True,
            expires_at__gt=now,
            patient__user__isnull=True,
        )
        .first()
    )


@dataclass(frozen=True)
class JoinPreview:
    """What the code's holder is told before signing: the program's name (and, kept from her, the name she
    signs with). Nothing the program's record holds: what bringing the history leaves behind (review 35b,
    `recovery.services.history.staying_behind`) is said in words that name none of it (review 35g, lane
    fix36b: its days, plan and reminder kinds were the record's content, told to whoever holds the code)."""

    program: str
    record_name: str  # the name the program has: the person signs with it; never shown


def preview_join(*, user: User, code: str, now: datetime | None = None) -> JoinPreview:
    """Which program a code is from, before the person chooses. A wrong, used or expired code is refused
    the same way (and counts toward the lockout, like a wrong password)."""
    policy.own_patient_or_404(user, area=Area.RECOVERY, audit_success=False)  # a record of her own, or 404
    if not take_join_try(user.pk, now=now):
        raise TooManyTries()
    found = live_code(code, now or timezone.now())
    # on her record, by no one named: a self-guided account's events name no one (`audit.record`)
    if found is not None and death_refused(None, found.patient, "link_code", found.pk):
        found = None  # a death recorded for the record's person: the answer of a code that does not work
    if found is None:
        accounts.record_failed_login(username=user.username, reason="wrong link code")
        raise SelfGuidedInvalid(
            [FieldError("code", N_("that code did not work: check it with your care team"))]
        )
    p = found.patient
    return JoinPreview(p.program.name, f"{p.given_name} {p.family_name}".strip())


def history_brought_on(patient_id: int) -> datetime | None:
    """When the person's own account brought its history to this record with a signed consent (None: it did
    not), for the record's page: the record already read (scoped and audited by that read), as
    `patients.queries.has_own_account`. The consent itself is the person's (`own_data.consents_of`)."""
    return (
        HistoryConsent.objects.filter(patient_id=patient_id, bring_history=True)
        .order_by("-signed_at")
        .values_list("signed_at", flat=True)
        .first()
    )
