from django.urls import path

from bare import views

urlpatterns = [
    path("healthz", views.healthz),
    path("read/<int:pk>", views.read),
    path("insert", views.insert),
    path("insert-token", views.insert_token),
    path("insert-logged", views.insert_logged),
    path("insert-audited", views.insert_audited),
    path("read-audited/<int:pk>", views.read_audited),
]
