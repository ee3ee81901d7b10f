from django.urls import path

from keel.selfguided import views

app_name = "selfguided"
urlpatterns = [
    path("me/account/", views.home, name="home"),
    path("me/account/my-data.json", views.export, name="export"),
    path("me/account/delete/", views.delete, name="delete"),
    path("me/account/join/", views.join, name="join"),
    path("me/account/join/sign/", views.join_sign, name="join_sign"),
    path("patients/<int:patient_id>/link-code/", views.link_code, name="link_code"),
]
