"""`keel interop duplicate-imports`: responses from another system filed more than once in one program under
the sender's system and id, before Keel filed each response once per program (lane priv34, review 34b H5;
the upgrade to `interop/0003` stops while any are left, naming this command). Copies in two programs are
not duplicates.

    keel interop duplicate-imports
        read-only: each set (sender system, id, its program) and its filings: which filing, its
        assessment and person ids, the day received, whether it stands, and whether it is about the
        same person and has the same answers as the first (never the answers, never a name)
    keel interop duplicate-imports --resolve --by USERNAME
        the first filing kept on the id; each later one about the same person marked entered in error
        (the assessment correction service), each later one's sender id moved off the rule and kept on the
        filing, audited as USERNAME (`keel.interop.duplicates`). A set USERNAME may not correct is left:
        exit 1 naming it. Then `keel migrate`.

Works on a database before `interop/0003`. Bad input names its option and exits 2.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.http import Http404

from keel.access.errors import NotAllowed
from keel.accounts.management.commands.staff import acting_user
from keel.accounts.models import Program
from keel.core.rules.inputs import FieldsInvalid
from keel.interop.duplicates import DuplicateSet, NotYours, duplicate_sets, resolve

if TYPE_CHECKING:
    from keel.accounts.models import User

NEEDS = ("assessments", "0002_corrections")  # the assessment correction service's table


def _program_name(program_id: int) -> str:
    return (
        Program.objects.filter(pk=program_id).values_list("name", flat=True).first()
        or f"program {program_id}"
    )


class Command(BaseCommand):
    help = "Responses from other systems filed more than once: list them, or resolve them (--resolve --by)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        dup = sub.add_parser("duplicate-imports", help="responses filed more than once: list, or --resolve")
        dup.add_argument("--resolve", action="store_true", help="resolve every set (needs --by)")
        dup.add_argument("--by", default="", help="with --resolve: the username of the staff member acting")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["by"] and not options["resolve"]:
            raise CommandError("--by: only with --resolve (listing changes nothing)", returncode=2)
        if options["resolve"] and not options["by"]:
            raise CommandError("--by: give the username of the staff member resolving", returncode=2)
        by = acting_user(options["by"]) if options["resolve"] else None
        if NEEDS not in MigrationRecorder(connection).applied_migrations():
            raise CommandError(
                "The assessments' corrections are not set up yet: run `keel migrate assessments` first.",
                returncode=1,
            )
        found = duplicate_sets()
        if not found:
            self.stdout.write("No response from another system was filed more than once.")
            return
        if by is None:
            for one in found:
                self._show(one)
            self.stdout.write(
                f"{len(found)} set(s). Resolve: keel interop duplicate-imports --resolve --by USERNAME"
            )
            return
        left = [one for one in found if not self._resolve(by, one)]
        if left:
            raise CommandError(
                f"{len(left)} set(s) left as they were: {options['by']} may not correct a filing in them "
                "(a counselor, nurse or prescriber on each person's care team resolves them).",
                returncode=1,
            )
        self.stdout.write("Every set resolved. Now run: keel migrate")

    def _show(self, one: DuplicateSet) -> None:
        self.stdout.write(
            f"From {one.sender_system}, id {one.sender_id}: {len(one.filings)} filings "
            f"(in {_program_name(one.program_id)})"
        )
        for n, f in enumerate(one.filings):
            said = "kept (first)" if n == 0 else "later"
            other = (
                []
                if n == 0
                else [
                    "same person" if f.same_person else "ANOTHER PERSON: not marked; a clinician checks it",
                    "same answers" if f.same_answers else "other answers: a clinician checks the first",
                ]
            )
            self.stdout.write(
                f"  {said}: imported response {f.pk}, assessment {f.assessment_id}, patient id "
                f"{f.patient_id}, received {f.day}, {f.status}" + "".join(f"; {x}" for x in other)
            )

    def _resolve(self, by: User, one: DuplicateSet) -> bool:
        try:
            struck = resolve(by, one)
        except (NotYours, Http404, NotAllowed):
            self.stdout.write(f"Left: from {one.sender_system}, id {one.sender_id} (not yours to correct)")
            return False
        except FieldsInvalid as exc:  # the correction refused (its reason): nothing of the set written
            said = "; ".join(f"{e.field}: {e.reason}" for e in exc.errors)
            self.stdout.write(f"Left: from {one.sender_system}, id {one.sender_id} (the correction: {said})")
            return False
        self.stdout.write(
            f"Resolved: from {one.sender_system}, id {one.sender_id}: imported response {one.filings[0].pk} "
            f"kept; {len(struck)} marked entered in error; {len(one.filings) - 1} taken off the rule"
        )
        return True
