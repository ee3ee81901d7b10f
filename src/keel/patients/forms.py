"""Front-desk forms (issue #18). They only shape the page; the service checks every field and names it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from keel.accounts.names import staff_choices
from keel.patients.models import AdministrativeGender, BirthSex, EpisodeKind

if TYPE_CHECKING:
    from keel.accounts.models import Program, User


class RegistrationForm(forms.Form):
    given_name = forms.CharField(label=_("First name (legal)"), max_length=100, required=False)
    family_name = forms.CharField(label=_("Last name (legal)"), max_length=100, required=False)
    preferred_name = forms.CharField(label=_("Name they go by (optional)"), max_length=100, required=False)
    pronouns = forms.CharField(label=_("Pronouns (optional)"), max_length=40, required=False)
    date_of_birth = forms.CharField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    gender = forms.ChoiceField(
        label=_("Gender (for records and billing)"),
        choices=AdministrativeGender.choices,
        initial=AdministrativeGender.UNKNOWN,
        required=False,
    )
    birth_sex = forms.ChoiceField(
        label=_("Sex assigned at birth (optional)"),
        choices=[("", _("Not asked")), *BirthSex.choices],
        required=False,
    )
    phone = forms.CharField(label=_("Phone (optional)"), max_length=40, required=False)
    email = forms.CharField(label=_("Email (optional)"), max_length=254, required=False)
    # The identity photo (issue #18): checked and re-encoded by the service (keel.patients.photos).
    photo = forms.FileField(
        label=_("Photo for the dosing window (optional; JPEG, PNG or WebP, up to 5 MB)"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "user"}
        ),
    )
    address_line = forms.CharField(label=_("Street address (optional)"), max_length=200, required=False)
    city = forms.CharField(label=_("City (optional)"), max_length=100, required=False)
    region = forms.CharField(label=_("State or region (optional)"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("Postal code (optional)"), max_length=20, required=False)
    emergency_contact_name = forms.CharField(
        label=_("Emergency contact's name (optional)"), max_length=100, required=False
    )
    emergency_contact_relationship = forms.CharField(
        label=_("How they know the person (optional)"), max_length=60, required=False
    )
    emergency_contact_phone = forms.CharField(
        label=_("Emergency contact's phone"), max_length=40, required=False
    )
    preferred_language = forms.ChoiceField(
        label=_("Language for messages"),
        choices=[("", _("The program's language")), ("en", "English"), ("es", "Español")],
        required=False,
    )
    record_number = forms.CharField(
        label=_("Record number (leave blank for the next number)"), max_length=32, required=False
    )
    started_on = forms.CharField(
        label=_("Date care starts (blank: today)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    program = forms.ChoiceField(label=_("Program"), required=False)
    episode_kind = forms.ChoiceField(
        label=_("Kind of care"), choices=[("", _("Choose…")), *EpisodeKind.choices], required=False
    )
    notice_given = forms.BooleanField(
        label=_("I gave the person the notice about the privacy of their substance use records"),
        required=False,
    )
    consented = forms.BooleanField(label=_("The person consents to treatment"), required=False)
    not_a_duplicate = forms.BooleanField(
        label=_("I checked: this is a different person from the patient already registered"), required=False
    )

    def __init__(self, *args: Any, programs: list[Program], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        program = self.fields["program"]
        assert isinstance(program, forms.ChoiceField)
        program.choices = [(p.slug, p.name) for p in programs]
        if len(programs) <= 1:
            del self.fields["program"]


class CareTeamForm(forms.Form):
    user_id = forms.ChoiceField(label=_("Staff member"))

    def __init__(self, *args: Any, candidates: list[User], zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = staff_choices(
            candidates, zone=zone
        )  # never a username; two alike told apart (words34)


class ActivateForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the front desk"),
        max_length=40,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    username = forms.CharField(
        label=_("Choose a username"),
        max_length=150,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label=_("Choose a password"),
        max_length=256,
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("The same password again"),
        max_length=256,
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class ResetWithCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the front desk"),
        max_length=40,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label=_("Choose a new password"),
        max_length=256,
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("The same password again"),
        max_length=256,
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class ContactForm(forms.Form):
    """Contact details and preferred language after registration (the service checks and names each field)."""

    preferred_name = RegistrationForm.base_fields["preferred_name"]
    pronouns = RegistrationForm.base_fields["pronouns"]
    phone = RegistrationForm.base_fields["phone"]
    email = RegistrationForm.base_fields["email"]
    address_line = RegistrationForm.base_fields["address_line"]
    city = RegistrationForm.base_fields["city"]
    region = RegistrationForm.base_fields["region"]
    postal_code = RegistrationForm.base_fields["postal_code"]
    emergency_contact_name = RegistrationForm.base_fields["emergency_contact_name"]
    emergency_contact_relationship = RegistrationForm.base_fields["emergency_contact_relationship"]
    emergency_contact_phone = RegistrationForm.base_fields["emergency_contact_phone"]
    preferred_language = forms.ChoiceField(
        label=_("Language for messages"), choices=[("en", "English"), ("es", "Español")], required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
