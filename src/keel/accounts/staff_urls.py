from django.urls import path

from keel.accounts import staff_views

app_name = "staff"
urlpatterns = [
    path("program/staff/", staff_views.staff_page, name="staff"),
    path("program/settings/", staff_views.settings_page, name="program_settings"),
    path("program/staff/<int:user_id>/deactivate/", staff_views.deactivate_view, name="deactivate"),
    path("accounts/invitation/<str:secret>/", staff_views.invitation_view, name="invitation"),
]
