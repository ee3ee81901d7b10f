"""`keel createuser --username U --role ROLE --program SLUG --password-stdin [--json]`."""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.accounts import queries, services
from keel.accounts.models import Role, User
from keel.patients.models import Patient, death_recorded, lock_for_account_change
from keel.patients.services.common import death_refused


class Command(BaseCommand):
    help = "Create a user with one role. Staff get a TOTP secret to enrol in an authenticator app."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--program", help="program slug (required for staff)")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            required=True,
            help="read the password from the first line of standard input",
        )
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--patient-id", type=int, help="link a patient account to this patient record")
        parser.add_argument("--json", action="store_true", help="print the new user as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise CommandError("password: nothing was read from standard input", returncode=2)
        patient = None
        if options["patient_id"] is not None:
            if options["role"] != Role.PATIENT:
                raise CommandError(
                    "--patient-id: only a patient account can be linked to a patient", returncode=2
                )
            patient = Patient.objects.filter(pk=options["patient_id"]).select_related("program").first()
            if patient is None or patient.user_id is not None:
                raise CommandError("--patient-id: no such patient without an account", returncode=2)
        user, device = self._create(options, password, patient)
        out: dict[str, object] = {
            **queries.describe_user(user),
            "totp_secret": services.totp_secret_base32(device) if device else None,
            "patient_id": patient.pk if patient else None,
        }
        if options["json"]:
            self.stdout.write(json.dumps(out))
            return
        self.stdout.write(f"Created {user.username} ({user.role}).")
        if device:
            self.stdout.write(f"TOTP secret to enrol in an authenticator app: {out['totp_secret']}")

    def _create(
        self, options: dict[str, Any], password: str, patient: Patient | None
    ) -> tuple[User, TOTPDevice | None]:
        """The account made, and joined to the record, in one transaction under the record's lock
        (`lock_for_account_change`, as the activation and link paths take it): a death's discharge either
        committed first and is seen here, or waits and then turns the new account off. A death recorded is
        refused (lane fix27b) and audited once the transaction, which wrote nothing, is over."""
        died = False
        with transaction.atomic():
            if patient is not None:
                if lock_for_account_change(patient.pk) is not None:  # an account joined meanwhile
                    raise CommandError("--patient-id: no such patient without an account", returncode=2)
                died = death_recorded(patient.pk)
            if not died:
                try:
                    user, device = services.create_user(
                        username=options["username"],
                        role=options["role"],
                        password=password,
                        program_slug=options["program"],
                        first_name=options["first_name"],
                        last_name=options["last_name"],
                    )
                except services.AccountError as exc:
                    raise CommandError(f"{exc.field}: {exc.message}", returncode=2) from None
                if patient is not None:
                    Patient.objects.filter(pk=patient.pk).update(user=user)
                    patient.user = user
        if died:
            assert patient is not None
            death_refused(None, patient, "user")  # audits the refusal (the death is recorded)
            raise CommandError("--patient-id: a death is recorded for this person", returncode=2)
        return user, device
