from django.urls import path

from keel.treatment import views

app_name = "treatment"
urlpatterns = [
    path("dosing/", views.dosing, name="dosing"),
    path("dosing/<int:patient_id>/", views.record_dose, name="record_dose"),
    path("patients/<int:patient_id>/medication/", views.medication, name="medication"),
    path("program/policy/", views.program_policy, name="policy"),
    path("patients/<int:patient_id>/intake/", views.intake, name="intake"),
    path("patients/<int:patient_id>/start/", views.start, name="start"),
    path("me/care-plan/", views.my_care_plan, name="my_care_plan"),
    path("me/home-start/", views.home_start, name="home_start"),
    path("patients/<int:patient_id>/injections/", views.injection, name="injection"),
]
