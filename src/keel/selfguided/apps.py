from django.apps import AppConfig


class SelfGuidedConfig(AppConfig):
    name = "keel.selfguided"
    label = "selfguided"
    default_auto_field = "django.db.models.BigAutoField"
