from django.urls import path

from keel.treatment.views import dosing, intake, me, medication, policy, start

app_name = "treatment"
_MEDICATION = "patients/<int:patient_id>/medication/"
_START = "patients/<int:patient_id>/start/"
urlpatterns = [
    path("dosing/", dosing.dosing, name="dosing"),
    path("dosing/due/", dosing.due_count, name="dosing_due"),
    path("dosing/<int:patient_id>/", dosing.record_dose, name="record_dose"),
    path(_MEDICATION, medication.medication, name="medication"),
    # One URL per action on the medication page, named and laid out as the API's routes (api.py).
    path(_MEDICATION + "orders/", medication.create_order, name="create_order"),
    path(_MEDICATION + "doses/<int:dose_id>/amendments/", medication.amend, name="amend"),
    path(_MEDICATION + "dose-overrides/", medication.override, name="override"),
    path(_MEDICATION + "take-homes/", medication.take_home, name="take_home"),
    path(_MEDICATION + "take-homes/<int:plan_id>/end/", medication.end_take_home, name="end_take_home"),
    path(
        _MEDICATION + "take-homes/<int:plan_id>/brought-back/",
        medication.take_home_brought_back,
        name="take_home_brought_back",
    ),
    path(_MEDICATION + "fills/", medication.create_fill, name="create_fill"),
    path(_MEDICATION + "fills/<int:fill_id>/void/", medication.void_fill, name="void_fill"),
    path(_MEDICATION + "qtc/", medication.qtc, name="qtc"),
    path("program/policy/", policy.program_policy, name="policy"),
    path("patients/<int:patient_id>/intake/", intake.intake, name="intake"),
    path(_START, start.start, name="start"),
    # One URL per action on the start page, as on the medication page.
    path(_START + "last-use/", start.last_use, name="start_last_use"),
    path(_START + "last-use-corrections/", start.last_use_correction, name="start_last_use_correction"),
    path(_START + "orders/", start.order, name="start_order"),
    path(_START + "doses/", start.dose, name="start_dose"),
    path(_START + "dose-overrides/", start.override, name="start_override"),
    path(_START + "naloxone/", start.naloxone, name="start_naloxone"),
    path(_START + "goals/", start.goal, name="start_goal"),
    path("me/care-plan/", me.my_care_plan, name="my_care_plan"),
    path("me/home-start/", me.home_start, name="home_start"),
    path("patients/<int:patient_id>/injections/", medication.injection, name="injection"),
]
