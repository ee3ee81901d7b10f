"""htmx is loaded only by a page that opts in (issue #17): the staff home does not; a page that fills the
`scripts` block with `web/_htmx.html` does."""

from __future__ import annotations

from django.template import Context, Template
from django.test import Client

from tests.conftest import World, sign_in

HTMX = "keel/vendor/htmx-2.0.11.min.js"


def test_a_staff_page_that_does_not_opt_in_loads_no_htmx(world: World) -> None:
    response = sign_in(Client(), world.staff["nurse"]).get("/")
    assert HTMX not in response.content.decode()


def test_a_page_that_opts_in_loads_htmx(world: World) -> None:
    page = Template(
        '{% extends "web/base.html" %}{% block scripts %}{% include "web/_htmx.html" %}{% endblock %}'
    ).render(Context({}))
    assert HTMX in page


def test_the_opt_in_keeps_eval_off(world: World) -> None:
    page = Template(
        '{% extends "web/base.html" %}{% block scripts %}{% include "web/_htmx.html" %}{% endblock %}'
    ).render(Context({}))
    assert '"allowEval": false' in page
