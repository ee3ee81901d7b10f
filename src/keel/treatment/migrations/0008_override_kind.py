from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("treatment", "0007_last_use_report"),
    ]

    operations = [
        migrations.AddField(
            model_name="doseoverride",
            name="kind",
            field=models.CharField(
                choices=[
                    ("limit", "Past a dose limit"),
                    ("start", "A first buprenorphine dose before the verdict is ready"),
                ],
                default="limit",
                max_length=8,
            ),
        ),
    ]
