from django.db import models


class Row(models.Model):
    """One row with a few columns, about the width of a check-in."""

    name = models.CharField(max_length=100)
    score = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Token(models.Model):
    """An API token, stored as its SHA-256 as Keel stores its own."""

    key_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class ChainHead(models.Model):
    """The hash chain's head: the last row's id and hash, locked by every audited write."""

    last_event_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.last_hash


class AuditEvent(models.Model):
    """One audit row, about the width of Keel's, sealed with an HMAC over the previous row's hash."""

    occurred_at = models.DateTimeField()
    actor = models.CharField(max_length=100)
    action = models.CharField(max_length=30)
    target_type = models.CharField(max_length=50)
    target_id = models.CharField(max_length=50)
    detail = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.hash
