"""Top-level routes. Each app owns its own urls; the API mounts each app's router in keel.api."""

from django.urls import include, path
from django.views.i18n import set_language

from keel.api import api
from keel.interop.urls import fhir_patterns
from keel.web import views as web_views

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("keel.accounts.urls")),
    path("api/v1/", api.urls),
    path("fhir/R4/", include((fhir_patterns, "fhir"))),
    path("", include("keel.assessments.urls")),
    path("", include("keel.directory.urls")),
    path("", include("keel.measures.urls")),
    path("", include("keel.careteam.urls")),
    path("", include("keel.sharing.urls")),
    path("", include("keel.interop.urls")),
    path("", include("keel.recovery.urls")),
    path("", include("keel.public.urls")),
    path("", include("keel.treatment.urls")),
    path("", include("keel.web.urls")),
]

handler404 = "keel.web.views.not_found"
handler500 = "keel.web.views.server_error"
handler403 = "keel.web.views.forbidden"
