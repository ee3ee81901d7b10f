from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "keel.sharing"
    label = "sharing"
    verbose_name = "Sharing under 42 CFR Part 2: consents and disclosures"
