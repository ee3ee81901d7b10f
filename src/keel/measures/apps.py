from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "keel.measures"
    label = "measures"
    verbose_name = "Program quality measures"
