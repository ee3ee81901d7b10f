"""Each person's stored sort key recomputed as lists now order a name (review 35e hole 3:
`keel.core.names.sort_key`, the accents of Latin letters folded, "ñ" after "n"); `SortNameField` keeps it on
every write after. Backwards: nothing to undo (the older key only ordered accented names after Z)."""

from typing import Any

from django.db import migrations

from keel.core.names import sort_key


def _refold(apps: Any, schema_editor: Any) -> None:
    Patient = apps.get_model("patients", "Patient")
    batch = []
    people = Patient.objects.only("id", "preferred_name", "given_name", "family_name").order_by("id")
    for patient in people.iterator(chunk_size=2000):
        patient.sort_name = sort_key(f"{patient.preferred_name or patient.given_name} {patient.family_name}")
        batch.append(patient)
        if len(batch) >= 2000:
            Patient.objects.bulk_update(batch, ["sort_name"])
            batch = []
    if batch:
        Patient.objects.bulk_update(batch, ["sort_name"])


class Migration(migrations.Migration):
    dependencies = [("patients", "0017_first_dose_cows_flag")]

    operations = [migrations.RunPython(_refold, migrations.RunPython.noop)]
