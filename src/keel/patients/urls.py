from django.urls import path

from keel.patients import views

app_name = "patients"
urlpatterns = [
    path("patients/new/", views.register, name="register"),
    path("patients/<int:patient_id>/care-team/", views.care_team, name="care_team"),
    path("patients/<int:patient_id>/care-team/add/", views.add_to_care_team, name="add_to_care_team"),
    path(
        "patients/<int:patient_id>/care-team/<int:user_id>/remove/",
        views.remove_from_care_team,
        name="remove_from_care_team",
    ),
    path("patients/<int:patient_id>/episodes/", views.episodes, name="episodes"),
    path("patients/<int:patient_id>/discharge/", views.discharge, name="discharge"),
    path("patients/<int:patient_id>/readmit/", views.readmit, name="readmit"),
    path("patients/<int:patient_id>/undo-death/", views.undo_death, name="undo_death"),
    path("patients/<int:patient_id>/contact/", views.contact, name="contact"),
    path("patients/<int:patient_id>/activation-code/", views.activation_code, name="activation_code"),
    path(
        "patients/<int:patient_id>/second-factor/reset/",
        views.reset_second_factor,
        name="reset_second_factor",
    ),
    path("patients/<int:patient_id>/photo/", views.photo, name="photo"),
    path("patients/<int:patient_id>/photo/change/", views.change_photo, name="change_photo"),
    path("program/care-teams/", views.bulk_care_team, name="bulk_care_team"),
    path("accounts/activate/", views.activate, name="activate"),
    path("patients/<int:patient_id>/password-reset-code/", views.reset_code, name="reset_code"),
    path("accounts/reset-with-code/", views.reset_with_code, name="reset_with_code"),
]
