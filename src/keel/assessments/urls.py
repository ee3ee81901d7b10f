from django.urls import path

from keel.assessments import views

app_name = "assessments"
urlpatterns = [
    path("patients/<int:patient_id>/instruments/<str:code>/", views.fill_for_patient, name="fill"),
    path(
        "patients/<int:patient_id>/assessments/<int:assessment_id>/", views.result_for_patient, name="result"
    ),
    path(
        "patients/<int:patient_id>/assessments/<int:assessment_id>/corrections/",
        views.correct,
        name="correct",
    ),
    path("patients/<int:patient_id>/flowsheet/<str:code>/", views.flowsheet, name="flowsheet"),
    path("patients/<int:patient_id>/cows/", views.cows_bedside, name="cows_bedside"),
    path("me/instruments/", views.my_instruments, name="my_instruments"),
    path("me/instruments/<str:code>/", views.fill_mine, name="fill_mine"),
    path("me/assessments/<int:assessment_id>/", views.my_result, name="my_result"),
]
