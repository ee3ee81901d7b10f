"""The identity photo (issue #18): taken at the desk or on the record, re-encoded without metadata, kept in
the database, served only through the access policy (audited, never cached), shown on the dosing row and the
patient page; the same through the API. Bad files are refused with the photo field named, never a 500."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, date, datetime
from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.test.utils import CaptureQueriesContext
from PIL import Image

from keel.audit.models import AuditEvent
from keel.core.rules.inputs import FieldsInvalid
from keel.patients import photos
from keel.patients.models import Patient, PatientPhoto
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

GPS_LATITUDE = (41.0, 52.0, 12.34)  # somewhere in Chicago: must never reach a served byte


# --- Test images ----------------------------------------------------------------------------------------


def jpeg_bytes(size: tuple[int, int] = (8, 8), color: tuple[int, int, int] = (200, 120, 90)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def jpeg_with_gps(size: tuple[int, int] = (600, 400), orientation: int = 1) -> bytes:
    """A camera-like JPEG: make, model, orientation, a GPS position and a comment in its EXIF."""
    image = Image.new("RGB", size, (10, 200, 30))
    image.paste((250, 0, 0), (0, 0, size[0] // 2, size[1] // 2))  # a red corner, to see the rotation
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "PhoneModel X"  # Model
    exif[0x0112] = orientation
    exif[0x010E] = "secret comment"  # ImageDescription
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = GPS_LATITUDE
    gps[3] = "W"
    gps[4] = (87.0, 37.0, 56.78)
    out = BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    data = out.getvalue()
    assert b"PhoneMaker" in data and Image.open(BytesIO(data)).getexif().get_ifd(0x8825)  # the test's own
    return data


def png_bytes(size: tuple[int, int] = (20, 10), mode: str = "RGBA") -> bytes:
    out = BytesIO()
    Image.new(mode, size, (0, 0, 255, 0) if mode == "RGBA" else (0, 0, 255)).save(out, "PNG")
    return out.getvalue()


def webp_bytes() -> bytes:
    out = BytesIO()
    Image.new("RGB", (30, 30), (1, 2, 3)).save(out, "WEBP")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge canvas (a decompression bomb's first bytes)."""
    data = bytearray(png_bytes((1, 1), "RGB"))
    ihdr = 8 + 8  # signature, then length and type of the IHDR chunk
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
GIF_HTML = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;<html><script>alert(1)</script></html>"


def _file(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def _put(client: Client, patient_id: int, data: bytes, name: str = "photo.jpg") -> Any:
    body = encode_multipart(BOUNDARY, {"photo": _file(data, name)})
    return client.put(f"/api/v1/patients/{patient_id}/photo", body, content_type=MULTIPART_CONTENT)


def _upload(client: Client, patient_id: int, data: bytes, name: str = "photo.jpg") -> Any:
    return client.post(f"/patients/{patient_id}/photo/change/", {"photo": _file(data, name)})


def _photo_of(patient: Patient) -> PatientPhoto | None:
    return PatientPhoto.objects.filter(patient=patient).first()


def _served(client: Client, patient_id: int) -> Image.Image:
    response = client.get(f"/patients/{patient_id}/photo/")
    assert response.status_code == 200
    return Image.open(BytesIO(response.content))


# --- Cleaning: what Keel keeps of a file ---------------------------------------------------------------


def test_a_kept_photo_has_no_exif_at_all() -> None:
    kept = Image.open(BytesIO(photos.clean_photo(jpeg_with_gps()).data))
    assert dict(kept.getexif()) == {}


def test_a_kept_photo_has_no_gps_position() -> None:
    data = photos.clean_photo(jpeg_with_gps()).data
    assert b"GPS" not in data
    assert b"Exif" not in data


def test_a_kept_photo_names_no_camera() -> None:
    data = photos.clean_photo(jpeg_with_gps()).data
    assert b"PhoneMaker" not in data
    assert b"PhoneModel" not in data
    assert b"secret comment" not in data


def test_a_kept_photo_carries_no_other_metadata_block() -> None:
    kept = Image.open(BytesIO(photos.clean_photo(jpeg_with_gps()).data))
    assert not {"exif", "icc_profile", "xmp", "comment"} & set(kept.info)


def test_the_camera_orientation_is_applied_before_the_metadata_goes() -> None:
    kept = photos.clean_photo(jpeg_with_gps((600, 400), orientation=6))  # "rotate 90° clockwise to view"
    assert (kept.width, kept.height) == (320, 480)


def test_a_big_photo_is_made_at_most_480_pixels_a_side() -> None:
    kept = photos.clean_photo(png_bytes((2000, 1000), "RGB"))
    assert (kept.width, kept.height) == (480, 240)


def test_a_photo_is_always_kept_as_a_jpeg_with_its_digest() -> None:
    import hashlib

    kept = photos.clean_photo(webp_bytes())
    assert kept.content_type == "image/jpeg"
    assert kept.sha256 == hashlib.sha256(kept.data).hexdigest()
    assert Image.open(BytesIO(kept.data)).format == "JPEG"


def test_a_transparent_png_is_kept_on_white() -> None:
    kept = Image.open(BytesIO(photos.clean_photo(png_bytes((20, 10), "RGBA")).data))
    assert all(c > 240 for c in kept.convert("RGB").getpixel((5, 5)))  # type: ignore[union-attr]


def test_bytes_after_a_jpeg_do_not_survive_the_re_encoding() -> None:
    polyglot = jpeg_bytes((16, 16)) + b"<html><script>alert(1)</script></html>"
    assert b"<script" not in photos.clean_photo(polyglot).data


def _refusal(data: bytes) -> str:
    with pytest.raises(FieldsInvalid) as exc:
        photos.clean_photo(data)
    assert [e.field for e in exc.value.errors] == ["photo"]
    return exc.value.errors[0].reason


@pytest.mark.parametrize(
    ("what", "data"),
    [
        ("an empty file", b""),
        ("a text file", b"hello, this is not a photo"),
        ("an SVG", SVG),
        ("a GIF that is also an HTML page", GIF_HTML),
        ("a cut-off JPEG", jpeg_with_gps()[:700]),
        ("a PNG cut after its header", png_bytes((50, 50), "RGB")[:40]),
        ("a PDF", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"),
    ],
)
def test_what_is_not_a_whole_photo_is_refused_naming_the_photo_field(what: str, data: bytes) -> None:
    assert _refusal(data)


def test_a_file_over_5_mb_is_refused() -> None:
    assert "5 MB" in _refusal(b"\xff\xd8\xff" + b"\0" * photos.MAX_UPLOAD_BYTES)


def test_an_image_whose_canvas_is_too_large_is_refused_before_it_is_decoded() -> None:
    assert "too large" in _refusal(png_claiming(50_000, 50_000))


def test_a_canvas_past_pillows_own_bomb_limit_is_refused_too() -> None:
    assert "too large" in _refusal(png_claiming(200_000, 200_000))


# --- Pages: who takes, replaces and removes a photo ---------------------------------------------------------


def test_a_nurse_on_the_care_team_takes_alices_photo_on_her_record(world: World) -> None:
    response = _upload(sign_in(Client(), world.staff["nurse"]), world.alice.pk, jpeg_with_gps())
    assert response.status_code == 302
    assert _photo_of(world.alice) is not None


def test_taking_a_photo_is_audited_without_the_image(world: World) -> None:
    _upload(sign_in(Client(), world.staff["nurse"]), world.alice.pk, jpeg_with_gps())
    event = AuditEvent.objects.filter(target_type="photo").latest("id")
    assert (event.action, event.patient_id, event.actor_id) == (
        "create",
        world.alice.pk,
        world.staff["nurse"].pk,
    )


def test_a_program_admin_takes_the_photo_of_a_patient_of_the_program(world: World) -> None:
    response = _upload(sign_in(Client(), world.staff["program_admin"]), world.bob.pk, jpeg_bytes())
    assert response.status_code == 302
    assert _photo_of(world.bob) is not None


@pytest.mark.parametrize("role", ["peer_specialist", "patient"])
def test_roles_outside_the_front_desk_may_not_take_a_photo(world: World, role: str) -> None:
    response = _upload(sign_in(Client(), world.user(role)), world.alice.pk, jpeg_bytes())
    assert response.status_code == 403
    assert _photo_of(world.alice) is None


def test_another_programs_nurse_cannot_take_a_photo_and_learns_nothing(world: World) -> None:
    response = _upload(sign_in(Client(), world.lakeside_nurse), world.alice.pk, jpeg_bytes())
    assert response.status_code == 404
    assert _photo_of(world.alice) is None


def test_a_file_that_is_not_a_photo_gets_a_form_error_on_the_photo_field(world: World) -> None:
    response = _upload(sign_in(Client(), world.staff["nurse"]), world.alice.pk, SVG, "face.svg")
    assert response.status_code == 422
    assert f'id="photo-{world.alice.pk}-error"' in response.content.decode()


def test_a_refused_file_writes_nothing(world: World) -> None:
    _upload(sign_in(Client(), world.staff["nurse"]), world.alice.pk, GIF_HTML, "face.gif")
    assert _photo_of(world.alice) is None


def test_an_upload_without_a_file_is_refused_naming_the_photo(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    response = client.post(f"/patients/{world.alice.pk}/photo/change/", {})
    assert response.status_code == 422
    assert "choose a photo" in response.content.decode()


def test_a_new_photo_replaces_the_old_one_and_keeps_nothing_of_it(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    _upload(client, world.alice.pk, jpeg_bytes(color=(255, 0, 0)))
    first = _photo_of(world.alice)
    _upload(client, world.alice.pk, jpeg_bytes(color=(0, 0, 255)))
    rows = list(PatientPhoto.objects.filter(patient=world.alice))
    assert len(rows) == 1
    assert first is not None
    assert rows[0].sha256 != first.sha256


def test_a_replacement_is_audited_as_an_update(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    _upload(client, world.alice.pk, jpeg_bytes())
    _upload(client, world.alice.pk, jpeg_bytes(color=(0, 0, 255)))
    assert AuditEvent.objects.filter(target_type="photo").latest("id").action == "update"


def test_removing_the_photo_on_the_page_deletes_its_bytes(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    _upload(client, world.alice.pk, jpeg_bytes())
    response = client.post(f"/patients/{world.alice.pk}/photo/change/", {"remove": "1"})
    assert response.status_code == 302
    assert _photo_of(world.alice) is None


# --- Serving ---------------------------------------------------------------------------------------------


@pytest.fixture
def alice_photo(world: World) -> PatientPhoto:
    client = sign_in(Client(), world.staff["nurse"])
    assert _upload(client, world.alice.pk, jpeg_with_gps()).status_code == 302
    row = _photo_of(world.alice)
    assert row is not None
    return row


def test_the_served_photo_has_no_exif_and_no_gps(world: World, alice_photo: PatientPhoto) -> None:
    response = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/photo/")
    assert b"GPS" not in response.content
    assert b"Exif" not in response.content
    assert dict(Image.open(BytesIO(response.content)).getexif()) == {}


def test_the_photo_is_served_as_a_jpeg_never_sniffed(world: World, alice_photo: PatientPhoto) -> None:
    response = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/photo/")
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_browser_or_proxy_keeps_the_photo(world: World, alice_photo: PatientPhoto) -> None:
    response = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/photo/")
    assert response["Cache-Control"] == "private, no-store"


def test_seeing_the_photo_is_an_audited_read_of_the_record(world: World, alice_photo: PatientPhoto) -> None:
    sign_in(Client(), world.staff["peer_specialist"]).get(f"/patients/{world.alice.pk}/photo/")
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.target_type, event.patient_id) == ("read", "photo", world.alice.pk)


def test_the_patient_sees_their_own_photo(world: World, alice_photo: PatientPhoto) -> None:
    response = sign_in(Client(), world.alice.user).get(f"/patients/{world.alice.pk}/photo/")
    assert response.status_code == 200


def test_another_patient_gets_a_404_for_alices_photo(world: World, alice_photo: PatientPhoto) -> None:
    response = sign_in(Client(), world.bob.user).get(f"/patients/{world.alice.pk}/photo/")
    assert response.status_code == 404


def test_another_programs_nurse_gets_a_404_for_alices_photo(world: World, alice_photo: PatientPhoto) -> None:
    response = sign_in(Client(), world.lakeside_nurse).get(f"/api/v1/patients/{world.alice.pk}/photo")
    assert response.status_code == 404


def test_the_auditor_never_sees_a_photo(world: World, alice_photo: PatientPhoto) -> None:
    response = sign_in(Client(), world.staff["auditor"]).get(f"/patients/{world.alice.pk}/photo/")
    assert response.status_code == 404


def test_no_photo_is_a_404_like_a_record_out_of_scope(world: World) -> None:
    response = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/photo/")
    assert response.status_code == 404


def test_the_content_security_policy_lets_pages_show_keels_own_images() -> None:
    from django.conf import settings

    assert "'self'" in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]


# --- The API ------------------------------------------------------------------------------------------------


def test_a_nurse_puts_a_photo_through_the_api(world: World) -> None:
    response = _put(sign_in(Client(), world.staff["nurse"]), world.alice.pk, jpeg_with_gps((600, 400), 6))
    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("width", "height", "content_type")} == {
        "width": 320,
        "height": 480,
        "content_type": "image/jpeg",
    }


def test_the_api_serves_the_same_stripped_photo(world: World, alice_photo: PatientPhoto) -> None:
    response = sign_in(Client(), world.staff["prescriber"]).get(f"/api/v1/patients/{world.alice.pk}/photo")
    assert response.content == bytes(alice_photo.data)
    assert b"GPS" not in response.content


def test_the_api_photo_is_never_cached_either(world: World, alice_photo: PatientPhoto) -> None:
    response = sign_in(Client(), world.staff["prescriber"]).get(f"/api/v1/patients/{world.alice.pk}/photo")
    assert (response["Cache-Control"], response["X-Content-Type-Options"]) == ("private, no-store", "nosniff")


def test_the_api_refuses_an_svg_with_422_naming_the_photo(world: World) -> None:
    response = _put(sign_in(Client(), world.staff["nurse"]), world.alice.pk, SVG, "face.svg")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["photo"]


def test_the_api_refuses_a_json_body_with_422_naming_the_photo(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    response = client.put(f"/api/v1/patients/{world.alice.pk}/photo", "{}", content_type="application/json")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["photo"]


def test_the_api_refuses_a_multipart_body_without_a_photo_part(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    body = encode_multipart(BOUNDARY, {"picture": _file(jpeg_bytes())})
    response = client.put(f"/api/v1/patients/{world.alice.pk}/photo", body, content_type=MULTIPART_CONTENT)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "photo"


def test_the_api_refuses_a_declared_body_over_5_mb_before_reading_it(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    body = encode_multipart(BOUNDARY, {"photo": _file(b"\xff\xd8" + b"\0" * (6 * 1024 * 1024))})
    response = client.put(f"/api/v1/patients/{world.alice.pk}/photo", body, content_type=MULTIPART_CONTENT)
    assert response.status_code == 422
    assert "5 MB" in response.json()["errors"][0]["reason"]


def test_a_peer_specialist_may_not_put_a_photo(world: World) -> None:
    response = _put(sign_in(Client(), world.staff["peer_specialist"]), world.alice.pk, jpeg_bytes())
    assert response.status_code == 403
    assert _photo_of(world.alice) is None


def test_the_api_deletes_the_photo(world: World, alice_photo: PatientPhoto) -> None:
    response = sign_in(Client(), world.staff["program_admin"]).delete(
        f"/api/v1/patients/{world.alice.pk}/photo"
    )
    assert response.status_code == 204
    assert _photo_of(world.alice) is None


def test_deleting_a_photo_is_audited(world: World, alice_photo: PatientPhoto) -> None:
    sign_in(Client(), world.staff["program_admin"]).delete(f"/api/v1/patients/{world.alice.pk}/photo")
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.target_type, event.patient_id) == ("delete", "photo", world.alice.pk)


def test_the_photo_routes_are_in_the_openapi_schema() -> None:
    from keel.api import api

    path = api.get_openapi_schema()["paths"]["/api/v1/patients/{patient_id}/photo"]
    assert set(path) == {"get", "put", "delete"}
    assert "multipart/form-data" in path["put"]["requestBody"]["content"]


# --- Where the photo is shown -------------------------------------------------------------------------------


NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def _order(patient: Patient, prescriber: Any) -> None:
    from keel.treatment.models import MedicationOrder

    MedicationOrder.objects.create(
        patient=patient,
        medication="methadone",
        rxnorm="6813",
        dose_mg=30,
        starts_on=date(2026, 11, 1),
        prescriber=prescriber,
        created_at=NOON,
    )


def test_the_dosing_row_shows_the_photo_of_a_patient_who_has_one(
    world: World, alice_photo: PatientPhoto
) -> None:
    _order(world.alice, world.staff["prescriber"])
    page = sign_in(Client(), world.staff["nurse"]).get("/dosing/").content.decode()
    assert f'src="/patients/{world.alice.pk}/photo/"' in page
    assert f'alt="Photo of {world.alice.preferred_name or world.alice.given_name}"' in page


def test_the_dosing_row_photo_is_lazy_and_of_a_fixed_size(world: World, alice_photo: PatientPhoto) -> None:
    _order(world.alice, world.staff["prescriber"])
    page = sign_in(Client(), world.staff["nurse"]).get("/dosing/").content.decode()
    assert 'width="48" height="48" loading="lazy"' in page


def test_the_dosing_row_shows_a_placeholder_without_a_photo(world: World) -> None:
    _order(world.alice, world.staff["prescriber"])
    page = sign_in(Client(), world.staff["nurse"]).get("/dosing/").content.decode()
    assert "No photo" in page
    assert "/photo/" not in page


def test_the_dosing_list_asks_no_more_queries_when_patients_have_photos(world: World) -> None:
    from django.db import connection

    from keel.patients.models import CareTeamMember
    from keel.treatment import queries
    from tests.access.test_matrix import _make_extra_patient

    extra = []
    for i in range(6):
        p = _make_extra_patient(world, i)
        CareTeamMember.objects.create(patient=p, user=world.staff["nurse"])
        _order(p, world.staff["prescriber"])
        extra.append(p)
    with CaptureQueriesContext(connection) as without:
        queries.dosing_list(world.staff["nurse"])
    for p in extra:
        photos.store(by=world.staff["nurse"], patient=p, photo=photos.clean_photo(jpeg_bytes()))
    with CaptureQueriesContext(connection) as with_photos:
        rows = queries.dosing_list(world.staff["nurse"])
    assert len(with_photos) == len(without)
    assert all(getattr(r.patient, "has_photo", None) is True for r in rows)


def test_the_patient_page_shows_the_photo(world: World, alice_photo: PatientPhoto) -> None:
    page = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/").content.decode()
    assert f'src="/patients/{world.alice.pk}/photo/"' in page


def test_the_patient_page_offers_the_front_desk_roles_an_upload(world: World) -> None:
    page = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'name="photo"' in page


def test_the_patient_page_offers_a_peer_specialist_no_upload(world: World) -> None:
    page = (
        sign_in(Client(), world.staff["peer_specialist"]).get(f"/patients/{world.alice.pk}/").content.decode()
    )
    assert 'name="photo"' not in page


# --- Registration with a photo ------------------------------------------------------------------------------

FORM = {
    "given_name": "Maria",
    "family_name": "Lopez",
    "preferred_name": "Mari",
    "date_of_birth": "1988-04-02",
    "gender": "female",
    "episode_kind": "otp",
    "notice_given": "on",
    "consented": "on",
}


def test_the_registration_page_takes_a_photo_with_the_record(world: World) -> None:
    client = sign_in(Client(), world.staff["program_admin"])
    response = client.post("/patients/new/", {**FORM, "photo": _file(jpeg_with_gps())})
    assert response.status_code == 302
    photo = PatientPhoto.objects.get(patient__family_name="Lopez")
    assert b"GPS" not in bytes(photo.data)


def test_a_bad_photo_at_registration_registers_no_one(world: World) -> None:
    client = sign_in(Client(), world.staff["program_admin"])
    response = client.post("/patients/new/", {**FORM, "photo": _file(SVG, "face.svg")})
    assert response.status_code == 422
    assert not Patient.objects.filter(family_name="Lopez").exists()


def test_a_bad_photo_at_registration_is_named_on_the_photo_field(world: World) -> None:
    client = sign_in(Client(), world.staff["program_admin"])
    page = client.post("/patients/new/", {**FORM, "photo": _file(SVG, "face.svg")}).content.decode()
    assert 'id="id_photo-error"' in page


def test_the_registration_page_form_can_send_a_file(world: World) -> None:
    page = sign_in(Client(), world.staff["program_admin"]).get("/patients/new/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file" name="photo"' in page


def test_a_photo_error_reads_in_spanish(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    response = client.post(
        f"/patients/{world.alice.pk}/photo/change/", {"photo": _file(SVG, "a.svg")}, HTTP_ACCEPT_LANGUAGE="es"
    )
    assert "JPEG, PNG o WebP" in response.content.decode()


_SEED_FILES = [jpeg_bytes((24, 24)), png_bytes((24, 24), "RGB"), webp_bytes()]


def _garbled(seed: int, at: int, junk: bytes) -> bytes:
    """A real image with some of its bytes overwritten (a damaged or hostile file)."""
    base = _SEED_FILES[seed % len(_SEED_FILES)]
    at = at % len(base)
    return base[:at] + junk + base[at + len(junk) :]


@pytest.mark.parametrize("seed", range(3))
def test_a_damaged_file_is_kept_or_refused_never_a_crash(seed: int) -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    @given(at=st.integers(min_value=0, max_value=4000), junk=st.binary(min_size=1, max_size=64))
    def one(at: int, junk: bytes) -> None:
        try:
            kept = photos.clean_photo(_garbled(seed, at, junk))
        except FieldsInvalid as exc:
            assert [e.field for e in exc.errors] == ["photo"]
        else:
            assert kept.content_type == "image/jpeg"
            assert max(kept.width, kept.height) <= photos.MAX_SIDE

    one()
