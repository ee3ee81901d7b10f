from django.urls import path

from keel.accounts import staff_views

app_name = "staff"
urlpatterns = [
    path("program/staff/", staff_views.staff_page, name="staff"),
    path("program/settings/", staff_views.settings_page, name="program_settings"),
    path("program/staff/<int:user_id>/deactivate/", staff_views.deactivate_view, name="deactivate"),
    path(
        "program/staff/<int:user_id>/second-factor/reset/",
        staff_views.reset_second_factor_view,
        name="reset_second_factor",
    ),
    path("program/staff/<int:user_id>/role/", staff_views.change_role_view, name="change_role"),
    path(
        "program/staff/invitations/<int:invitation_id>/withdraw/",
        staff_views.withdraw_invitation_view,
        name="withdraw_invitation",
    ),
    path("accounts/invitation/<str:secret>/", staff_views.invitation_view, name="invitation"),
]
