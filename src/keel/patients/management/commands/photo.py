"""`keel photo set|remove --by USER --patient-id N [--file PATH]`: the identity photo shown at the dosing
window (issue #18), through the same service as the patient page and `PUT /api/v1/patients/{id}/photo`: the
same roles, the same checks of the file (JPEG, PNG or WebP, at most 5 MB, re-encoded without metadata),
audited."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from keel.accounts.management.commands.staff import acting_user, fields_error
from keel.core.rules.inputs import FieldsInvalid
from keel.patients import photos
from keel.patients.errors import NotAllowed
from keel.patients.management.commands.episode import _patient_id


def _upload(path: str) -> SimpleUploadedFile:
    file = Path(path)
    if not file.is_file():
        raise CommandError("--file: no such file", returncode=2)
    if file.stat().st_size > photos.MAX_UPLOAD_BYTES:
        raise CommandError("--file: the photo is larger than 5 MB; choose a smaller one", returncode=2)
    return SimpleUploadedFile(file.name, file.read_bytes())


class Command(BaseCommand):
    help = "Take (set) or remove a patient's identity photo, as the patient page does."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["set", "remove"])
        parser.add_argument("--by", required=True, help="username of the staff member acting")
        parser.add_argument("--patient-id", required=True)
        parser.add_argument("--file", help="the photo (JPEG, PNG or WebP), for set")

    def handle(self, *args: Any, **options: Any) -> None:
        by = acting_user(options["by"])
        patient_id = _patient_id(options["patient_id"])
        if options["action"] == "set" and not options["file"]:
            raise CommandError("--file: give the photo to take", returncode=2)
        try:
            if options["action"] == "set":
                upload = _upload(options["file"])
                photos.set_photo(by=by, patient_id=patient_id, get_upload=lambda: upload)
                self.stdout.write("Photo saved.")
            else:
                removed = photos.delete_photo(by=by, patient_id=patient_id)
                self.stdout.write("Photo removed." if removed else "There was no photo.")
        except FieldsInvalid as exc:
            raise fields_error(exc) from None
        except Http404:
            raise CommandError("--patient-id: no such patient in your reach", returncode=2) from None
        except (NotAllowed, PermissionDenied) as exc:
            raise CommandError(str(exc) or "not allowed for your role", returncode=2) from None
