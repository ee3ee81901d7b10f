from django.urls import path

from keel.reminders import views

app_name = "reminders"

urlpatterns = [
    path("reminders/stop/<str:token>/", views.stop, name="stop"),
    path("me/reminders/<int:reminder_id>/channel/", views.channel, name="channel"),
]
