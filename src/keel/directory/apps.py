from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "keel.directory"
    label = "directory"
    verbose_name = "Meetings and treatment directory"
