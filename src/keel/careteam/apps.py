from django.apps import AppConfig


class CareTeamConfig(AppConfig):
    name = "keel.careteam"
    label = "careteam"
    verbose_name = "The care team's morning: caseload and timeline"
