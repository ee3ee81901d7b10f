"""Where a result's time of scoring came from (re-attack 36l, lane fix36o): only a time typed or changed by the
person can make a late entry. Rows kept before are "typed" (the minute rule as before), but an import's: its
time is the sender's `authored` ("sender"), never a late entry."""

from typing import Any

from django.db import migrations, models


def _imports_are_the_senders(apps: Any, schema_editor: Any) -> None:
    # No dependency on interop's migrations (the integrator, session 36: interop's own migration tests move
    # it back and forth with this app's models in use): on a new database the imports' table may not exist
    # yet, and then no result was imported.
    tables = schema_editor.connection.introspection.table_names()
    if "interop_importedresponse" not in tables:
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE assessments_assessment SET time_source = 'sender' "
            "WHERE id IN (SELECT assessment_id FROM interop_importedresponse)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0005_assessment_filled_by_role"),
    ]

    operations = [
        migrations.AddField(
            model_name="assessment",
            name="time_source",
            field=models.CharField(default="typed", max_length=16),
        ),
        migrations.RunPython(_imports_are_the_senders, migrations.RunPython.noop),
    ]
