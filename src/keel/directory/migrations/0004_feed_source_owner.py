from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def existing_sources(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Feeds imported before owners were kept belong to the deployment (no program may import into them)."""
    FeedSource = apps.get_model("directory", "FeedSource")
    for kind, model in (("meetings", "Meeting"), ("facilities", "Facility")):
        names = (
            apps.get_model("directory", model).objects.order_by().values_list("source", flat=True).distinct()
        )
        FeedSource.objects.bulk_create(
            [FeedSource(kind=kind, name=name) for name in names], ignore_conflicts=True
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("directory", "0003_code_columns"),
    ]

    operations = [
        migrations.CreateModel(
            name="FeedSource",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=20)),
                ("name", models.CharField(max_length=100)),
                ("is_sample", models.BooleanField(default=False)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "program",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=models.deletion.PROTECT,
                        related_name="feed_sources",
                        to="accounts.program",
                    ),
                ),
            ],
            options={"ordering": ["kind", "name"]},
        ),
        migrations.AddConstraint(
            model_name="feedsource",
            constraint=models.UniqueConstraint(
                fields=("kind", "name"),
                name="feed_source_unique",
                violation_error_message="There is already a feed with this name.",
            ),
        ),
        migrations.RunPython(existing_sources, migrations.RunPython.noop),
    ]
