from django.urls import path

from keel.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/<int:patient_id>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:patient_id>/flags/<int:flag_id>/resolve/", views.resolve_flag, name="resolve_flag"),
    path("me/", views.my_record, name="my_record"),
    path("audit/", views.audit_trail, name="audit_trail"),
]
