import json

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from bare.models import Row


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
