"""The prescriber's QTc reason as a column of its own (review 20a), no longer a marker searched in the note.

Until now `prescribe` appended "Raised on a QTc of 500 ms or more, prescriber's reason: <reason>" to the
order's note, and the QTc gate and the window searched the note for those words: a note in which a prescriber
merely typed them counted as the reason. The column is filled for the orders already written only where
`prescribe` itself wrote the marker: its audit row of the order's creation says so in its fixed reason
("raised on a QTc of 500 ms or more: prescriber's reason", written in the same commit as the marker). The
reason is the note's text after the last marker (`prescribe` appends it last). An order whose creation row
is not found keeps a blank reason: the safe side (the window blocks its raise on a high QTc until a
prescriber writes the order again). The note is left as it is.
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

MARKER = "Raised on a QTc of 500 ms or more, prescriber's reason: "
WRITTEN_BY_PRESCRIBE = "raised on a QTc of 500 ms or more: prescriber's reason"


def fill_from_marker(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    alias = schema_editor.connection.alias
    order_model = apps.get_model("treatment", "MedicationOrder")
    event_model = apps.get_model("audit", "AuditEvent")
    written = set(
        event_model.objects.using(alias)
        .filter(target_type="medication_order", action="create", reason=WRITTEN_BY_PRESCRIBE)
        .values_list("target_id", flat=True)
    )
    for pk, note in order_model.objects.using(alias).filter(note__contains=MARKER).values_list("pk", "note"):
        if str(pk) not in written:
            continue  # the words typed by a person, not written by `prescribe`: no reason
        reason = " ".join(note.rsplit(MARKER, 1)[1].split())
        if reason:
            order_model.objects.using(alias).filter(pk=pk).update(qtc_reason=reason)


class Migration(migrations.Migration):
    dependencies = [
        ("treatment", "0017_order_deferred"),
        ("audit", "0005_through_emergency"),
    ]

    operations = [
        migrations.AddField(
            model_name="medicationorder",
            name="qtc_reason",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(fill_from_marker, migrations.RunPython.noop),
    ]
