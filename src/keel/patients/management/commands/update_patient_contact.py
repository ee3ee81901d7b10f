"""`keel update_patient_contact --by USERNAME --patient ID --data JSON`: change a patient's contact details
and preferred language (issue #18) from the command line, through the same service as the page and the API
(policy, field scope, audit by field name)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from keel.accounts.management.commands.staff import acting_user
from keel.core.rules.inputs import FieldsInvalid, loads_json
from keel.patients.errors import NotAllowed
from keel.patients.schemas import ContactIn
from keel.patients.services.contact import update_contact
from keel.recovery.common import StaleEdit


class Command(BaseCommand):
    help = (
        "Change contact details: the same fields as PATCH /api/v1/patients/{id}/contact, as one JSON object."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--by", required=True, help="username of the program admin or clinician")
        parser.add_argument("--patient", required=True, type=int, help="the patient's id")
        parser.add_argument(
            "--data", required=True, help='e.g. {"phone": "555-0100", "preferred_language": "es"}'
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["by"])
        try:
            data = loads_json(options["data"])
        except ValueError:
            raise CommandError("--data: is not valid JSON", returncode=2) from None
        if not isinstance(data, dict):
            raise CommandError("--data: must be a JSON object", returncode=2)
        try:
            changed = update_contact(by=user, patient_id=options["patient"], data=ContactIn.posted(data))
        except FieldsInvalid as exc:
            raise CommandError(
                "; ".join(f"{e.field}: {e.reason}" for e in exc.errors), returncode=2
            ) from None
        except (NotAllowed, StaleEdit) as exc:
            raise CommandError(str(exc), returncode=2) from None
        except Http404:
            raise CommandError("--patient: no such patient in your care", returncode=2) from None
        self.stdout.write(
            "Changed: " + (", ".join(changed) if changed else "nothing (the same as before)") + "."
        )
