from django.urls import path

from keel.sharing import views

app_name = "sharing"

urlpatterns = [
    path("me/sharing/", views.mine, name="mine"),
    path("me/sharing/new/", views.new_consent, name="new_consent"),
    path("me/sharing/<int:consent_id>/revoke/", views.revoke, name="revoke"),
    path("patients/<int:patient_id>/sharing/", views.patient_page, name="patient"),
    path("patients/<int:patient_id>/sharing/disclose/", views.disclose, name="disclose"),
    path("patients/<int:patient_id>/sharing/paper-consent/", views.paper_consent, name="paper_consent"),
    path(
        "patients/<int:patient_id>/sharing/<int:consent_id>/revoked-in-writing/",
        views.written_revocation,
        name="written_revocation",
    ),
    path("emergency-access/", views.emergency, name="emergency"),
    path("emergency-access/<int:patient_id>/end/", views.end_emergency, name="end_emergency"),
    path("program/emergency-reviews/", views.reviews, name="reviews"),
    path("program/emergency-reviews/<int:review_id>/attest/", views.attest, name="attest"),
]
