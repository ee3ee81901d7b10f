from django.urls import path

from keel.public import views

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
    path("help/check-my-use/", views.check_my_use, name="check"),
    path("help/worried-about-someone/", views.worried_about_someone, name="worried"),
    path("help/why-it-happens/", views.why_it_happens, name="why"),
    path("help/withdrawal/", views.withdrawal, name="withdrawal"),
    path("help/treatment/", views.treatment, name="treatment"),
    path("help/stay-safe/", views.stay_safe, name="safety"),
    path("help/find-help/", views.find_help, name="find"),
]
