"""Lane fix38c: a list of people that does not order them itself goes by the folded shown name
(`sort_name`, code point by code point on both databases), then id; no schema change."""

from django.db import migrations, models

import keel.patients.models


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0018_sort_name_folded"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="patient",
            options={"ordering": [models.OrderBy(keel.patients.models.CodePointOrder("sort_name")), "id"]},
        ),
    ]
