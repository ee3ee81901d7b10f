from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("treatment", "0019_order_raised_from_mg"),
    ]

    operations = [
        migrations.AddField(
            model_name="medicationorder",
            name="qtc_seen_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
    ]
