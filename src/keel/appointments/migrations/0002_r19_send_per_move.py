"""Review 19: each appointment reminder is sent once per (appointment, slot, version), the version moving
with every reschedule (a visit moved back to its first time is reminded again); a send's claim time, so a
send whose worker stopped mid-send is tried again."""

from typing import Any

from django.db import migrations, models


def number_the_moves(apps: Any, schema_editor: Any) -> None:
    """Existing sends were once per (appointment, slot, start): number each appointment's starts in the
    order their first reminder went out, and give the appointment the number of its current start when it is
    the latest, else a new one (moved back to an earlier start: its reminder goes out again)."""
    Appointment = apps.get_model("appointments", "Appointment")
    AppointmentSend = apps.get_model("appointments", "AppointmentSend")
    ids = AppointmentSend.objects.values_list("appointment_id", flat=True).distinct()
    for appointment in Appointment.objects.filter(pk__in=list(ids)).order_by("pk"):
        starts: list[Any] = []
        for row in AppointmentSend.objects.filter(appointment=appointment).order_by("pk"):
            if row.starts_at not in starts:
                starts.append(row.starts_at)
            row.version = starts.index(row.starts_at)
            row.claimed_at = row.sent_at
            row.save(update_fields=["version", "claimed_at"])
        latest = len(starts) - 1
        appointment.version = latest if starts[latest] == appointment.starts_at else latest + 1
        appointment.save(update_fields=["version"])


class Migration(migrations.Migration):
    dependencies = [("appointments", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="appointment", name="version", field=models.PositiveIntegerField(default=0)
        ),
        migrations.AddField(
            model_name="appointmentsend", name="version", field=models.PositiveIntegerField(default=0)
        ),
        migrations.AddField(
            model_name="appointmentsend",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RemoveConstraint(model_name="appointmentsend", name="appointment_send_once"),
        migrations.RunPython(number_the_moves, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="appointmentsend",
            constraint=models.UniqueConstraint(
                fields=("appointment", "slot", "version"),
                name="appointment_send_once_per_move",
                violation_error_message="This appointment reminder already went out.",
            ),
        ),
    ]
