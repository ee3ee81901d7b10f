from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "keel.reminders"
    label = "reminders"
    verbose_name = "Reminders"
