"""A patient's photo, to know them at the dosing window (issue #18): cleaned, stored, served, removed.

Every photo is decoded and re-encoded here before anything keeps it: JPEG, PNG or WebP in (told apart by
their bytes, never by the name or the type the browser claims), turned as the camera said, made at most
`MAX_SIDE` pixels a side, written out as a fresh JPEG with no metadata at all (no EXIF, no GPS position, no
camera, no XMP, no colour profile). Anything else, a cut-off file, a file too big or an image too large to
open safely is refused with the field named. Reads go through the access policy and are audited like any
read of the record; writes by the front desk's roles (`policy.can_register_patient`); a list's "has a photo"
is read by `keel.patients.queries.with_has_photo`."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from keel.access import policy
from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.rules.inputs import FieldError, FieldsInvalid
from keel.patients.errors import NotAllowed
from keel.patients.models import Patient, PatientPhoto

FIELD = "photo"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # a phone's full-size JPEG fits; anything bigger is refused unread
MAX_PIXELS = 40_000_000  # decompression-bomb guard: a larger canvas is refused before it is decoded
MAX_SIDE = 480  # enough to know a face at the window; small enough for a list of fifty
ACCEPTED = ("JPEG", "PNG", "WEBP")
CONTENT_TYPE = "image/jpeg"
JPEG_QUALITY = 85


@dataclass(frozen=True)
class CleanPhoto:
    """A photo as Keel keeps it: re-encoded bytes, their type, digest and size."""

    data: bytes
    content_type: str
    sha256: str
    width: int
    height: int


def _refuse(reason: str) -> FieldsInvalid:
    return FieldsInvalid([FieldError(FIELD, reason)])


def read_upload(upload: object) -> bytes:
    """The bytes of an uploaded file (Django's UploadedFile), refusing a missing or oversize one unread."""
    if upload is None or not hasattr(upload, "read"):
        raise _refuse(_("choose a photo (JPEG, PNG or WebP)"))
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise _refuse(_("the photo is larger than 5 MB; choose a smaller one"))
    data: bytes = upload.read(MAX_UPLOAD_BYTES + 1)
    return data


def clean_photo(raw: bytes) -> CleanPhoto:
    """Decode `raw`, apply its EXIF orientation, shrink it, and re-encode it as a JPEG with no metadata.

    Raises FieldsInvalid naming the `photo` field for anything that is not a whole JPEG, PNG or WebP image
    of a sane size (an SVG, a GIF, a text or HTML file, a cut-off file, a decompression bomb)."""
    if not raw:
        raise _refuse(_("choose a photo (JPEG, PNG or WebP)"))
    if len(raw) > MAX_UPLOAD_BYTES:
        raise _refuse(_("the photo is larger than 5 MB; choose a smaller one"))
    unreadable = _("this file is not a photo Keel can read; use a JPEG, PNG or WebP image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(raw), formats=ACCEPTED) as opened:
                width, height = opened.size
                if width < 1 or height < 1:
                    raise _refuse(unreadable)
                if width * height > MAX_PIXELS:
                    raise _refuse(_("the image is too large to open; use a photo from a phone or camera"))
                opened.seek(0)  # an animated image: its first frame
                if opened.format == "JPEG":
                    opened.draft("RGB", (MAX_SIDE * 2, MAX_SIDE * 2))  # decode big JPEGs at a smaller scale
                opened.load()  # the whole image: a cut-off file fails here
                image = ImageOps.exif_transpose(opened)
                image = _flatten(image)
                image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
                # A new image from the pixels alone: nothing of the file's metadata can ride along.
                fresh = Image.frombytes("RGB", image.size, image.tobytes())
    except FieldsInvalid:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(_("the image is too large to open; use a photo from a phone or camera")) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError):
        raise _refuse(unreadable) from None
    except Exception:  # whatever else a hostile file makes a decoder raise: refused, never a 500
        raise _refuse(unreadable) from None
    out = BytesIO()
    fresh.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    data = out.getvalue()
    return CleanPhoto(
        data=data,
        content_type=CONTENT_TYPE,
        sha256=hashlib.sha256(data).hexdigest(),
        width=fresh.width,
        height=fresh.height,
    )


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels; a transparent image on white (a JPEG has no transparency)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


# --- Writes ------------------------------------------------------------------------------------------------


def _photo_patient(by: User, patient_id: int | str, action: Action) -> Patient:
    """The patient whose photo `by` changes: in scope (else 404), by the front desk's roles (else 403)."""
    return policy.get_patient_for_action_or_404(
        by,
        patient_id,
        action,
        target_type=FIELD,
        allowed=lambda user, record: policy.can_register_patient(user, record.program_id),
        what="change photos",
        error=NotAllowed,
        message=_("Program admins, counselors, nurses and prescribers take patients' photos."),
        emergency_access=False,
        audit_success=False,
    )


def check_can_change(*, by: User, patient_id: int | str) -> None:
    """Raise as `set_photo` would for scope (404) or role (403), writing nothing (the change page's GET)."""
    _photo_patient(by, patient_id, Action.UPDATE)


def store(*, by: User, patient: Patient, photo: CleanPhoto) -> PatientPhoto:
    """Keep `photo` as the patient's one photo (inside the caller's transaction), audited. The old photo's
    row is overwritten, so nothing of it is kept."""
    row, created = PatientPhoto.objects.update_or_create(
        patient=patient,
        defaults={
            "data": photo.data,
            "content_type": photo.content_type,
            "sha256": photo.sha256,
            "width": photo.width,
            "height": photo.height,
            "uploaded_by": by,
            "uploaded_at": timezone.now(),
        },
    )
    audit.record_for_patient(
        by,
        patient,
        Action.CREATE if created else Action.UPDATE,
        FIELD,
        reason="photo taken" if created else "photo replaced",
        detail={"width": photo.width, "height": photo.height},
    )
    return row


def set_photo(*, by: User, patient_id: int | str, get_upload: Callable[[], object]) -> PatientPhoto:
    """Take (or replace) a patient's photo from an uploaded file (`get_upload()`, asked for only once scope
    and role are checked): scope, role, then the file; nothing is written unless all three are right."""
    patient = _photo_patient(by, patient_id, Action.UPDATE)
    photo = clean_photo(read_upload(get_upload()))
    with transaction.atomic():
        return store(by=by, patient=patient, photo=photo)


def delete_photo(*, by: User, patient_id: int | str) -> bool:
    """Remove a patient's photo (the row and its bytes); False when there was none (nothing audited)."""
    patient = _photo_patient(by, patient_id, Action.DELETE)
    with transaction.atomic():
        deleted, _kinds = PatientPhoto.objects.filter(patient=patient).delete()
        if deleted:
            audit.record_for_patient(by, patient, Action.DELETE, FIELD, reason="photo removed")
    return bool(deleted)


# --- Reads -------------------------------------------------------------------------------------------------


def read_photo(user: User, patient_id: int | str) -> PatientPhoto:
    """A patient's photo for someone who may see who the patient is (identity area), audited as a read of
    the record; out of scope or no photo: the same 404 (and the same denied audit row)."""
    patient = policy.get_patient_or_404(user, patient_id, target_type=FIELD, audit_success=False)
    row = PatientPhoto.objects.filter(patient=patient).first()
    if row is None:
        policy.row_not_theirs(user, patient, FIELD, reason="read identity: no photo")
    reason = "emergency access" if getattr(patient, "keel_off_team", False) else ""
    audit.record_for_patient(user, patient, Action.READ, FIELD, reason=reason)
    return row


def has_photo(patient_id: int) -> bool:
    """Whether this (already scoped and audited) patient has a photo."""
    return PatientPhoto.objects.filter(patient_id=patient_id).exists()
