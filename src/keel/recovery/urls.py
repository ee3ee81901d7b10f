from django.urls import path

from keel.recovery import views

app_name = "recovery"
urlpatterns = [
    path("me/checkin/", views.checkin, name="checkin"),
    path("me/checkin/done/", views.checkin_done, name="checkin_done"),
    path("me/checkin/ask-team/", views.ask_team, name="ask_team"),
    path("me/progress/", views.progress, name="progress"),
    path("me/thoughts/", views.thoughts, name="thoughts"),
    path("me/thoughts/new/", views.thought_new, name="thought_new"),
    path("me/skills/", views.skills, name="skills"),
    path("me/plan/", views.plan, name="plan"),
    path("me/plan/edit/", views.plan_edit, name="plan_edit"),
    path("me/plan.pdf", views.plan_pdf, name="plan_pdf"),
    path("me/reminders/", views.reminders, name="reminders"),
    path("me/reminders/<int:reminder_id>/done/", views.reminder_done, name="reminder_done"),
    path("me/reminders/<int:reminder_id>/delete/", views.reminder_delete, name="reminder_delete"),
    path("me/meetings/", views.meetings, name="meetings"),
    path("me/meetings/attend/", views.attend, name="attend"),
    path("patients/<int:patient_id>/recovery/", views.patient_recovery, name="patient_recovery"),
]
