"""The append-only audit trail: one row per access to patient data, login and denial, chained by hash."""

from __future__ import annotations

from django.db import models


class Action(models.TextChoices):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"
    DISCLOSE = "disclose"
    LOGIN = "login"
    LOGOUT = "logout"
    FAILED_LOGIN = "failed_login"
    LOCKED_OUT = "locked_out"
    DENIED = "denied"
    EMERGENCY_ACCESS = "emergency_access"
    TOKEN_CREATE = "token_create"
    TOKEN_REVOKE = "token_revoke"


class Outcome(models.TextChoices):
    SUCCESS = "success"
    DENIED = "denied"
    FAILURE = "failure"


class AuditEvent(models.Model):
    """One audited event. Never updated or deleted (a database trigger refuses it); a keyed hash chain."""

    occurred_at = models.DateTimeField(db_index=True)
    # Plain integers, not foreign keys: the trail must outlive and never cascade with the rows it describes.
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_role = models.CharField(max_length=32, blank=True)
    program_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    reason = models.CharField(max_length=500, blank=True)
    # ids only (e.g. the patient ids a list showed); never names or clinical content
    detail = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=16, blank=True)  # web, api, cli
    prev_hash = models.CharField(max_length=64)
    # HMAC-SHA256 under the KEEL_AUDIT_KEYS key named by key_id (keel.audit.chain.seal)
    hash = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(max_length=32, blank=True)
    # the chain the row links in: its program's id, 0 for events of no program (keel.audit.chain)
    chain = models.BigIntegerField(default=0)
    # made by a clinician who reached the record only through emergency access (break-the-glass): a sealed
    # field of its own (a LATER_FIELD of keel.audit.chain), never read from the free-text reason
    through_emergency = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["program_id", "occurred_at"], name="audit_program_time"),
            models.Index(fields=["chain", "id"], name="audit_chain_id"),
            # the admin's "Only emergency access" view: the marked rows, newest first
            models.Index(fields=["through_emergency", "id"], name="audit_emergency_id"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.target_type}:{self.target_id} {self.outcome}"


class AuditChainHead(models.Model):
    """One row per chain (`id` is the chain: a program's id, 0 for no program) holding its newest event's id
    and hash: the lock that serialises appends to that chain only, and the anchor that reveals its deleted
    tail. Created on a chain's first event."""

    id = models.BigIntegerField(primary_key=True)
    last_event_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"chain {self.id} head at #{self.last_event_id}"
