"""`keel appointment --by USERNAME --patient ID --date D --start HH:MM --end HH:MM --kind K [--with ID]`:
schedule an appointment from the command line, through the same service as the page and the API (policy,
audit); `keel appointment --by USERNAME --patient ID --list` lists the patient's appointments."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keel.access.policy import ActionNotAllowed, PatientNotFound
from keel.accounts.management.commands.staff import acting_user
from keel.appointments import queries, services
from keel.appointments.schemas import AppointmentOut
from keel.core.rules.inputs import FieldsInvalid


class Command(BaseCommand):
    help = "Schedule (or --list) a patient's appointments; local date and times in the program's zone."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--by", required=True, help="username of the staff member")
        parser.add_argument("--patient", required=True, help="the patient's id")
        parser.add_argument("--list", action="store_true", help="list the appointments as JSON")
        parser.add_argument("--date", default="", help="local date, e.g. 2027-03-15")
        parser.add_argument("--start", default="", help="local start time, e.g. 09:30")
        parser.add_argument("--end", default="", help="local end time, e.g. 10:30")
        parser.add_argument("--kind", default="", help="counseling, prescriber, group or intake")
        parser.add_argument("--with", dest="with_id", default="", help="the staff member's id (optional)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["by"])
        try:
            if options["list"]:
                found = queries.patient_appointments(user, options["patient"])
                rows = [AppointmentOut.of(a).model_dump() for a in found.appointments]
                self.stdout.write(json.dumps(rows))
                return
            row = services.schedule(
                by=user,
                patient_id=options["patient"],
                day=options["date"],
                start=options["start"],
                end=options["end"],
                kind=options["kind"],
                with_id=options["with_id"],
            )
        except FieldsInvalid as exc:
            raise CommandError(
                "; ".join(f"--{e.field.replace('_id', '')}: {e.reason}" for e in exc.errors), returncode=2
            ) from None
        except PatientNotFound:
            raise CommandError("--patient: no such patient in your scope", returncode=2) from None
        except ActionNotAllowed as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(json.dumps(AppointmentOut.of(row).model_dump()))
