"""Journey 3 on a tablet: intake -> DSM-5 severity -> COWS at the bedside with time since last use ->
readiness verdict with reasons -> first doses within the day-1 limit -> naloxone prompt -> care plan."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from playwright.sync_api import expect

from keel import demo
from keel.patients.models import Patient
from keel.treatment.models import DoseRecord, MedicationOrder
from tests.browser.test_instrument_journeys import _sign_in

TABLET = {"width": 1024, "height": 900}


def test_intake_and_buprenorphine_start(live_server: Any, browser: Any, shot: Any) -> None:
    demo.load(patients_per_program=6, seed=11)
    on_methadone = MedicationOrder.objects.values_list("patient_id", flat=True)
    patient = Patient.objects.filter(program__slug="riverside").exclude(pk__in=on_methadone).first()
    assert patient is not None
    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    _sign_in(page, live_server.url, "riverside.prescriber")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="Treatment start: intake, readiness, first doses, care plan").click()
    page.get_by_role("link", name="Do the intake").click()

    # Intake: heroin, injected, last used 14 hours ago; a past overdose; not pregnant.
    page.locator("input[name=used_heroin]").check()
    page.locator("input[name=routes_heroin][value=inject]").check()
    page.locator("#last_heroin").fill((timezone.localtime() - timedelta(hours=14)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Overdoses before").fill("1")
    page.get_by_label("Pregnant").select_option("no")
    page.get_by_label("Family history of substance use").check()
    page.get_by_role("button", name="Save intake").click()
    page.get_by_text("Intake saved.").wait_for()
    overdose = page.get_by_role("region", name="Overdose risk and naloxone")
    expect(overdose).to_contain_text("No naloxone kit on record: offer one.")

    # DSM-5: six criteria -> severe.
    page.locator("a[href$='/instruments/dsm5-oud/']").click()
    for i in range(1, 12):
        page.locator(f"#q-dsm5_{i}").get_by_label("Yes" if i <= 6 else "No", exact=True).check()
    page.locator("#main form button[type=submit]").click()
    page.get_by_text("Severe opioid use disorder").first.wait_for()

    # COWS at the bedside: moderate withdrawal.
    page.goto(f"{live_server.url}/patients/{patient.pk}/cows/")
    page.locator("#q-pulse").get_by_label("101 to 120").check()
    for item in [
        "sweating",
        "restlessness",
        "pupils",
        "aches",
        "nose_eyes",
        "tremor",
        "yawning",
        "anxiety",
        "gooseflesh",
    ]:
        page.locator(f"#q-{item}").locator("input[type=radio]").nth(2).check()
    page.locator("#q-gi_upset").get_by_label("Vomiting or diarrhea", exact=True).check()
    page.get_by_role("button", name="Save this score").click()
    page.get_by_role("heading", name="Scores so far").wait_for()

    # Readiness: heroin 14 h ago and COWS >= 8 -> ready, with reasons.
    page.goto(f"{live_server.url}/patients/{patient.pk}/start/")
    readiness = page.get_by_role("region", name="Buprenorphine readiness")
    expect(readiness.locator(".verdict-ready")).to_be_visible()
    assert "Heroin 14 h ago" in readiness.inner_text() or "14" in readiness.inner_text()
    assert (
        "Severe opioid use disorder" in page.get_by_role("region", name="Intake and diagnosis").inner_text()
    )

    # First doses: 4 mg, then 4 mg after the re-dose interval; a third would pass the 8 mg day-1 limit
    # (program policy). The nurse types each amount: never the ordered dose by default (issue #13).
    page.get_by_label("Buprenorphine dose (mg)").fill("4")
    page.get_by_role("button", name="Prescribe").click()
    given = DoseRecord.objects.filter(patient=patient, medication="buprenorphine", status="given")
    page.get_by_label("Dose now (mg)").fill("4")
    page.get_by_role("button", name="Give dose").click()
    page.get_by_role("heading", name="Buprenorphine doses").wait_for()
    # A second 4 mg at once is not given: the re-dose interval (reference 9.3) holds it.
    page.get_by_label("Dose now (mg)").fill("4")
    page.get_by_role("button", name="Give dose").click()
    page.get_by_role("heading", name="Buprenorphine doses").wait_for()
    assert given.count() == 1
    # Two hours on (the first dose's time moved back; its day unchanged), the second 4 mg is given.
    given.update(given_at=timezone.now() - timedelta(hours=2, minutes=5))
    page.get_by_label("Dose now (mg)").fill("4")
    page.get_by_role("button", name="Give dose").click()
    page.get_by_role("heading", name="Buprenorphine doses").wait_for()
    assert given.count() == 2
    given.update(given_at=timezone.now() - timedelta(hours=2, minutes=5))  # the third meets the day limit
    doses = page.get_by_role("region", name="Buprenorphine doses")
    expect(doses).to_contain_text("8 mg given today")
    expect(doses).to_contain_text("Day 0 in treatment: 8 mg given today")
    expect(doses).to_contain_text("Limit on the first dose day (program policy): 8")
    page.get_by_label("Dose now (mg)").fill("4")
    page.get_by_role("button", name="Give dose").click()
    page.get_by_text("above the 8 mg limit").wait_for()

    # Naloxone: the prompt, then a kit on record.
    page.get_by_role("button", name="Record naloxone kit").click()
    page.get_by_text("Naloxone kit recorded.").wait_for()
    expect(page.get_by_role("region", name="Overdose risk and naloxone")).to_contain_text(
        "Naloxone kit dispensed"
    )

    # Care plan: medication + counseling + peer support goals with who and when.
    review = (timezone.localdate() + timedelta(days=30)).isoformat()
    for area, goal in [
        ("medication", "Daily buprenorphine; check in with the prescriber each week"),
        ("counseling", "Weekly CBT session: plan for Friday nights"),
        ("peer_support", "Two NA meetings a week with a peer"),
    ]:
        page.get_by_label("Area").select_option(area)
        page.get_by_label("Goal, in plain words").fill(goal)
        page.get_by_label("Review on").fill(review)
        page.get_by_role("button", name="Add goal").click()
        page.get_by_text("Goal added to the care plan.").wait_for()
    plan = page.get_by_role("region", name="Care plan")
    expect(plan).to_contain_text("Two NA meetings a week")
    expect(plan).to_contain_text("Weekly CBT session")
    shot(page, "treatment-start-journey-tablet")
    context.close()


DESKTOP = {"width": 1280, "height": 900}


def _local(patient: Any, hours: float) -> str:
    """A datetime-local value `hours` from now in the patient's program zone (negative: in the past)."""
    zone = ZoneInfo(patient.program.time_zone)
    return (timezone.now().astimezone(zone) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def _score_cows(page: Any, url: str, patient: Any, when: str) -> None:
    page.goto(f"{url}/patients/{patient.pk}/cows/")
    page.get_by_label("Time of scoring").fill(when)
    page.locator("#q-pulse").get_by_label("101 to 120").check()
    for item in ["sweating", "restlessness", "pupils", "aches", "nose_eyes", "tremor", "yawning", "anxiety"]:
        page.locator(f"#q-{item}").locator("input[type=radio]").nth(2).check()
    page.locator("#q-gooseflesh").locator("input[type=radio]").nth(0).check()
    page.locator("#q-gi_upset").locator("input[type=radio]").nth(0).check()
    page.get_by_role("button", name="Save this score").click()
    page.get_by_role("heading", name="Scores so far").wait_for()


def test_the_start_holds_against_a_second_opioid_a_stale_cows_and_a_future_time(
    live_server: Any, browser: Any, shot: Any
) -> None:
    demo.load(patients_per_program=6, seed=11)
    on_methadone = MedicationOrder.objects.values_list("patient_id", flat=True)
    patient = Patient.objects.filter(program__slug="riverside").exclude(pk__in=on_methadone).first()
    assert patient is not None
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    _sign_in(page, live_server.url, "riverside.prescriber")
    page.goto(f"{live_server.url}/patients/{patient.pk}/intake/")

    # A typo puts the methadone in the future: refused beside the field, and nothing typed is lost.
    heroin, future = _local(patient, -14), _local(patient, 2)
    opioids = page.get_by_role("group", name="Opioids used, how, and the last use")
    opioids.get_by_label("Heroin", exact=True).check()
    page.locator("input[name=routes_heroin][value=inject]").check()
    page.get_by_label("Heroin: last use (local time)").fill(heroin)
    opioids.get_by_label("Methadone", exact=True).check()
    page.get_by_label("Methadone: last use (local time)").fill(future)
    page.get_by_label("Overdoses before").fill("1")
    page.get_by_label("Pregnant").select_option("no")
    page.get_by_label("Often uses alone").check()
    page.get_by_role("button", name="Save intake").click()
    expect(page.get_by_text("This time is in the future. Check the date and the time.")).to_be_visible()
    expect(page.get_by_label("Methadone: last use (local time)")).to_have_value(future)
    expect(page.get_by_label("Heroin: last use (local time)")).to_have_value(heroin)
    expect(page.locator("input[name=routes_heroin][value=inject]")).to_be_checked()
    expect(page.get_by_label("Overdoses before")).to_have_value("1")
    expect(page.get_by_label("Often uses alone")).to_be_checked()
    expect(page.get_by_label("Pregnant")).to_have_value("no")
    shot(page, "intake-future-time-refused-desktop")
    page.get_by_label("Methadone: last use (local time)").fill(_local(patient, -48))
    page.get_by_role("button", name="Save intake").click()
    page.get_by_text("Intake saved.").wait_for()

    # A COWS scored three hours ago is too old to decide on.
    _score_cows(page, live_server.url, patient, _local(patient, -3))
    page.goto(f"{live_server.url}/patients/{patient.pk}/start/")
    readiness = page.get_by_role("region", name="Buprenorphine readiness")
    expect(readiness).to_contain_text("Not ready yet: wait, then score COWS again")
    expect(readiness).to_contain_text("Too old: score again.")

    # A fresh COWS (an hour ago): still not ready, because of the methadone two days ago; both are named.
    _score_cows(page, live_server.url, patient, _local(patient, -1))
    page.goto(f"{live_server.url}/patients/{patient.pk}/start/")
    readiness = page.get_by_role("region", name="Buprenorphine readiness")
    expect(readiness.locator("p.verdict-wait")).to_have_text("Not ready yet: wait, then score COWS again")
    expect(readiness).to_contain_text("Heroin: last used 14 h ago; the wait of 12 h is met.")
    expect(readiness).to_contain_text("Methadone: last used 48 h ago; the wait of 72 h is not met")
    expect(readiness).to_contain_text("COWS used: ")
    shot(page, "start-second-opioid-desktop")
    page.set_viewport_size(TABLET)
    shot(page, "start-second-opioid-tablet")

    # Asked again: heroin half an hour ago, after that COWS was scored, so the COWS no longer counts.
    readiness.get_by_text("Ask again: time of last use").click()
    readiness.get_by_label("Heroin", exact=True).fill(_local(patient, -0.5))
    readiness.get_by_role("button", name="Save times of last use").click()
    page.get_by_text("Times of last use saved.").wait_for()
    readiness = page.get_by_role("region", name="Buprenorphine readiness")
    expect(readiness).to_contain_text("Scored before the last use: score again.")

    # A future time asked again is refused too, and what was typed stays.
    readiness.get_by_text("Ask again: time of last use").click()
    future = _local(patient, 3)
    readiness.get_by_label("Illicit fentanyl").fill(future)
    readiness.get_by_role("button", name="Save times of last use").click()
    readiness = page.get_by_role("region", name="Buprenorphine readiness")
    expect(readiness.get_by_label("Illicit fentanyl")).to_have_value(future)
    expect(readiness).to_contain_text("This time is in the future. Check the date and the time.")
    shot(page, "start-future-time-refused-tablet")

    # The same card in Spanish: the verdict and the reasons in words, no codes.
    page.get_by_role("button", name="Español").click()
    readiness = page.get_by_role("region", name="Preparación para la buprenorfina")
    expect(readiness.locator("p.verdict-wait")).to_have_text("Todavía no: espere y vuelva a puntuar la COWS")
    expect(readiness).to_contain_text("Metadona: último uso hace 48 h; la espera de 72 h no se cumple")
    shot(page, "start-second-opioid-spanish-tablet")
    context.close()


def test_a_prescriber_corrects_a_mistaken_time_of_last_use(live_server: Any, browser: Any, shot: Any) -> None:
    """The nurse typed this morning's time for heroin used last night, so the COWS looked older than the
    use. The prescriber strikes it: a thin reason is refused with everything typed kept; a reason of
    substance saves it, the page says who corrected what, and the COWS counts again."""
    demo.load(patients_per_program=6, seed=11)
    on_methadone = MedicationOrder.objects.values_list("patient_id", flat=True)
    patient = Patient.objects.filter(program__slug="riverside").exclude(pk__in=on_methadone).first()
    assert patient is not None
    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    _sign_in(page, live_server.url, "riverside.prescriber")
    _score_cows(page, live_server.url, patient, _local(patient, -1))
    page.goto(f"{live_server.url}/patients/{patient.pk}/start/")
    readiness = page.get_by_role("region", name="Buprenorphine readiness")
    readiness.get_by_text("Ask again: time of last use").click()
    readiness.get_by_label("Heroin", exact=True).fill(_local(patient, -0.5))
    readiness.get_by_role("button", name="Save times of last use").click()
    page.get_by_text("Times of last use saved.").wait_for()
    readiness = page.get_by_role("region", name="Buprenorphine readiness")
    expect(readiness).to_contain_text("Scored before the last use: score again.")

    right = _local(patient, -14)
    readiness.get_by_text("Correct this time").click()
    readiness.get_by_label("Right time of last use").fill(right)
    readiness.get_by_label("Clinical reason (required)").fill("typo fix")
    readiness.get_by_role("button", name="Save correction").click()
    readiness = page.get_by_role("region", name="Buprenorphine readiness")
    expect(readiness).to_contain_text("say what happened and why")  # review 24r: the one check's answer
    expect(readiness.get_by_label("Right time of last use")).to_have_value(right)
    expect(readiness.get_by_label("Clinical reason (required)")).to_have_value("typo fix")
    shot(page, "start-correction-refused-tablet")

    readiness.get_by_label("Clinical reason (required)").fill(
        "Nurse typed this morning's time; the person last used heroin last night, confirmed with them."
    )
    readiness.get_by_role("button", name="Save correction").click()
    readiness = page.get_by_role("region", name="Buprenorphine readiness")
    expect(readiness).to_contain_text("Corrected by")
    expect(readiness).to_contain_text("confirmed with them")
    expect(readiness).not_to_contain_text("Scored before the last use: score again.")
    shot(page, "start-correction-saved-tablet")
    context.close()
