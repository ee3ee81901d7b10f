"""`keel reset_staff_second_factor`: the server's operator resets a staff member's two-step sign-in, for a
person no program admin may reset (she works in programs with no common admin; a program's only admin lost
their own authenticator). Through `keel.accounts.second_factor.reset_by_operator`: the same step as an
admin's reset (authenticators removed, every session and token ended), the reason kept on the reset, an
audit row in each of the person's programs' trails naming the operator's route, the person told by email;
it prints her one-time set-up code once, to hand to her in person or by phone (lane acct35).

    keel reset_staff_second_factor --username USER --reason "REASON" [--yes]

Asks for confirmation at a terminal (type "yes"); without one (a script, a pipe) only with --yes. Bad input
names its option and exits with 2, as every Keel command does; an answer other than "yes" changes nothing
and exits with 1.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keel.accounts import second_factor
from keel.accounts.management.commands.staff import setup_code_words


class Command(BaseCommand):
    help = "Reset a staff member's two-step sign-in as the server's operator (no common admin can)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", required=True, help="the staff member's username")
        parser.add_argument(
            "--reason", required=True, help="why (kept on the reset, not in the audit trail): a real reason"
        )
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            second_factor.operator_reason(options["reason"])
            user, programs = second_factor.staff_for_operator(options["username"])
        except second_factor.OperatorResetRefused as exc:
            raise CommandError(str(exc), returncode=2) from None
        names = ", ".join(p.slug for p in programs) or "no program"
        if not options["yes"]:
            if not sys.stdin.isatty():
                raise CommandError(
                    "--yes: standard input is not a terminal, so nothing can be confirmed; "
                    "give --yes to reset without asking",
                    returncode=2,
                )
            self.stdout.write(
                f"Reset the two-step sign-in of {user.username} (works in: {names})? "
                "Their sessions and API tokens end. Type yes to go on: ",
                ending="",
            )
            self.stdout.flush()
            if sys.stdin.readline().strip().lower() != "yes":
                raise CommandError("not confirmed: nothing was changed", returncode=1)
        try:
            done = second_factor.reset_by_operator(username=options["username"], reason=options["reason"])
        except second_factor.OperatorResetRefused as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(
            f"{done.user.username}: {done.devices_removed} authenticator(s) removed, sessions and tokens "
            f"ended; audited in {names} (reset {done.reset.pk})."
        )
        self.stdout.write(setup_code_words(done.user, done.setup_code))
