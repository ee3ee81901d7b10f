"""A response from another system is filed once per sender system and id (lane fix33f, review 33d H1, H2).

Lane priv34: a database where such a response was filed more than once before that fix cannot take the rule
(the constraint would fail with a raw IntegrityError). So a check runs first (`_no_duplicates`): while any
sender system and id is filed twice or more it stops, changing nothing, with a plain message naming the
command that lists them (`keel interop duplicate-imports`, read-only) and the one that resolves them
(`--resolve --by USERNAME`: the first filing kept on the id; each later one about the same person marked
entered in error through the assessment correction service, reason "duplicate filing from <system>"; its
sender id moved off the rule and kept in its notes, audited; see docs/deploy.md). No clinical row is deleted
or rewritten here, and nothing is resolved silently: the clinic's data manager runs the command, then
`keel migrate` again. The id is kept in the existing `notes` column, not a new field: a field would need a
migration after this one, which a database that cannot pass this one never reaches.

The check only reads, so it is safe where 0002 is already applied (it never runs again there) and on a new
database (nothing to find). Its reverse does nothing.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import migrations, models
from django.db.models import Count, Q

DUPLICATES_FOUND = (
    "Responses from other systems were filed more than once under the same sender system and id ({n} of "
    "them), "
    "before Keel filed each response once. Nothing was changed. List them with "
    "`keel interop duplicate-imports`, resolve them with "
    "`keel interop duplicate-imports --resolve --by USERNAME` (a counselor, nurse or prescriber on the "
    "care team), then run `keel migrate` again."
)


def _no_duplicates(apps: Any, schema_editor: Any) -> None:
    imported = apps.get_model("interop", "ImportedResponse")
    sets = (
        imported.objects.using(schema_editor.connection.alias)
        .exclude(Q(sender_system="") | Q(sender_id=""))
        .values("sender_system", "sender_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    if sets:
        raise CommandError(DUPLICATES_FOUND.format(n=sets))


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0001_initial"),
        ("interop", "0001_imported_response"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(_no_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="importedresponse",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    models.Q(("sender_system", ""), _negated=True), models.Q(("sender_id", ""), _negated=True)
                ),
                fields=("sender_system", "sender_id"),
                name="imported_response_once_per_sender_id",
                violation_error_message="This response from that system was already filed.",
            ),
        ),
    ]
