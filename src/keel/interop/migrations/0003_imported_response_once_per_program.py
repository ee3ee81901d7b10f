"""A response from another system is filed once per PROGRAM (review 34b H5): the sender's system and its key
within the program of the person it was filed for. A second program treating her files its own copy, and
no answer tells one program that another holds her (42 CFR 2.13).

1. The rule across programs goes: the partial unique index the old `0002` made where it ran
   (`DROP INDEX IF EXISTS`: a conditional unique constraint is a partial unique index on SQLite and on
   PostgreSQL; a database that reached 0002 after review 34b never had it).
2. Each filing gets its program: its assessment's patient's (`ImportedResponse.program`), then not null.
3. Lane priv34's check, per program: while a sender's system and key is filed twice or more in one program
   (before lane fix33f's rule), it stops, changing nothing (the migration is one transaction), with a plain
   message naming `keel interop duplicate-imports` (read-only) and its `--resolve --by USERNAME` (see
   `keel.interop.duplicates`, docs/deploy.md). Copies in two programs are not duplicates.
4. The per-program rule, a partial unique index on (program, sender system, sender key).
"""

from typing import Any

import django.db.models.deletion
from django.core.management.base import CommandError
from django.db import migrations, models
from django.db.models import Count, OuterRef, Q, Subquery

DUPLICATES_FOUND = (
    "Responses from other systems were filed more than once in one program under the same sender system "
    "and id ({n} of them), before Keel filed each response once. Nothing was changed. List them with "
    "`keel interop duplicate-imports`, resolve them with "
    "`keel interop duplicate-imports --resolve --by USERNAME` (a counselor, nurse or prescriber on the "
    "care team), then run `keel migrate` again."
)


def _fill_program(apps: Any, schema_editor: Any) -> None:
    imported = apps.get_model("interop", "ImportedResponse")
    assessment = apps.get_model("assessments", "Assessment")
    of_patient = assessment.objects.filter(pk=OuterRef("assessment_id")).values("patient__program_id")[:1]
    imported.objects.using(schema_editor.connection.alias).update(program_id=Subquery(of_patient))


def _no_duplicates(apps: Any, schema_editor: Any) -> None:
    imported = apps.get_model("interop", "ImportedResponse")
    sets = (
        imported.objects.using(schema_editor.connection.alias)
        .exclude(Q(sender_system="") | Q(sender_id=""))
        .values("program_id", "sender_system", "sender_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    if sets:
        raise CommandError(DUPLICATES_FOUND.format(n=sets))


OLD_RULE = "imported_response_once_per_sender_id"


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("assessments", "0001_initial"),
        ("patients", "0001_initial"),
        ("interop", "0002_imported_response_once_per_sender_fix33f"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(f"DROP INDEX IF EXISTS {OLD_RULE}", migrations.RunSQL.noop),
            ],
            state_operations=[
                migrations.RemoveConstraint(model_name="importedresponse", name=OLD_RULE),
            ],
        ),
        migrations.AddField(
            model_name="importedresponse",
            name="program",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.program",
            ),
        ),
        migrations.RunPython(_fill_program, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="importedresponse",
            name="program",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.program"
            ),
        ),
        migrations.RunPython(_no_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="importedresponse",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    models.Q(("sender_system", ""), _negated=True), models.Q(("sender_id", ""), _negated=True)
                ),
                fields=("program", "sender_system", "sender_id"),
                name="imported_response_once_per_program",
                violation_error_message="This response from that system was already filed.",
            ),
        ),
    ]
