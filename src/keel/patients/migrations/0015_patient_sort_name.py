"""The caseload's order by name in SQL (issue #21): each person's shown name casefolded, filled from Python's
own `casefold` for the people already there (`SortNameField` keeps it on every write after)."""

from typing import Any

from django.db import migrations

import keel.patients.models


def _fill(apps: Any, schema_editor: Any) -> None:
    Patient = apps.get_model("patients", "Patient")
    batch = []
    people = Patient.objects.only("id", "preferred_name", "given_name", "family_name").order_by("id")
    for patient in people.iterator(chunk_size=2000):
        patient.sort_name = keel.patients.models.Patient.name_from(
            patient.preferred_name, patient.given_name, patient.family_name
        ).casefold()
        batch.append(patient)
        if len(batch) >= 2000:
            Patient.objects.bulk_update(batch, ["sort_name"])
            batch = []
    if batch:
        Patient.objects.bulk_update(batch, ["sort_name"])


class Migration(migrations.Migration):
    dependencies = [("patients", "0014_second_factor_reset")]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="sort_name",
            field=keel.patients.models.SortNameField(blank=True, default="", editable=False),
            preserve_default=False,
        ),
        migrations.RunPython(_fill, migrations.RunPython.noop),
    ]
