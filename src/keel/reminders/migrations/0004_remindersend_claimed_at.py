"""A reminder send's claim time (as an appointment reminder's), so a send whose worker stopped mid-send is
taken as a failed attempt once KEEL_REMINDER_SEND_LEASE_SECONDS have passed (keel.reminders.sending)."""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.utils import timezone


def claimed_now(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # A send "sending" now is either under way in a worker still running the old code or was lost with its
    # worker: its lease starts now, so one under way is never taken from its worker. A lost one is then
    # tried again only inside its reminder's late window (else stopped), never hours late.
    ReminderSend = apps.get_model("reminders", "ReminderSend")
    ReminderSend.objects.filter(status="sending").update(claimed_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0003_status_finished_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="remindersend",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(claimed_now, migrations.RunPython.noop),
    ]
