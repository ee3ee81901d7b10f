"""`keel register_patient --by USERNAME --data JSON [--json]`: the front desk's registration (issue #18) from
the command line, through the same service as the page and the API (policy, audit, duplicate check)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keel.accounts.management.commands.staff import acting_user
from keel.core.rules.inputs import FieldsInvalid, loads_json
from keel.patients.errors import NotAllowed
from keel.patients.schemas import RegistrationIn
from keel.patients.services.registration import register_patient


class Command(BaseCommand):
    help = "Register (admit) a patient: the same fields as POST /api/v1/patients, as one JSON object."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--by", required=True, help="username of the program admin or clinician registering"
        )
        parser.add_argument("--data", required=True, help='e.g. {"given_name": "Maria", "family_name": ...}')
        parser.add_argument("--json", action="store_true", help="print the new record as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["by"])
        try:
            data = loads_json(options["data"])
        except ValueError:
            raise CommandError("--data: is not valid JSON", returncode=2) from None
        if not isinstance(data, dict):
            raise CommandError("--data: must be a JSON object", returncode=2)
        try:
            done = register_patient(by=user, data=RegistrationIn.posted(data))
        except FieldsInvalid as exc:
            raise CommandError(
                "; ".join(f"{e.field}: {e.reason}" for e in exc.errors), returncode=2
            ) from None
        except NotAllowed as exc:
            raise CommandError(str(exc), returncode=2) from None
        p = done.patient
        if options["json"]:
            out = {"id": p.pk, "record_number": p.record_number, "program": p.program.slug}
            self.stdout.write(json.dumps(out))
            return
        self.stdout.write(f"Registered {p.display_name} ({p.record_number}) in {p.program.slug}.")
