"""API: a program's policy values: read them with their provenance, change one (admins)."""

from __future__ import annotations

from django.utils.translation import gettext

from keel.access.http import AuthenticatedApiRequest
from keel.api_auth import reads_no_one
from keel.treatment.api.common import _staff_only, router
from keel.treatment.queries import policy as policy_reads
from keel.treatment.schemas import PolicyIn, PolicySetOut, PolicyValueOut, ProgramPolicyOut
from keel.treatment.services import policy as policy_writes


@router.get(
    "/programs/{slug}/policy",
    response=ProgramPolicyOut,
    tags=["policy"],
    summary="My program's policy values and their provenance",
)
@reads_no_one
def get_policy(request: AuthenticatedApiRequest, slug: str) -> ProgramPolicyOut:
    _staff_only(request)
    program, values = policy_reads.show(request.auth, slug)
    return ProgramPolicyOut(
        program=program.slug,
        values=[
            PolicyValueOut(
                rule=v.rule,
                field=v.field,
                label=gettext(v.label),
                value=v.value,
                default=v.default,
                provenance=gettext(v.help) if v.help else "",  # the request's language, as its errors
                stricter_is=v.tighter,
                floor=v.floor,
                ceiling=v.ceiling,
                bounds=gettext(v.bounds) if v.bounds else "",  # gettext("") is the catalogue header
                set_value_not_in_force=v.stored,
                set_by=v.set_by,
                set_by_name=v.set_by_name or None,  # as a person reads it, never a username (words34)
                set_at=v.set_at.isoformat() if v.set_at else None,
                reason=v.reason,
            )
            for v in values
        ],
    )


@router.put(
    "/programs/{slug}/policy/{rule}/{field}",
    response=PolicySetOut,
    tags=["policy"],
    summary="Change one policy value (admins)",
)
def put_policy(
    request: AuthenticatedApiRequest, slug: str, rule: str, field: str, payload: PolicyIn
) -> PolicySetOut:
    setting = policy_writes.set_value(
        by=request.auth,
        program_slug=slug,
        rule=rule,
        field=field,
        value=payload.value,
        reason=payload.reason,
    )
    return PolicySetOut(
        rule=setting.rule, field=setting.field, value=setting.value, set_at=setting.set_at.isoformat()
    )
