"""The keyed chain (SECURITY.md T15): every row names the KEEL_AUDIT_KEYS key its HMAC was sealed with.

Rows written before this migration carry an unkeyed SHA-256 chain. They are re-sealed here, in id order, with
the sealing key (the migration runs as the table's owner and lifts the append-only trigger only while it does);
the unkeyed chain is checked first and a final audit row records how many rows were re-sealed and whether
the old chain was already broken (and where), so re-sealing never launders earlier tampering.
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only'); END;
"""


def restore_sqlite_trigger(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """SQLite adds the column by rebuilding the table, which drops its triggers: put the guard back."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


def reseal(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from keel.audit.services import reseal_unkeyed

    reseal_unkeyed(
        apps.get_model("audit", "AuditEvent"),
        apps.get_model("audit", "AuditChainHead"),
        schema_editor.connection,
        head_id=1,  # the one chain head row of the time (0004 makes it chain 0's)
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.RunPython(restore_sqlite_trigger, migrations.RunPython.noop),
        migrations.RunPython(reseal, migrations.RunPython.noop),
    ]
