"""The patient's own record as a FHIR file to keep or take to another provider."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_safe

from keel.access.http import AuthenticatedHttpRequest
from keel.interop import queries
from keel.interop.api import base_for
from keel.interop.fhir.base import FHIR_JSON


@require_safe
@login_required
def my_record_file(request: AuthenticatedHttpRequest) -> HttpResponse:
    bundle = queries.my_record(request.user, base=base_for(request))
    response = HttpResponse(json.dumps(bundle, indent=2), content_type=FHIR_JSON)
    response["Content-Disposition"] = 'attachment; filename="my-keel-record.fhir.json"'
    return response
