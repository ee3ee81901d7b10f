"""A response from another system is filed once per sender system and id (lane fix33f, review 33d H1, H2).

Review 34b H5: once per PROGRAM (`0003_imported_response_once_per_program`). This migration first added the
rule across programs, as a partial unique index; a database that applied it keeps that index until 0003
drops it. A database not yet at 0002 gets the rule in Django's state only (nothing in the database: 0003
adds the per-program rule), so a response filed at two programs (their own copies) never stops the upgrade;
lane priv34's check for responses filed twice moved to 0003, per program, where the rule is added.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0001_initial"),
        ("interop", "0001_imported_response"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AddConstraint(
                    model_name="importedresponse",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(
                            models.Q(("sender_system", ""), _negated=True),
                            models.Q(("sender_id", ""), _negated=True),
                        ),
                        fields=("sender_system", "sender_id"),
                        name="imported_response_once_per_sender_id",
                        violation_error_message="This response from that system was already filed.",
                    ),
                ),
            ],
        ),
    ]
