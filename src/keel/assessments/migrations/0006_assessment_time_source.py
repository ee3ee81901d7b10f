"""Where a result's time of scoring came from (re-attack 36l, lane fix36o): only a time typed or changed by the
person can make a late entry. Rows kept before are "typed" (the minute rule as before), but an import's: its
time is the sender's `authored` ("sender"), never a late entry."""

from typing import Any

from django.db import migrations, models


def _imports_are_the_senders(apps: Any, schema_editor: Any) -> None:
    assessment = apps.get_model("assessments", "Assessment")
    assessment.objects.filter(imported_from__isnull=False).update(time_source="sender")


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0005_assessment_filled_by_role"),
        ("interop", "0003_imported_response_once_per_program"),
    ]

    operations = [
        migrations.AddField(
            model_name="assessment",
            name="time_source",
            field=models.CharField(default="typed", max_length=16),
        ),
        migrations.RunPython(_imports_are_the_senders, migrations.RunPython.noop),
    ]
