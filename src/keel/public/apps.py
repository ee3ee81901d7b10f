from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "keel.public"
    label = "public"
    verbose_name = "Public help"
