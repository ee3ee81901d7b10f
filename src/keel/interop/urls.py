from django.urls import path, re_path

from keel.interop import rest, views
from keel.interop.rest import SEARCH_PARAMS, TYPES

app_name = "interop"

urlpatterns = [
    path("me/record.fhir.json", views.my_record_file, name="my_record_file"),
]

# The FHIR R4 read API: one named route per resource type and interaction (the access matrix lists each).
fhir_patterns = [
    path("metadata", rest.metadata, name="metadata"),
    path("Patient/<str:rid>/$everything", rest.everything, name="patient_everything"),
    path("Questionnaire", rest.questionnaire_search, name="questionnaire_search"),
]
for _type in TYPES:
    fhir_patterns.append(
        path(f"{_type}/<str:rid>", rest.read, {"resource_type": _type}, name=f"{_type.lower()}_read")
    )
    if _type in SEARCH_PARAMS:
        fhir_patterns.append(
            path(_type, rest.search, {"resource_type": _type}, name=f"{_type.lower()}_search")
        )
fhir_patterns.append(re_path(r"^(?P<rest>.*)$", rest.unknown, name="unknown"))
