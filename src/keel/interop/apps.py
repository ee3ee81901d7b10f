from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "keel.interop"
    label = "interop"
    verbose_name = "Interoperability: FHIR R4 in and out"
