"""Recovery meetings and treatment facilities imported from public feeds (not patient data)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Fellowship(models.TextChoices):
    NA = "na", _("Narcotics Anonymous")
    AA = "aa", _("Alcoholics Anonymous")
    SMART = "smart", _("SMART Recovery")
    NAR_ANON = "nar-anon", _("Nar-Anon (family and friends)")
    AL_ANON = "al-anon", _("Al-Anon (family and friends)")
    RECOVERY_DHARMA = "recovery-dharma", _("Recovery Dharma")
    OTHER = "other", _("Other")


FAMILY_FELLOWSHIPS = (Fellowship.NAR_ANON, Fellowship.AL_ANON)


class Attendance(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")
    HYBRID = "hybrid", _("In person and online")
    INACTIVE = "inactive", _("Temporarily closed")


class Meeting(models.Model):
    """A weekly meeting from a feed, upserted by (source, source_id); gone from its feed means inactive."""

    source = models.CharField(max_length=100)
    source_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    fellowship = models.CharField(max_length=20, choices=Fellowship.choices)
    # One column per weekday (0 = Sunday, as in the Meeting Guide spec) so day filters run in SQL.
    day_0 = models.BooleanField(default=False)
    day_1 = models.BooleanField(default=False)
    day_2 = models.BooleanField(default=False)
    day_3 = models.BooleanField(default=False)
    day_4 = models.BooleanField(default=False)
    day_5 = models.BooleanField(default=False)
    day_6 = models.BooleanField(default=False)
    start_time = models.TimeField()
    end_time = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64)
    attendance = models.CharField(max_length=12, choices=Attendance.choices)
    types = models.JSONField(default=list)
    location_name = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=60, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    approximate = models.BooleanField(default=False)
    conference_url = models.CharField(max_length=500, blank=True)
    conference_phone = models.CharField(max_length=100, blank=True)
    conference_notes = models.CharField(max_length=500, blank=True)
    languages = models.JSONField(default=list)
    # The same codes as "|en|es|" and "|O|S|", so language and type filters run in SQL on any database.
    language_codes = models.CharField(max_length=200, blank=True)
    type_codes = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True)
    source_updated_at = models.CharField(max_length=40, blank=True)
    active = models.BooleanField(default=True)
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"],
                name="meeting_source_unique",
                violation_error_message="This feed already has a meeting with this id.",
            )
        ]
        indexes = [
            models.Index(fields=["active", "latitude", "longitude"], name="meeting_geo"),
            models.Index(fields=["active", "attendance"], name="meeting_attendance"),
            # online meetings by zone and local start time: the "starting soon" chunks of the search
            models.Index(fields=["attendance", "time_zone", "start_time"], name="meeting_zone_start"),
            # the same per weekday, active online meetings only: a chunk is one zone and one local weekday, so
            # its LIMIT is met without reading the other six days' meetings (or the inactive ones)
            *(
                models.Index(
                    fields=["time_zone", "start_time"],
                    condition=models.Q(active=True, attendance="online", **{f"day_{d}": True}),
                    name=f"meeting_online_day{d}",
                )
                for d in range(7)
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def days(self) -> list[int]:
        return [d for d in range(7) if getattr(self, f"day_{d}")]


class Facility(models.Model):
    """A treatment facility from a list, upserted by (source, source_id)."""

    source = models.CharField(max_length=100)
    source_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.CharField(max_length=300, blank=True)
    services = models.JSONField(default=list)
    payments = models.JSONField(default=list)
    languages = models.JSONField(default=list)
    data_as_of = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"],
                name="facility_source_unique",
                violation_error_message="This list already has a facility with this id.",
            )
        ]
        indexes = [models.Index(fields=["active", "latitude", "longitude"], name="facility_geo")]

    def __str__(self) -> str:
        return self.name


class FeedSource(models.Model):
    """A named feed. It belongs to the program that first imported it (None: the deployment, through the CLI
    or the demo); no one else may import into it, so no other program can overwrite or deactivate it."""

    kind = models.CharField(max_length=20)  # meetings, facilities
    name = models.CharField(max_length=100)
    program = models.ForeignKey(
        "accounts.Program", null=True, blank=True, on_delete=models.PROTECT, related_name="feed_sources"
    )
    is_sample = models.BooleanField(default=False)  # synthetic records for the demo, shown as samples
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "name"],
                name="feed_source_unique",
                violation_error_message="There is already a feed with this name.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} feed {self.name}"


class ImportRun(models.Model):
    """What one import did: counts, every rejected record with its reason, and notes (e.g. a default zone)."""

    kind = models.CharField(max_length=20)  # meetings, facilities
    source = models.CharField(max_length=100)
    format = models.CharField(max_length=20)
    counts = models.JSONField(default=dict)
    rejections = models.JSONField(default=list)
    notes = models.JSONField(default=list)
    by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} import from {self.source}"
