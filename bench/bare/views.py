import hashlib
import hmac
import json

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from bare.models import AuditEvent, ChainHead, Row, Token

AUDIT_KEY = b"bare-bench-only-audit-key"


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok", "database": "ok"})


@require_safe
def read(request: HttpRequest, pk: int) -> JsonResponse:
    row = Row.objects.get(pk=pk)
    return JsonResponse({"id": row.pk, "name": row.name, "score": row.score})


@csrf_exempt
@require_POST
def insert(request: HttpRequest) -> JsonResponse:
    data = json.loads(request.body or b"{}")
    row = Row.objects.create(name=str(data.get("name", "bench")), score=int(data.get("score", 0)))
    return JsonResponse({"id": row.pk}, status=201)


@csrf_exempt
@require_POST
def insert_audited(request: HttpRequest) -> JsonResponse:
    """The least an authenticated, audited write does: find the caller's token (one read), then in one
    transaction insert the row and one audit row sealed with an HMAC over the chain head, which it locks and
    advances. The fair baseline for Keel's check-in (issue #21), written as the ORM's documentation would."""
    token = _token(request)
    if token is None:
        return JsonResponse({"detail": "unauthorized"}, status=401)
    data = json.loads(request.body or b"{}")
    with transaction.atomic():
        row = Row.objects.create(name=str(data.get("name", "bench")), score=int(data.get("score", 0)))
        _append(token, "create", row)
    return JsonResponse({"id": row.pk}, status=201)


@csrf_exempt
@require_POST
def insert_token(request: HttpRequest) -> JsonResponse:
    """The floor's second step (`bench/audit_floor.py`, issue #21): the token read, then the bare insert; no
    audit row. What authentication adds to a write."""
    token = _token(request)
    if token is None:
        return JsonResponse({"detail": "unauthorized"}, status=401)
    data = json.loads(request.body or b"{}")
    row = Row.objects.create(name=str(data.get("name", "bench")), score=int(data.get("score", 0)))
    return JsonResponse({"id": row.pk}, status=201)


@csrf_exempt
@require_POST
def insert_logged(request: HttpRequest) -> JsonResponse:
    """The floor's third step (`bench/audit_floor.py`, issue #21): the token read, then the row and an
    unsealed audit row in one transaction: the second INSERT and the transaction, without the chain head's
    lock, its update or the HMAC. What `insert_audited` adds beyond this is the chain itself."""
    token = _token(request)
    if token is None:
        return JsonResponse({"detail": "unauthorized"}, status=401)
    data = json.loads(request.body or b"{}")
    with transaction.atomic():
        row = Row.objects.create(name=str(data.get("name", "bench")), score=int(data.get("score", 0)))
        AuditEvent.objects.create(
            occurred_at=timezone.now(),
            actor=token.name,
            action="create",
            target_type="row",
            target_id=str(row.pk),
            detail={},
            prev_hash="",
            hash="",
        )
    return JsonResponse({"id": row.pk}, status=201)


@require_safe
def read_audited(request: HttpRequest, pk: int) -> JsonResponse:
    """The least an authenticated, audited read does: the token, the row, and one sealed audit row naming
    what was read, committed before the answer (the baseline for Keel's `GET /api/v1/me`)."""
    token = _token(request)
    if token is None:
        return JsonResponse({"detail": "unauthorized"}, status=401)
    row = Row.objects.get(pk=pk)
    with transaction.atomic():
        _append(token, "read", row)
    return JsonResponse({"id": row.pk, "name": row.name, "score": row.score})


def _token(request: HttpRequest) -> Token | None:
    bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
    return Token.objects.filter(key_hash=hashlib.sha256(bearer.encode()).hexdigest()).first()


def _append(token: Token, action: str, row: Row) -> None:
    """One audit row sealed over the chain head, which it locks and advances (inside the caller's
    transaction)."""
    head = ChainHead.objects.select_for_update().get(pk=1)
    now = timezone.now()
    fields = {
        "occurred_at": now.isoformat(),
        "actor": token.name,
        "action": action,
        "target_type": "row",
        "target_id": str(row.pk),
        "detail": {},
    }
    message = head.last_hash.encode() + json.dumps(fields, sort_keys=True).encode()
    digest = hmac.new(AUDIT_KEY, message, hashlib.sha256).hexdigest()
    event = AuditEvent.objects.create(
        occurred_at=now,
        actor=token.name,
        action=action,
        target_type="row",
        target_id=str(row.pk),
        detail={},
        prev_hash=head.last_hash,
        hash=digest,
    )
    head.last_event_id, head.last_hash = event.pk, digest
    head.save(update_fields=["last_event_id", "last_hash"])
