from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # the stubs' helper, not needed at run time
    from django_stubs_ext import StrOrPromise


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )


class SetupCodeForm(CodeForm):
    """Adding an authenticator after a second factor reset (lane acct35): the one-time set-up code the
    person was handed, then the new authenticator's first code."""

    setup_code = forms.CharField(
        label=_("One-time set-up code from your program's admin"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    field_order = ["setup_code", "code"]


class ConfirmPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Your password (to confirm it is you)"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class InviteForm(forms.Form):
    email = forms.CharField(label=_("Email address"), max_length=254, required=False)
    role = forms.ChoiceField(label=_("Role"), required=False)
    first_name = forms.CharField(label=_("First name (optional)"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name (optional)"), max_length=150, required=False)

    def __init__(self, *args: object, roles: list[tuple[str, Any]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["role"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = roles


class AcceptForm(forms.Form):
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
    code = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        max_length=8,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _password(label: StrOrPromise, autocomplete: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=256,
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class PasswordChangeForm(forms.Form):
    current_password = _password(_("Your current password"), "current-password")
    new_password = _password(_("New password"), "new-password")
    new_password_again = _password(_("The same new password again"), "new-password")


class PasswordResetRequestForm(forms.Form):
    email = forms.CharField(
        label=_("The email address of your account"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PasswordResetForm(forms.Form):
    password = _password(_("New password"), "new-password")
    password_again = _password(_("The same new password again"), "new-password")
