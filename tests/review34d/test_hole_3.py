"""Hole 3: a patient making her account with the desk's code chooses a username with a space in it (her
name, "Maria Gonzalez"): 500 "Something went wrong" on the page and the API, never a word on the field.
`create_user` raises Django's ValidationError from `full_clean` (the username's letters), and only
AccountError is turned into a field's message (`activation._activate`; `staff.accept` is the same)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD
from tests.review34d._setup import activation_code, record_without_account


@pytest.mark.django_db
def test_the_activation_page_names_the_username_field_for_a_username_with_a_space(world):
    code = activation_code(world, record_without_account(world))
    page = Client(raise_request_exception=False).post(
        "/accounts/activate/",
        {"code": code, "username": "Maria Gonzalez", "password": PASSWORD, "password_again": PASSWORD},
    )
    assert page.status_code == 422, f"a username with a space answered {page.status_code}, not the form again"


@pytest.mark.django_db
def test_the_activation_api_answers_422_naming_username_for_a_username_with_a_space(world):
    code = activation_code(world, record_without_account(world))
    answer = Client(raise_request_exception=False).post(
        "/api/v1/auth/activate",
        {"code": code, "username": "Maria Gonzalez", "password": PASSWORD, "password_again": PASSWORD},
        content_type="application/json",
    )
    assert answer.status_code == 422, f"a username with a space answered {answer.status_code}"
