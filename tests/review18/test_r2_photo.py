"""Review of issue #18: the identity photo (upload, cleaning, serving, other routes)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (800, 600), (200, 120, 90))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # orientation: turned
    gps = {1: "N", 2: (40.0, 44.0, 54.36), 3: "W", 4: (73.0, 59.0, 8.5)}
    exif[0x8825] = gps
    out = BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), icc_profile=b"\0" * 128)
    return out.getvalue()


def _upload(client: Any, patient_id: int, data: bytes, name: str = "p.jpg", ctype: str = "image/jpeg") -> Any:
    return client.post(
        f"/patients/{patient_id}/photo/change/", {"photo": SimpleUploadedFile(name, data, content_type=ctype)}
    )


def _png_header(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


# --- Attacks that held -------------------------------------------------------------------------------------


def test_held_gps_and_camera_metadata_do_not_survive(signed_in: Any, world: Any) -> None:
    from keel.patients.models import PatientPhoto

    assert _upload(signed_in("nurse"), world.alice.pk, _jpeg_with_gps()).status_code == 302
    kept = bytes(PatientPhoto.objects.get(patient=world.alice).data)
    with Image.open(BytesIO(kept)) as image:
        assert not image.getexif()
        assert "icc_profile" not in image.info
        assert image.size == (360, 480)  # turned as the camera said, shrunk
    assert b"PhoneMaker" not in kept


@pytest.mark.parametrize(
    ("data", "name", "ctype"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "p.svg",
            "image/svg+xml",
        ),
        (b"<html><script>alert(1)</script></html>", "p.jpg", "image/jpeg"),
        (b"GIF89a<script>alert(1)</script>", "p.gif", "image/gif"),
        (_png_header(60000, 60000), "bomb.png", "image/png"),
        (b"", "empty.jpg", "image/jpeg"),
    ],
)
def test_held_a_file_that_is_not_a_sane_photo_is_a_422(
    signed_in: Any, world: Any, data: bytes, name: str, ctype: str
) -> None:
    from keel.patients.models import PatientPhoto

    assert _upload(signed_in("nurse"), world.alice.pk, data, name, ctype).status_code == 422
    assert not PatientPhoto.objects.filter(patient=world.alice).exists()


def test_held_a_polyglot_is_re_encoded_and_its_tail_dropped(signed_in: Any, world: Any) -> None:
    from keel.patients.models import PatientPhoto

    out = BytesIO()
    Image.new("RGB", (40, 40)).save(out, "JPEG")
    _upload(signed_in("nurse"), world.alice.pk, out.getvalue() + b"<script>alert(1)</script>")
    assert b"<script>" not in bytes(PatientPhoto.objects.get(patient=world.alice).data)


def _with_photo(signed_in: Any, world: Any) -> None:
    out = BytesIO()
    Image.new("RGB", (40, 40)).save(out, "JPEG")
    for patient in (world.alice, world.bob):
        _upload(signed_in("program_admin"), patient.pk, out.getvalue())


@pytest.mark.parametrize(
    ("role", "target", "status"),
    [
        ("auditor", "own", 404),
        ("patient", "same_program", 404),
        ("nurse", "same_program", 404),
        ("peer_specialist", "same_program", 404),
        ("program_admin", "other_program", 404),
        ("nurse", "own", 200),
        ("patient", "own", 200),
    ],
)
def test_held_who_may_fetch_a_photo(signed_in: Any, world: Any, role: str, target: str, status: int) -> None:
    _with_photo(signed_in, world)
    response = signed_in(role).get(f"/patients/{world.target(target).pk}/photo/")
    assert response.status_code == status
    if status == 200:
        assert response["Cache-Control"] == "private, no-store"
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("role", ["peer_specialist", "auditor", "patient", "counselor"])
def test_held_roles_outside_the_front_desk_cannot_change_a_photo(
    signed_in: Any, world: Any, role: str
) -> None:
    out = BytesIO()
    Image.new("RGB", (40, 40)).save(out, "JPEG")
    response = _upload(signed_in(role), world.alice.pk, out.getvalue())
    assert response.status_code in (403, 404) or role == "counselor"


def test_held_the_photo_is_not_in_the_fhir_patient(signed_in: Any, world: Any) -> None:
    _with_photo(signed_in, world)
    response = signed_in("nurse").get(f"/fhir/Patient/{world.alice.pk}")
    assert b'"photo"' not in response.content


def test_held_the_dosing_list_is_closed_to_a_peer_and_an_auditor(signed_in: Any, world: Any) -> None:
    for role in ("peer_specialist", "auditor"):
        assert signed_in(role).get("/dosing/").status_code in (403, 404)
