from django.urls import path

from keel.directory import views

app_name = "directory"
urlpatterns = [
    path("find/meetings/", views.find_meetings, name="find_meetings"),
    path("find/treatment/", views.find_facilities, name="find_facilities"),
    path("directory/import/", views.import_feed, name="import"),
]
