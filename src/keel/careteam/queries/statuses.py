"""Which people the caseload lists (issue #18): in care now, discharged (no active episode), or everyone
(`CASELOAD_STATUSES`); the default by role (`default_status`) and the filter on the people a status is
(`_status_filter`: a named field error for a status not in the list, or for one a role may not ask)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import User
from keel.core.rules.inputs import FieldError, FieldsInvalid
from keel.patients.models import Enrollment, EnrollmentStatus

# Which patients the caseload lists (issue #18): in care now, discharged (no active episode), or everyone.
CASELOAD_STATUSES = ("current", "discharged", "all")


def default_status(user: User) -> str:
    """The caseload's status when none is asked: `current` for roles that see episodes of care (the clinical
    area); `all` for the others, who never see whether someone is in care."""
    return "current" if Area.CLINICAL in policy.areas_of(user) else "all"


def _status_filter(user: User, status: str | None) -> Q | None:
    status = status or default_status(user)
    if status not in CASELOAD_STATUSES:
        raise FieldsInvalid([FieldError("status", _("choose current, discharged or all"))])
    if status == "all":
        return None
    if Area.CLINICAL not in policy.areas_of(user):
        raise FieldsInvalid([FieldError("status", _("your role does not see who is in care; choose all"))])
    in_care = Exists(Enrollment.objects.filter(patient=OuterRef("pk"), status=EnrollmentStatus.ACTIVE))
    if status == "current":
        return Q(in_care)
    ever = Exists(Enrollment.objects.filter(patient=OuterRef("pk")))
    return Q(ever) & ~Q(in_care)
