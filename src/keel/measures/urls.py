from django.urls import path

from keel.measures import views

app_name = "measures"

urlpatterns = [
    path("program/measures/", views.measures, name="measures"),
    path("program/measures/<slug:code>.csv", views.measure_csv, name="measure_csv"),
]
