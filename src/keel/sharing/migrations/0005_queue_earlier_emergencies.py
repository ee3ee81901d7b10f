"""Every use of emergency powers made before the review queue existed waits in it too (issue #14)."""

from typing import Any

from django.db import migrations


def queue_earlier_emergencies(apps: Any, schema_editor: Any) -> None:
    review = apps.get_model("sharing", "EmergencyReview")
    access = apps.get_model("patients", "EmergencyAccess")
    disclosure = apps.get_model("sharing", "Disclosure")
    for grant in access.objects.filter(review__isnull=True).select_related("patient"):
        review.objects.create(
            patient_id=grant.patient_id,
            program_id=grant.patient.program_id,
            kind="emergency_access",
            emergency_access=grant,
            used_by_id=grant.user_id,
            reason=grant.reason,
            raised_at=grant.started_at,
        )
    for row in disclosure.objects.filter(basis="emergency", review__isnull=True).select_related("patient"):
        review.objects.create(
            patient_id=row.patient_id,
            program_id=row.patient.program_id,
            kind="emergency_disclosure",
            disclosure=row,
            used_by_id=row.disclosed_by_id,
            reason=row.emergency_nature,
            raised_at=row.disclosed_at,
        )


class Migration(migrations.Migration):
    dependencies = [("sharing", "0004_consent_language")]

    operations = [migrations.RunPython(queue_earlier_emergencies, migrations.RunPython.noop)]
