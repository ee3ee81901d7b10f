"""One audit chain per program (issue #21; keel.audit.chain explains the design).

Every row written so far gets `chain` 0 through the column's default (no row is rewritten, so every MAC and link
stays as sealed; chain 0 is the legacy global chain, continued by the events of no program), and the one chain
head row (id 1) becomes chain 0's head. Programs' chains start with their first event after this migration.
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


def legacy_head_is_chain_zero(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    head = apps.get_model("audit", "AuditChainHead")
    old = head.objects.filter(id=1).first()
    if old is None or head.objects.filter(id=0).exists():
        return
    head.objects.create(id=0, last_event_id=old.last_event_id, last_hash=old.last_hash)
    old.delete()


def chain_zero_is_the_legacy_head(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    head = apps.get_model("audit", "AuditChainHead")
    zero = head.objects.filter(id=0).first()
    if zero is not None:
        head.objects.filter(id=1).delete()
        head.objects.create(id=1, last_event_id=zero.last_event_id, last_hash=zero.last_hash)
        zero.delete()


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_keyed_chain")]

    operations = [
        migrations.RemoveConstraint(model_name="auditchainhead", name="audit_head_singleton"),
        migrations.AddField(model_name="auditevent", name="chain", field=models.BigIntegerField(default=0)),
        migrations.RunPython(restore_sqlite_trigger, restore_sqlite_trigger),
        migrations.AlterField(
            model_name="auditchainhead",
            name="id",
            field=models.BigIntegerField(primary_key=True, serialize=False),
        ),
        migrations.RunPython(legacy_head_is_chain_zero, chain_zero_is_the_legacy_head),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["chain", "id"], name="audit_chain_id"),
        ),
    ]
