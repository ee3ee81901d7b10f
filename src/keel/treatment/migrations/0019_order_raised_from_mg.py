from typing import Any

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_deferred(apps: Any, schema_editor: Any) -> None:
    """A methadone order written to start later before this column raised from the order it superseded (what
    the window read until review 20a); other orders written before it stay None (checked above the order
    only)."""
    order = apps.get_model("treatment", "MedicationOrder")
    superseded = order.objects.filter(pk=OuterRef("supersedes_id")).values("dose_mg")[:1]
    order.objects.filter(medication="methadone", deferred=True, supersedes__isnull=False).update(
        raised_from_mg=Subquery(superseded)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("treatment", "0018_order_qtc_reason_column"),
    ]

    operations = [
        migrations.AddField(
            model_name="medicationorder",
            name="raised_from_mg",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=7, null=True),
        ),
        migrations.RunPython(fill_deferred, migrations.RunPython.noop),
    ]
