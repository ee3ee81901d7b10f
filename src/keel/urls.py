"""Top-level routes. Each app owns its own urls; the API mounts each app's router in keel.api."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from django.views.i18n import set_language

from keel.api import api
from keel.interop.rest import unknown as fhir_unknown
from keel.interop.urls import fhir_patterns
from keel.web import views as web_views

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("keel.accounts.urls")),
    path("", include("keel.accounts.staff_urls")),
    path("api/v1/", api.urls),
    path("fhir/R4/", include((fhir_patterns, "fhir"))),
    # the base with no resource type, without its slash: the same 404 OperationOutcome as with it (review
    # 38f), never the HTML redirect APPEND_SLASH would answer
    path("fhir/R4", fhir_unknown, {"rest": ""}, name="fhir_base"),
    path("", include("keel.assessments.urls")),
    path("", include("keel.measures.urls")),
    path("", include("keel.careteam.urls")),
    path("", include("keel.patients.urls")),
    path("", include("keel.sharing.urls")),
    path("", include("keel.interop.urls")),
    path("", include("keel.recovery.urls")),
    path("", include("keel.reminders.urls")),
    path("", include("keel.appointments.urls")),
    path("", include("keel.selfguided.urls")),
    path("", include("keel.treatment.urls")),
    path("", include("keel.web.urls")),
]
# The public pages (help, find, the self-guided sign-up) carry their language in the address (/en/...,
# /es/...), so a visitor's choice holds with cookies blocked; an address without one redirects by the
# browser's language.
urlpatterns += i18n_patterns(
    path("", include("keel.public.urls")),
    path("", include("keel.directory.urls")),
    path("", include("keel.selfguided.public_urls")),
    prefix_default_language=True,
)

handler404 = "keel.web.views.not_found"
handler500 = "keel.web.views.server_error"
handler403 = "keel.web.views.forbidden"
