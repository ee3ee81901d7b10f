"""The API's query strings: a parameter an operation does not read is refused, not dropped (review 16a).

`POST /api/v1/patients/{id}/doses?sedated=true` with a body without `sedated` recorded the dose as GIVEN:
the unknown-key guard (`keel.schemas.In`) covers the body only, and ninja drops a query parameter no
argument declares without a word. An integration that puts a flag in the query (as many HTTP clients'
`params=` make easy) is now told: 422 naming the parameter, in the request's language. A parameter given
twice where the operation reads one value (`?days=7&days=90`) is refused as a JSON body's duplicate key is
(which one the caller meant is not ours to guess).

Every operation gets the check (`refuse_undeclared_query`, added to the whole API by `keel.api`): what it
may read is what its signature declares (`Query[...]` models and plain query arguments, as the OpenAPI
document lists them), plus the names a route that reads `request.GET` by hand declares with `reads_query`
(the directory's searches). The check runs after authentication and ninja's own parameter and body checks,
before the route: a caller who may not act is told 401 first, and 422 before their 403/404 as for a body's
unknown key."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, Concatenate, NoReturn, ParamSpec, TypeVar

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja.params.models import QueryModel

from keel.api_errors import ApiRefused, error_body
from keel.core.rules.inputs import DUPLICATE_KEY
from keel.core.words import gettext_noop as N_

F = TypeVar("F", bound=Callable[..., Any])  # a route's function: ninja calls it with what it declares
P = ParamSpec("P")
R = TypeVar("R")

# Said after a query parameter's name that the operation does not read.
UNDECLARED = N_("not a query parameter of this request")

_READS = "_keel_reads_query"
QUERY_ERRORS = "keel_query_errors"  # the request's attribute: what `find_undeclared_query` found


def reads_query(*names: str) -> Callable[[F], F]:
    """Mark a route that reads `request.GET` by hand with the parameters it reads (below `@router.get`)."""

    def mark(func: F) -> F:
        setattr(func, _READS, frozenset(names))
        return func

    return mark


def declared_query(func: Callable[..., Any]) -> tuple[frozenset[str], frozenset[str]]:
    """(every query parameter the operation of `func` reads, those of them that take several values)."""
    operation = getattr(func, "_ninja_operation", None)
    names: set[str] = set(getattr(func, _READS, ()))
    lists: set[str] = set()
    for model in getattr(operation, "models", ()):
        if isinstance(model, type) and issubclass(model, QueryModel):
            names.update(getattr(model, "__ninja_flatten_map__", {}))
            lists.update(getattr(model, "__ninja_collection_fields__", ()))
    return frozenset(names), frozenset(lists)


def query_errors(request: HttpRequest, names: frozenset[str], lists: frozenset[str]) -> list[dict[str, str]]:
    """Each query parameter of `request` that is not in `names`, or given twice and not in `lists`."""
    errors = []
    for key, values in request.GET.lists():
        if key not in names:
            errors.append({"field": key, "reason": gettext(UNDECLARED)})
        elif len(values) > 1 and key not in lists:
            errors.append({"field": key, "reason": gettext(DUPLICATE_KEY)})
    return errors


def find_undeclared_query(
    run: Callable[Concatenate[HttpRequest, P], R],
) -> Callable[Concatenate[HttpRequest, P], R]:
    """For `api.add_decorator(..., mode="view")`: wraps each operation's `run` (before authentication) and
    notes on the request the query parameters its operation does not read, so that ninja's own 422 (a bad
    body, a bad declared parameter) names them too (`keel.api.on_validation_error`)."""
    operation = getattr(run, "__self__", None)
    names, lists = declared_query(getattr(operation, "view_func", run))

    @functools.wraps(run)
    def noted(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> R:
        query = request.META.get("QUERY_STRING")  # no query string, nothing to parse
        setattr(request, QUERY_ERRORS, query_errors(request, names, lists) if query else [])
        return run(request, *args, **kwargs)

    return noted


def refuse_undeclared_query(
    func: Callable[Concatenate[HttpRequest, P], R],
) -> Callable[Concatenate[HttpRequest, P], R]:
    """For `api.add_decorator(..., mode="operation")`: wraps each operation's function (after ninja's
    authentication and its checks of the declared parameters and the body) and refuses what
    `find_undeclared_query` noted."""

    @functools.wraps(func)
    def checked(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> R:
        errors = getattr(request, QUERY_ERRORS, None)
        if errors is None:  # not through `find_undeclared_query` (never in the API): judged here
            names, lists = declared_query(func)
            errors = query_errors(request, names, lists) if request.META.get("QUERY_STRING") else []
        if errors:
            _refusal(request, errors)
        return func(request, *args, **kwargs)

    return checked


def _refusal(request: HttpRequest, errors: Iterable[dict[str, str]]) -> NoReturn:
    raise ApiRefused(422, error_body(gettext("Some query parameters are not valid."), list(errors)))
