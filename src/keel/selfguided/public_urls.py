"""The sign-up pages are public pages: their address carries the language (mounted under /en/ and /es/)."""

from django.urls import path

from keel.selfguided import views

app_name = "signup"
urlpatterns = [
    path("start/", views.signup, name="start"),
    path("start/deleted/", views.deleted, name="deleted"),
]
