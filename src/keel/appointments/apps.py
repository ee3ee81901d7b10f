from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "keel.appointments"
    label = "appointments"
    verbose_name = "Appointments"
