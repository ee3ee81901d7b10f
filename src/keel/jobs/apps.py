from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "keel.jobs"
    label = "jobs"
    verbose_name = "Scheduled jobs"
