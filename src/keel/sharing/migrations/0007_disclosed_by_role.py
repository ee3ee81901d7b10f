"""Each disclosure keeps its discloser's role of the moment (review 28a H3): the patient's accounting names
the discloser by it. Rows written before this migration are backfilled from the staff member's role on the
day it runs: Keel kept no earlier role, so that is the nearest it holds (a role changed since then is not
known)."""

from typing import Any

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill_roles(apps: Any, schema_editor: Any) -> None:
    disclosure = apps.get_model("sharing", "Disclosure")
    user = apps.get_model("accounts", "User")
    role = user.objects.filter(pk=OuterRef("disclosed_by_id")).values("role")[:1]
    disclosure.objects.filter(disclosed_by_role="").update(disclosed_by_role=Subquery(role))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_operator_second_factor_reset"),
        ("sharing", "0006_consent_representative_p14"),
    ]

    operations = [
        migrations.AddField(
            model_name="disclosure",
            name="disclosed_by_role",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.RunPython(backfill_roles, migrations.RunPython.noop),
    ]
