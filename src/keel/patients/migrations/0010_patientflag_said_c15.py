from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("patients", "0009_o18b_language")]

    operations = [
        migrations.AddField(
            model_name="patientflag",
            name="said",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
