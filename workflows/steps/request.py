"""The settings and the request a step works on: `IDP_REQUEST` checked against its kind's model.

Imported only by the commands that need a request (it loads pydantic and the contract); every
problem becomes a StepError with exit code 2, one line per bad field, as `idp validate` prints.
"""

from __future__ import annotations

import os

from idp.catalog import CatalogError, catalog_for, model_for
from idp.contract import RequestBase, RequestError, parse_request, validate_request
from idp.settings import Settings, SettingsError, load_settings
from workflows.steps.errors import EXIT_INVALID, StepError

REQUEST_ENV = "IDP_REQUEST"
ARGUMENT_ENV_PREFIX = "IDP_ARG_"


def argument_env(field: str) -> str:
    """The variable through which the validate step gets the workflow argument `field`."""
    return ARGUMENT_ENV_PREFIX + field.upper()


def settings() -> Settings:
    """Settings from the environment (`IDP_*`)."""
    try:
        return load_settings()
    except SettingsError as exc:
        raise StepError(str(exc), code=EXIT_INVALID) from exc


def _payload() -> str:
    payload = os.environ.get(REQUEST_ENV)
    if not payload:
        raise StepError(f"{REQUEST_ENV} is not set: it must hold the request JSON", code=2)
    return payload


def load(kind: str, current: Settings) -> RequestBase:
    """The request in `IDP_REQUEST`, valid for `kind` and the allowed regions of `current`."""
    try:
        model = model_for(kind, catalog_for(current.catalog))
    except CatalogError as exc:
        raise StepError(str(exc), code=EXIT_INVALID) from exc
    try:
        return parse_request(
            model,
            _payload(),
            current.allowed_regions,
            max_ttl_hours=current.expiry.ttl_limits,
        )
    except RequestError as exc:
        raise StepError(*(f"request: {line}" for line in exc.problems), code=EXIT_INVALID) from exc


def check_arguments(request: RequestBase, env: dict[str, str]) -> None:
    """The workflow's per-field arguments (which name the mutex and the labels) must say what
    the request says; each `IDP_ARG_<FIELD>` present is compared with the request's value."""
    problems = []
    for field, value in request.model_dump(mode="json").items():
        given = env.get(argument_env(field))
        expected = "" if value is None else str(value)
        if given is not None and given != expected:
            problems.append(
                f"argument {field}: {given[:60]!r} differs from the request's {expected[:60]!r}"
            )
    if problems:
        raise StepError(*problems, code=EXIT_INVALID)


def recorded(kind: str, data: object, current: Settings) -> RequestBase:
    """A request recorded in the stack registry, checked again against today's contract and
    settings before anything is done with it."""
    try:
        model = model_for(kind, catalog_for(current.catalog))
        return validate_request(
            model, data, current.allowed_regions, max_ttl_hours=current.expiry.ttl_limits
        )
    except CatalogError as exc:
        raise StepError(str(exc), code=EXIT_INVALID) from exc
    except RequestError as exc:
        raise StepError(*(f"recorded request: {line}" for line in exc.problems)) from exc
