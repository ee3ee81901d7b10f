from django.urls import path

from keel.appointments import views

app_name = "appointments"

urlpatterns = [
    path("patients/<int:patient_id>/appointments/", views.patient_appointments, name="patient"),
    path(
        "patients/<int:patient_id>/appointments/<int:appointment_id>/status/",
        views.set_status,
        name="set_status",
    ),
    path("me/appointments/", views.mine, name="mine"),
    path("appointments/stop/<str:token>/", views.stop, name="stop"),
]
