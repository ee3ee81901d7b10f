"""Lane discharge39: an episode of care keeps the moment its discharge ended it (`Enrollment.ended_at`).

Episodes ended before this column are filled with the START of their discharge day on their program's clock
(`core.discharge.start_of_day`), not its end: an old row keeps refusing what it refused. Before this lane only
the day was kept and every dose of the discharge day recorded after the discharge was refused (its orders were
stopped); read from the start of the day, an old discharge still refuses any such dose (a late entry of an
earlier hour included), and the doses already recorded that day stand as they are (a moment judges a new dose,
never a recorded one). The end of the day would have opened that day again to late entries nobody can check
now. Open episodes stay empty."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.db import migrations, models


def fill_ended_at(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Each ended episode without a moment: the start of its end day in its program's zone."""
    enrollment = apps.get_model("patients", "Enrollment")
    for row in enrollment.objects.filter(ended_on__isnull=False, ended_at__isnull=True).select_related(
        "program"
    ):
        start = datetime.combine(row.ended_on, time.min, tzinfo=ZoneInfo(row.program.time_zone))
        enrollment.objects.filter(pk=row.pk).update(ended_at=start)


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0019_default_order_sort_name_fix38c"),
    ]

    operations = [
        migrations.AddField(
            model_name="enrollment",
            name="ended_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(fill_ended_at, migrations.RunPython.noop),
    ]
