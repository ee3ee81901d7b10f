"""`keel episode ...`: the front desk's episode and account steps from the command line (issue #18), through
the same services as the patient pages and the API (the access policy, the audit trail).

    keel episode discharge --by USER --patient-id N --reason REASON [--ended-on YYYY-MM-DD]
    keel episode discharge --by USER --patient-id N --reason transferred --recipient-name NAME
        --consent CONSENT_ID --password-stdin [--ended-on D]   (a transfer: a disclosure under the consent)
    keel episode undo-death --by USER --patient-id N --reason TEXT   (a death recorded by mistake: a program
        admin of the person's program, within KEEL_DEATH_UNDO_DAYS of the recording)
    keel episode readmit --by USER --patient-id N --notice-given --consented [--started-on D]
        [--episode-kind K]
    keel episode care-team --by USER --patient-id N (--add USER_ID | --remove USER_ID)
    keel episode activation-code --by USER --patient-id N [--send-by-email] [--send-by-text]

A patient outside the user's reach is "not found", as on the pages; bad input names its field; both exit 2.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.urls import reverse

from keel.accounts.management.commands.staff import acting_user, fields_error
from keel.core.rules.inputs import FieldsInvalid
from keel.patients.errors import CodeNotMade, NotAllowed
from keel.patients.schemas import DischargeIn, ReadmissionIn, UndoDeathIn
from keel.patients.services.activation import issue_activation_code
from keel.patients.services.care_team import add_to_care_team, remove_from_care_team
from keel.patients.services.deaths import undo_death
from keel.patients.services.episodes import discharge, readmit

if TYPE_CHECKING:
    from keel.accounts.models import User


def _patient_id(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise CommandError("--patient-id: give the record's number id", returncode=2) from None
    if value < 1:
        raise CommandError("--patient-id: give the record's number id", returncode=2)
    return value


class Command(BaseCommand):
    help = (
        "Discharge, undo a death recorded by mistake, readmit, change a care team or give an activation "
        "code, as the patient pages do."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        for name in ("discharge", "undo-death", "readmit", "care-team", "activation-code"):
            sub = actions.add_parser(name)
            sub.add_argument("--by", required=True, help="username of the staff member acting")
            sub.add_argument("--patient-id", required=True)
            if name == "discharge":
                sub.add_argument("--reason", required=True)
                sub.add_argument("--ended-on", default="")
                sub.add_argument("--recipient-name", default="", help="a transfer: the receiving program")
                sub.add_argument("--consent", default="", help="a transfer: the id of the patient's consent")
                sub.add_argument(
                    "--password-stdin",
                    action="store_true",
                    help="a transfer: read your password (asked again) from the first line of standard input",
                )
            if name == "undo-death":
                sub.add_argument("--reason", required=True, help="why the death was recorded by mistake")
            if name == "readmit":
                sub.add_argument("--started-on", default="")
                sub.add_argument("--episode-kind", default="")
                sub.add_argument(
                    "--notice-given", action="store_true", help="the person received the Part 2 notice again"
                )
                sub.add_argument("--consented", action="store_true", help="the person consented to treatment")
            if name == "care-team":
                group = sub.add_mutually_exclusive_group(required=True)
                group.add_argument("--add", metavar="USER_ID")
                group.add_argument("--remove", metavar="USER_ID")
            if name == "activation-code":
                sub.add_argument("--send-by-email", action="store_true")
                sub.add_argument("--send-by-text", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        by = acting_user(options["by"])
        patient_id = _patient_id(options["patient_id"])
        try:
            self._act(options["action"], by, patient_id, options)
        except FieldsInvalid as exc:
            raise fields_error(exc) from None
        except CodeNotMade as exc:  # voided as it was stored: no code (lane fix38b); not bad input
            raise CommandError(str(exc), returncode=1) from None
        except Http404:
            raise CommandError("--patient-id: no such patient in your reach", returncode=2) from None
        except (NotAllowed, PermissionDenied) as exc:
            raise CommandError(str(exc) or "not allowed for your role", returncode=2) from None

    def _transfer(self, options: dict[str, Any]) -> dict[str, Any]:
        """A transfer's consent, recipient and password again (from standard input, never an argument)."""
        given = [
            flag
            for flag, name in (
                ("--recipient-name", "recipient_name"),
                ("--consent", "consent"),
                ("--password-stdin", "password_stdin"),
            )
            if options[name]
        ]
        if options["reason"] != "transferred":
            if given:
                raise CommandError(f"{given[0]}: only for --reason transferred", returncode=2)
            return {}
        if not options["password_stdin"]:
            raise CommandError(
                "password: a transfer asks for your password again; give it with --password-stdin",
                returncode=2,
            )
        return {
            "recipient_name": options["recipient_name"],
            "consent": options["consent"],
            "password": sys.stdin.readline().rstrip("\n"),
        }

    def _act(self, action: str, by: User, patient_id: int, options: dict[str, Any]) -> None:
        if action == "discharge":
            data: dict[str, Any] = {"reason": options["reason"], "ended_on": options["ended_on"]}
            data |= self._transfer(options)
            ended = discharge(by=by, patient_id=patient_id, data=DischargeIn.posted(data))
            self.stdout.write(f"Episode {ended.pk} ended on {ended.ended_on}.")
            if ended.ended_own_account:  # a death recorded (lane dead27)
                self.stdout.write("The person's own Keel account was turned off.")
        elif action == "undo-death":
            undone = undo_death(
                by=by, patient_id=patient_id, data=UndoDeathIn.posted({"reason": options["reason"]})
            )
            self.stdout.write(
                f"The death recorded by mistake is undone: episode {undone.episode.pk} is open again."
            )
            self.stdout.write(
                "Medication orders and take-home plans stay stopped until a prescriber decides."
            )
            if undone.own_account_off:
                self.stdout.write("The person's own Keel account stays off: give a new activation code.")
            if undone.consents_revoked:
                self.stdout.write(
                    f"Consents revoked (signed by a personal representative): {undone.consents_revoked}."
                )
        elif action == "readmit":
            data = {
                "started_on": options["started_on"],
                "episode_kind": options["episode_kind"],
                "notice_given": options["notice_given"],
                "consented": options["consented"],
            }
            opened = readmit(by=by, patient_id=patient_id, data=ReadmissionIn.posted(data))
            self.stdout.write(f"Episode {opened.pk} began on {opened.started_on.isoformat()}.")
        elif action == "care-team":
            if options["add"] is not None:
                add_to_care_team(by=by, patient_id=patient_id, user_id=options["add"])
                self.stdout.write("Added to the care team.")
            else:
                remove_from_care_team(by=by, patient_id=patient_id, user_id=options["remove"])
                self.stdout.write("Removed from the care team.")
        else:
            issued = issue_activation_code(
                by=by,
                patient_id=patient_id,
                send_by_text=options["send_by_text"],
                send_by_email=options["send_by_email"],
                activate_url=settings.KEEL_PUBLIC_URL.rstrip("/") + reverse("patients:activate"),
            )
            if not issued.made:  # voided as it was stored: no code printed (lane fix38b)
                raise CodeNotMade()
            self.stdout.write(f"Activation code: {issued.code}")
