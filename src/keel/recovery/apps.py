from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "keel.recovery"
    label = "recovery"
    verbose_name = "Recovery companion"
