"""The emergency-access mark as a sealed field of its own (review 18b), not text in the reason.

Every row written so far gets `through_emergency` False through the column's default (no row is rewritten:
the field is a LATER_FIELD of keel.audit.chain, hashed only when True, so every MAC stays as sealed).
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only'); END;
"""


def restore_sqlite_trigger(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """SQLite may add the column by rebuilding the table, which drops its triggers: put the guard back."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_chain_per_program")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="through_emergency",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(restore_sqlite_trigger, restore_sqlite_trigger),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["through_emergency", "id"], name="audit_emergency_id"),
        ),
    ]
