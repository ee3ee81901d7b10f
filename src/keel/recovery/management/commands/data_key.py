"""keel data_key new|rotate|check: manage the AEAD keys of the most sensitive free text (SECURITY.md).

keel data_key new ID     print a fresh `ID:base64key` entry; put it FIRST in KEEL_DATA_KEYS, keep the old ones
keel data_key rotate     re-encrypt every stored value with the first (current) key, then the old keys can go
keel data_key check      decrypt every stored value; exit 1 naming the first that fails
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from keel import crypto
from keel.recovery.models import CheckIn, IdempotencyKey, RecoveryPlan, ThoughtRecord


def _encrypted() -> Iterator[tuple[Any, str, Callable[[Any], str]]]:
    """(queryset, field, associated data of a row) for every encrypted column."""
    yield CheckIn.objects.exclude(private=None), "private", lambda r: f"keel:checkin:patient:{r.patient_id}"
    yield ThoughtRecord.objects.all(), "content", lambda r: f"keel:thought:patient:{r.patient_id}"
    yield RecoveryPlan.objects.all(), "content", lambda r: f"keel:plan:patient:{r.patient_id}"
    yield (
        IdempotencyKey.objects.select_related("user__patient"),
        "response",
        lambda r: f"keel:idempotency:patient:{r.user.patient.pk}",
    )


class Command(BaseCommand):
    help = "Manage the encryption keys of sensitive free text: new, rotate, check."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["new", "rotate", "check"])
        parser.add_argument("key_id", nargs="?", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "new":
            key_id = options["key_id"]
            if not key_id or len(key_id) > 32 or not key_id.replace("-", "").isalnum():
                raise CommandError("give a key id: letters, digits and dashes, at most 32 (e.g. 2026-11)")
            self.stdout.write(crypto.new_key_spec(key_id))
            return
        current = crypto.current_key_id()
        done = 0
        for queryset, field, aad_of in _encrypted():
            for row in queryset.iterator(chunk_size=500):
                blob = bytes(getattr(row, field))
                try:
                    plain = crypto.decrypt(blob, aad=aad_of(row))
                except crypto.DecryptError as exc:
                    raise CommandError(f"{row._meta.label} {row.pk}: {exc}") from None
                if action == "rotate" and crypto.key_id_of(blob) != current:
                    with transaction.atomic():
                        type(row).objects.filter(pk=row.pk).update(
                            **{field: crypto.encrypt(plain, aad=aad_of(row))}
                        )
                    done += 1
                elif action == "check":
                    done += 1
        verb = "re-encrypted with key " + current if action == "rotate" else "decrypted"
        self.stdout.write(f"{done} value(s) {verb}.")
