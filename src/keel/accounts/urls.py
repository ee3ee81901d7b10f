from django.urls import path

from keel.accounts import password_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify_view, name="verify"),
    path("logout/", views.logout_view, name="logout"),
    path("mfa/", views.mfa_view, name="mfa"),
    path("mfa/start/", views.mfa_start, name="mfa_start"),
    path("mfa/confirm/", views.mfa_confirm, name="mfa_confirm"),
    path("mfa/disable/", views.mfa_disable, name="mfa_disable"),
    path("password/", password_views.change_view, name="password_change"),
    path("password/reset/", password_views.reset_request_view, name="password_reset"),
    path("password/reset/<str:uidb64>/<str:token>/", password_views.reset_view, name="password_reset_link"),
]
