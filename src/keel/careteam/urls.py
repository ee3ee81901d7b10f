from django.urls import path

from keel.careteam import views

app_name = "careteam"

urlpatterns = [
    path("patients/<int:patient_id>/timeline/", views.timeline, name="timeline"),
]
