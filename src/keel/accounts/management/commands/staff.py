"""`keel staff ...`: a program admin manages the program's staff from the command line (issue #18),
through the same services as the staff pages and the API
(the admin check, the audit trail, the emails people get).

    keel staff list --by ADMIN --program SLUG [--json]
    keel staff invite --by ADMIN --program SLUG --email E --role ROLE [--first-name F] [--last-name L]
    keel staff withdraw --by ADMIN --program SLUG --invitation-id N   (review 35d: its link stops working)
    keel staff deactivate --by ADMIN --program SLUG --user-id N
    keel staff role --by ADMIN --program SLUG --user-id N --role ROLE
    keel staff reset-second-factor --by ADMIN --program SLUG --user-id N --password-stdin
      (the admin's own password again, from the first line of standard input: review 20b)

Bad input names its field and exits with 2, as every Keel command does.
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from keel.accounts import mail, services, staff
from keel.accounts.models import User
from keel.accounts.schemas import InvitationIn
from keel.core.rules.inputs import FieldsInvalid


def acting_user(username: object, *, who: str = "an active staff member") -> User:
    """The active account named by --by, regardless of case as every route reads a username
    (`services.account_named`; review 35g, lane fix36b), or exit 2 asking for `who`."""
    user = services.account_named(username, active_only=True)
    if user is None:
        raise CommandError(f"--by: give the username of {who}", returncode=2)
    return user


def fields_error(exc: FieldsInvalid) -> CommandError:
    """The service's field errors as one line, each naming its field as the API does; exit 2."""
    return CommandError("; ".join(f"{e.field}: {e.reason}" for e in exc.errors), returncode=2)


def setup_code_words(user: User, setup: services.IssuedSetupCode) -> str:
    """What a reset prints once (lane acct35): the person's one-time set-up code, to hand over in person or
    by phone, never by email; she types it at her next sign-in to add a new authenticator."""
    return (
        f"{user.username} adds a new authenticator at their next sign-in with this one-time set-up code "
        f"(works once, until {setup.expires_at.isoformat(timespec='minutes')}; shown only now; hand it over "
        f"in person or by phone, never by email): {setup.code}"
    )


class Command(BaseCommand):
    help = (
        "Manage a program's staff: list, invite, withdraw an invitation, deactivate, change a role, "
        "reset a second factor."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        for name in ("list", "invite", "withdraw", "deactivate", "role", "reset-second-factor"):
            sub = actions.add_parser(name)
            sub.add_argument("--by", required=True, help="username of a program admin")
            sub.add_argument("--program", required=True, help="the program's slug")
            if name == "list":
                sub.add_argument("--json", action="store_true")
            if name == "invite":
                sub.add_argument("--email", required=True)
                sub.add_argument("--role", required=True)
                sub.add_argument("--first-name", default="")
                sub.add_argument("--last-name", default="")
            if name == "withdraw":
                sub.add_argument("--invitation-id", required=True)
            if name in ("deactivate", "role", "reset-second-factor"):
                sub.add_argument("--user-id", required=True)
            if name == "role":
                sub.add_argument("--role", required=True)
            if name == "reset-second-factor":
                sub.add_argument(
                    "--password-stdin",
                    action="store_true",
                    help="your password again (an MFA change), from the first line of standard input",
                )

    def handle(self, *args: Any, **options: Any) -> None:
        by = acting_user(options["by"])
        slug = options["program"]
        action = options["action"]
        try:
            if action == "list":
                self._list(by, slug, as_json=options["json"])
            elif action == "invite":
                data = {
                    "email": options["email"],
                    "role": options["role"],
                    "first_name": options["first_name"],
                    "last_name": options["last_name"],
                }
                sent = staff.invite(
                    by=by,
                    program_slug=slug,
                    data=InvitationIn.posted(data),
                    base_url=settings.KEEL_PUBLIC_URL,
                )
                self.stdout.write(f"Invitation {sent.invitation.pk} sent to {sent.invitation.email}.")
            elif action == "withdraw":
                self._withdraw(by, slug, options["invitation_id"])
            elif action == "deactivate":
                self._deactivate(by, slug, options["user_id"])
            elif action == "role":
                user = staff.change_role(
                    by=by, program_slug=slug, user_id=options["user_id"], role=options["role"]
                )
                self.stdout.write(f"{user.username} is now {user.role}.")
            else:
                if not options["password_stdin"]:
                    raise CommandError(
                        "password: a second factor reset asks for your password again; give it with "
                        "--password-stdin",
                        returncode=2,
                    )
                done = staff.reset_second_factor(
                    by=by,
                    program_slug=slug,
                    user_id=options["user_id"],
                    password=sys.stdin.readline().rstrip("\n"),
                )
                self.stdout.write(setup_code_words(done.user, done.setup_code))
        except FieldsInvalid as exc:
            raise fields_error(exc) from None
        except staff.NotAllowed as exc:
            raise CommandError(str(exc), returncode=2) from None
        except mail.EmailNotSent:
            raise CommandError("the email could not be sent: check KEEL_EMAIL_URL", returncode=2) from None

    def _withdraw(self, by: User, slug: str, invitation_id: str) -> None:
        invitation = staff.withdraw_invitation(by=by, program_slug=slug, invitation_id=invitation_id)
        self.stdout.write(f"Invitation {invitation.pk} to {invitation.email} withdrawn.")

    def _deactivate(self, by: User, slug: str, user_id: str) -> None:
        user = staff.deactivate(by=by, program_slug=slug, user_id=user_id)
        self.stdout.write(f"{user.username}: access to {slug} ended.")

    def _list(self, by: User, slug: str, *, as_json: bool) -> None:
        _program, people, invitations = staff.staff_of(by=by, program_slug=slug)
        if as_json:
            rows = [{"id": p.id, "username": p.username, "role": p.role, "active": p.active} for p in people]
            pending = [{"id": i.pk, "email": i.email, "role": i.role} for i in invitations]
            self.stdout.write(json.dumps({"staff": rows, "invitations": pending}))
            return
        for p in people:
            state = "" if p.active else " (turned off)"
            self.stdout.write(f"{p.id}\t{p.username}\t{p.role}{state}")
        for i in invitations:
            self.stdout.write(f"invited\t{i.pk}\t{i.email}\t{i.role}")
