from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("bare", "0001_initial")]
    operations = [
        migrations.CreateModel(
            name="Token",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("key_hash", models.CharField(max_length=64, unique=True)),
                ("name", models.CharField(max_length=100)),
            ],
        ),
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("last_event_id", models.BigIntegerField(default=0)),
                ("last_hash", models.CharField(max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("occurred_at", models.DateTimeField()),
                ("actor", models.CharField(max_length=100)),
                ("action", models.CharField(max_length=30)),
                ("target_type", models.CharField(max_length=50)),
                ("target_id", models.CharField(max_length=50)),
                ("detail", models.JSONField(default=dict)),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64)),
            ],
        ),
    ]
