"""API: the patients visible to the caller, through the access policy (every read audited)."""

from __future__ import annotations

from dataclasses import asdict
from typing import cast

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.urls import reverse
from ninja import Router, Status
from ninja.errors import HttpError

from keel.access.http import AuthenticatedApiRequest
from keel.accounts.schemas import ErrorOut
from keel.api_auth import desk_only, release_token
from keel.api_body import request_body
from keel.core.rules.inputs import FieldError, FieldsInvalid
from keel.core.words import gettext_noop as N_
from keel.patients import photos, queries, services
from keel.patients.models import Enrollment, PatientFlag
from keel.patients.schemas import (
    ActivationCodeIn,
    ActivationCodeOut,
    CareTeamAddedOut,
    CareTeamIn,
    CareTeamsAddedOut,
    CareTeamsIn,
    ContactChangedOut,
    ContactIn,
    DeathUndoneOut,
    DischargedOut,
    DischargeIn,
    EnrollmentRefOut,
    EpisodeOut,
    FlagOut,
    PatientDetailOut,
    PatientOut,
    PhotoOut,
    ReadmissionIn,
    RegistrationIn,
    RegistrationOut,
    ResetCodeIn,
    ResolveIn,
    SecondFactorResetIn,
    SecondFactorResetOut,
    UndoDeathIn,
)
from keel.web.field_words import said

router = Router(tags=["patients"])


@router.get("", response=list[PatientOut], summary="Patients visible to me")
def list_patients(request: AuthenticatedApiRequest) -> list[dict[str, object]]:
    return [asdict(p) for p in queries.list_patients(request.auth)]


@router.post(
    "",
    response={201: RegistrationOut},
    openapi_extra=request_body(RegistrationIn),
    summary="Register (admit) a patient at the front desk; a likely duplicate is refused until confirmed",
)
@desk_only
def register_patient(request: AuthenticatedApiRequest) -> Status[RegistrationOut]:
    done = services.register_patient(by=request.auth, data=RegistrationIn.read(request))
    p = done.patient
    return Status(
        201,
        RegistrationOut(
            id=p.pk,
            record_number=p.record_number,
            display_name=p.display_name,
            program=p.program.slug,
            preferred_language=p.preferred_language,
            enrollment=EnrollmentRefOut(
                id=done.enrollment.pk, started_on=done.enrollment.started_on.isoformat()
            ),
        ),
    )


@router.post(
    "/{patient_id}/care-team",
    response={201: CareTeamAddedOut},
    summary="Put a staff member of the program on this patient's care team (program admins)",
)
def add_to_care_team(
    request: AuthenticatedApiRequest, patient_id: int, payload: CareTeamIn
) -> Status[CareTeamAddedOut]:
    row = services.add_to_care_team(by=request.auth, patient_id=patient_id, user_id=payload.user_id)
    return Status(201, CareTeamAddedOut(patient=patient_id, user_id=row.user_id, role=row.user.role))


@router.delete(
    "/{patient_id}/care-team/{user_id}",
    response={204: None},
    summary="Take a staff member off this patient's care team (program admins)",
)
def remove_from_care_team(request: AuthenticatedApiRequest, patient_id: int, user_id: int) -> Status[None]:
    services.remove_from_care_team(by=request.auth, patient_id=patient_id, user_id=user_id)
    return Status(204, None)


def _episode_out(e: Enrollment) -> EpisodeOut:
    return EpisodeOut(
        id=e.pk,
        started_on=e.started_on.isoformat(),
        ended_on=e.ended_on.isoformat() if e.ended_on else None,
        end_reason=e.end_reason,
        status=e.status,
        kind=e.kind,
    )


@router.post(
    "/{patient_id}/discharge",
    response=DischargedOut,
    openapi_extra=request_body(DischargeIn),
    summary="Discharge: end the episode of care (date, reason); active medication orders stop with it",
)
def discharge_patient(request: AuthenticatedApiRequest, patient_id: int) -> DischargedOut:
    """The answer carries the orders' new `orders_version` (session 24): the stopped orders change it."""
    e = services.discharge(
        by=request.auth, patient_id=patient_id, data=DischargeIn.read(request), token=release_token(request)
    )
    return DischargedOut(
        **_episode_out(e).model_dump(),
        orders_version=e.orders_version_after,
        own_account_turned_off=e.ended_own_account,
    )


@router.post(
    "/{patient_id}/readmit",
    response={201: EpisodeOut},
    openapi_extra=request_body(ReadmissionIn),
    summary="Readmit: open a new episode of care for someone discharged earlier",
)
def readmit_patient(request: AuthenticatedApiRequest, patient_id: int) -> Status[EpisodeOut]:
    e = services.readmit(by=request.auth, patient_id=patient_id, data=ReadmissionIn.read(request))
    return Status(201, _episode_out(e))


@router.post(
    "/{patient_id}/undo-death",
    response=DeathUndoneOut,
    openapi_extra=request_body(UndoDeathIn),
    summary="Undo a death recorded by mistake (a program admin of the person's program, with a reason)",
)
def undo_death(request: AuthenticatedApiRequest, patient_id: int) -> DeathUndoneOut:
    """The episode open again; her own account stays off (a new activation code makes a new one); orders and
    take-home plans stay stopped (`patients.services.deaths`)."""
    undone = services.undo_death(by=request.auth, patient_id=patient_id, data=UndoDeathIn.read(request))
    return DeathUndoneOut(
        episode=_episode_out(undone.episode),
        own_account_off=undone.own_account_off,
        representative_consents_revoked=undone.consents_revoked,
    )


# No body at all asks for nothing to be sent: the body is optional (`request_body` marks bodies required).
_ACTIVATION_BODY = request_body(ActivationCodeIn)
_ACTIVATION_BODY["requestBody"] = {
    **cast(dict[str, object], _ACTIVATION_BODY["requestBody"]),
    "required": False,
}


@router.post(
    "/{patient_id}/activation-code",
    response={201: ActivationCodeOut, 409: ErrorOut},
    openapi_extra=_ACTIVATION_BODY,
    summary="A one-time code for the patient to make their own account (shown once)",
)
@desk_only
def issue_activation_code(request: AuthenticatedApiRequest, patient_id: int) -> Status[ActivationCodeOut]:
    body = ActivationCodeIn.read(request) if request.body else ActivationCodeIn.posted({})
    issued = services.issue_activation_code(
        by=request.auth,
        patient_id=patient_id,
        data=body,  # checked after the access checks (an unknown key refused by name, review 13a)
        activate_url=request.build_absolute_uri(reverse("patients:activate")),
    )
    return _handed(issued)


def _handed(issued: services.IssuedCode) -> Status[ActivationCodeOut]:
    """The code for the desk, or a 409 (`CodeNotMade`) for one voided as it was stored: never a dead code
    (lane fix38b)."""
    if not issued.made:
        raise services.CodeNotMade()
    return Status(201, ActivationCodeOut(code=issued.code, expires_at=issued.row.expires_at.isoformat()))


@router.post(
    "/{patient_id}/password-reset-code",
    response={201: ActivationCodeOut, 409: ErrorOut},
    openapi_extra=request_body(ResetCodeIn),
    summary="A one-time code for the patient to set a new password (shown once; identity_checked required)",
)
@desk_only
def issue_reset_code(request: AuthenticatedApiRequest, patient_id: int) -> Status[ActivationCodeOut]:
    body = ResetCodeIn.read(request) if request.body else ResetCodeIn.posted({})
    issued = services.issue_reset_code(by=request.auth, patient_id=patient_id, data=body)
    return _handed(issued)


@router.post(
    "/care-teams",
    response=CareTeamsAddedOut,
    openapi_extra=request_body(CareTeamsIn),
    summary="Put one staff member on several patients' care teams at once (program admins; all or nothing)",
)
def add_many_to_care_team(request: AuthenticatedApiRequest) -> CareTeamsAddedOut:
    rows = services.add_many_to_care_team(by=request.auth, data=CareTeamsIn.read(request))
    return CareTeamsAddedOut(patient_ids=sorted(r.patient_id for r in rows), user_id=rows[0].user_id)


@router.post(
    "/{patient_id}/second-factor/reset",
    response=SecondFactorResetOut,
    openapi_extra=request_body(SecondFactorResetIn),
    summary="Reset a patient's two-step sign-in after checking who they are (care-team clinicians; reason)",
)
@desk_only
def reset_patient_second_factor(request: AuthenticatedApiRequest, patient_id: int) -> SecondFactorResetOut:
    patient = services.reset_second_factor(
        by=request.auth, patient_id=patient_id, data=SecondFactorResetIn.read(request)
    )
    return SecondFactorResetOut(id=patient.pk, second_factor="reset")


@router.patch(
    "/{patient_id}/contact",
    response=ContactChangedOut,
    openapi_extra=request_body(ContactIn),
    summary="Change contact details and preferred language (only the fields given; 422 names each wrong one)",
)
def update_contact(request: AuthenticatedApiRequest, patient_id: int) -> ContactChangedOut:
    # A key not among the details is refused by name in the check's own words ("cannot be changed here").
    body = ContactIn.read(request, exact=False)
    changed = services.update_contact(by=request.auth, patient_id=patient_id, data=body)
    version = queries.version_after_change(patient_id)
    return ContactChangedOut(id=patient_id, changed=changed, version=version)


@router.get("/{patient_id}", response=PatientDetailOut, summary="One patient (404 when outside my scope)")
def get_patient(request: AuthenticatedApiRequest, patient_id: int) -> dict[str, object]:
    return asdict(queries.get_patient(request.auth, patient_id))


@router.get("/{patient_id}/flags", response=list[FlagOut], summary="A patient's flags, open first")
def list_flags(request: AuthenticatedApiRequest, patient_id: int) -> list[PatientFlag]:
    return queries.list_flags(request.auth, patient_id=patient_id)


@router.post("/{patient_id}/flags/{flag_id}/resolve", response=FlagOut, summary="Resolve a flag with a note")
def resolve_flag(
    request: AuthenticatedApiRequest, patient_id: int, flag_id: int, payload: ResolveIn
) -> PatientFlag:
    try:
        return services.resolve_flag(
            by=request.auth,
            patient_id=patient_id,
            flag_id=flag_id,
            note=payload.note,
            read_version=services.NOT_ASKED if payload.version is None else payload.version,
        )
    except services.FlagNotAllowed as exc:
        raise HttpError(403, str(exc)) from None
    except services.FlagError as exc:
        if exc.field == "flag":
            raise HttpError(409, said(exc.error)) from None
        raise FieldsInvalid([exc.error]) from None


# --- The identity photo (issue #18) ------------------------------------------------------------------------

_PHOTO_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["photo"],
                "properties": {
                    "photo": {
                        "type": "string",
                        "format": "binary",
                        "description": "a JPEG, PNG or WebP image, up to 5 MB; Keel keeps a re-encoded "
                        "JPEG of at most 480 px a side with no metadata (EXIF, GPS)",
                    }
                },
            }
        }
    },
}
_PHOTO_IMAGE = {
    200: {
        "description": "the photo (never cached: Cache-Control: private, no-store)",
        "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _multipart_photo(request: AuthenticatedApiRequest) -> object:
    """The `photo` part of a multipart body (PUT bodies are not parsed by Django: parsed here, streamed)."""
    if (request.content_type or "") != "multipart/form-data":
        reason = N_("send the photo as multipart/form-data, in a part named photo")
        raise FieldsInvalid([FieldError("photo", reason)])
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > photos.MAX_UPLOAD_BYTES + 64 * 1024:  # refused before a byte of it is read
        raise FieldsInvalid([FieldError("photo", N_("the photo is larger than 5 MB; choose a smaller one"))])
    try:
        # Django parses a body only for POST (and the middleware has already looked at request.POST):
        # the multipart stream is read here, files past 2.5 MB spooled to a temporary file as for a POST.
        parser = MultiPartParser(request.META, request, request.upload_handlers, request.encoding)
        _fields, files = parser.parse()
    except (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, ValueError):
        raise FieldsInvalid([FieldError("photo", N_("the multipart body could not be read"))]) from None
    return files.get("photo")


@router.put(
    "/{patient_id}/photo",
    response=PhotoOut,
    openapi_extra={"requestBody": _PHOTO_BODY},
    summary="Take or replace a patient's identity photo (program admins, counselors, nurses, prescribers)",
)
def put_patient_photo(request: AuthenticatedApiRequest, patient_id: int) -> PhotoOut:
    row = photos.set_photo(
        by=request.auth, patient_id=patient_id, get_upload=lambda: _multipart_photo(request)
    )
    return PhotoOut(
        patient=patient_id,
        content_type=row.content_type,
        width=row.width,
        height=row.height,
        sha256=row.sha256,
        uploaded_at=row.uploaded_at,
    )


@router.get(
    "/{patient_id}/photo",
    response={200: None},
    openapi_extra={"responses": _PHOTO_IMAGE},
    summary="A patient's identity photo (404 when outside my scope or there is none)",
)
def get_patient_photo(request: AuthenticatedApiRequest, patient_id: int) -> HttpResponse:
    from keel.patients.views import photo_response

    return photo_response(photos.read_photo(request.auth, patient_id))


@router.delete(
    "/{patient_id}/photo",
    response={204: None},
    summary="Remove a patient's identity photo (the same roles as taking one; none there: nothing to do)",
)
def delete_patient_photo(request: AuthenticatedApiRequest, patient_id: int) -> Status[None]:
    photos.delete_photo(by=request.auth, patient_id=patient_id)
    return Status(204, None)
