from django.urls import path

from keel.interop import views

app_name = "interop"

urlpatterns = [
    path("me/record.fhir.json", views.my_record_file, name="my_record_file"),
]
