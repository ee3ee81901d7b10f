from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("treatment", "0020_order_qtc_seen_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="takehomeplan",
            name="bottle_mg",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
