"""The `IDP_*` variables: which are settings, and pydantic-settings' source that reads them.

`IDP_<FIELD>` sets a field, `IDP_<SECTION>__<FIELD>` one field of a section (or one
environment of `IDP_ENVIRONMENTS`); a list, or a section given whole, is JSON. pydantic-settings'
`EnvSettingsSource` does that reading. It ignores a name that is no field, and its JSON keeps the
last of a key given twice, so before it reads, `checked_variables` refuses, one line each:

- an `IDP_*` name that is neither a setting nor listed in `NOT_SETTINGS`, naming the closest
  valid one (a misspelt variable would otherwise be a setting silently left at its default);
- a name three levels deep (the section under it is given whole, as JSON);
- a list or section that is not JSON, is JSON `null` (which pydantic-settings takes as unset), or
  gives a key twice; a section that is not a JSON object.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Mapping
from typing import Any, TypeGuard, get_args, get_origin

from pydantic import BaseModel
from pydantic_settings import BaseSettings, EnvSettingsSource

from idp.settings.errors import KeyGivenTwice, SettingsError, shown
from idp.settings.model import ENV_PREFIX, NESTED, Settings

# The IDP_* variables that are not settings, and who reads them. Every other IDP_* name must be
# a setting: a new variable is added here (or under a prefix below), or it is refused.
NOT_SETTINGS: Mapping[str, str] = {
    "IDP_REQUEST": "the request JSON of a step pod",
    "IDP_DEBUG": "1 shows the traceback of an internal error",
    "IDP_UPSTREAM_SCHEMAS": "tests: the folder of the official Argo schemas",
    "IDP_REQUIRE_UPSTREAM_SCHEMAS": "tests: 1 makes a missing schema a failure",
    "IDP_UPDATE_EXPECTED": "tests: 1 rewrites tests/expected",
    "IDP_TEST_CLUSTER": "tests: 1 lets the on_cluster tests write to ARGO_SERVER",
    "IDP_BENCH_RUNS": "scripts/bench: runs per figure",
    "IDP_WEBHOOK_TOKEN": "idp trigger and the drift/expiry steps: the webhook's bearer token",
    "IDP_CALLBACK_TOKEN": "notify step: the callback's bearer token",
    "IDP_SMTP_USERNAME": "notify step: SMTP login",
    "IDP_SMTP_PASSWORD": "notify step: SMTP password",
    "IDP_PLATFORM_SECRET_DIR": "step pods: where the platform Secret is mounted",
    "IDP_TERMINATION_LOG": "step pods: where a failing step leaves its reason for Argo",
    "IDP_CHECKOV": "policy step: the checkov program (default: checkov on PATH)",
    "IDP_IMAGE_ENGINE": "scripts/build-image: docker, podman or buildah",
    "IDP_IMAGE_SOURCE": "scripts/build-image: the image's source label",
}
NOT_SETTINGS_PREFIXES: Mapping[str, str] = {
    "IDP_ARG_": "validate step: one workflow argument per request field",
    "IDP_LOCAL_": "reserved for idp local",
}


class EnvironmentSource(EnvSettingsSource):
    """pydantic-settings' environment source over `variables` (os.environ, or a mapping a test or
    a step gives), once `checked_variables` has taken them.

    Names are matched case-sensitively, against `IDP_` and the field's path, so that the keys of
    a section given as JSON must be its fields' names exactly, as in the settings file.
    """

    def __init__(self, settings_cls: type[BaseSettings], variables: Mapping[str, str]) -> None:
        taken = checked_variables(variables)
        super().__init__(settings_cls, case_sensitive=True)
        self.env_vars = {
            ENV_PREFIX + name[len(ENV_PREFIX) :].lower(): value for name, value in taken.items()
        }


def checked_variables(variables: Mapping[str, str]) -> dict[str, str]:
    """The `IDP_*` variables in `variables` that are settings; `SettingsError` for any of the
    refusals the module docstring lists."""
    known = _targets()
    wanted = sorted(n for n in variables if n.startswith(ENV_PREFIX) and not _not_a_setting(n))
    problems = [_unknown(n, list(known)) for n in wanted if n not in known]
    if problems:
        raise SettingsError("; ".join(problems))
    for name in sorted(wanted, key=lambda n: n.count(NESTED)):  # sections before their fields
        target = known[name]
        if _is_section(target) or get_origin(target) in (tuple, list, dict):
            whole = _is_section(target) or (get_origin(target) is dict and NESTED not in name)
            _check_json(name, variables[name], mapping=whole)
    return {name: variables[name] for name in wanted}


def setting_variables() -> list[str]:
    """Every IDP_* name that sets something: top-level fields and one level into sections."""
    return list(_targets())


@functools.cache
def _targets() -> dict[str, Any]:
    """Every IDP_* name that sets something, and the type of what it sets."""
    targets: dict[str, Any] = {}
    for name, field in Settings.model_fields.items():
        top = f"{ENV_PREFIX}{name.upper()}"
        annotation = field.annotation
        targets[top] = annotation
        if _is_section(annotation):
            for sub, inner in annotation.model_fields.items():
                targets[f"{top}{NESTED}{sub.upper()}"] = inner.annotation
        elif get_origin(annotation) is dict:
            keys, values = get_args(annotation)
            for key in get_args(keys):
                targets[f"{top}{NESTED}{key.upper()}"] = values
    return targets


def _is_section(annotation: Any) -> TypeGuard[type[BaseModel]]:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _not_a_setting(name: str) -> bool:
    return name in NOT_SETTINGS or name.startswith(tuple(NOT_SETTINGS_PREFIXES))


def _unknown(name: str, known: list[str]) -> str:
    parts = name.split(NESTED)
    if len(parts) > 2 and NESTED.join(parts[:2]) in known:
        section = NESTED.join(parts[:2])
        return (
            f"settings: {name}: IDP_* variables reach one level into a section; "
            f"give {section} as a JSON object instead"
        )
    close = difflib.get_close_matches(name.upper(), [*known, *NOT_SETTINGS], n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else "no setting has a similar name"
    return f"settings: {name} is not a setting; {hint} (idp/settings/model.py lists every setting)"


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys each appear once (json's `object_pairs_hook`)."""
    members: dict[str, Any] = {}
    for key, value in pairs:
        if key in members:
            raise KeyGivenTwice(key)
        members[key] = value
    return members


def _check_json(variable: str, text: str, *, mapping: bool) -> None:
    where = "settings." + variable[len(ENV_PREFIX) :].lower().replace(NESTED, ".")
    try:
        value = json.loads(text, object_pairs_hook=_once)
    except KeyGivenTwice as twice:
        raise SettingsError(
            f"{where}: {variable} gives the key {shown(twice.key)} more than once; each key may "
            "appear only once (as in a request body)"
        ) from None
    except ValueError:
        raise SettingsError(
            f"{where}: {variable} is not JSON (lists and sections in IDP_* variables must be JSON)"
        ) from None
    except RecursionError:
        raise SettingsError(f"{where}: {variable} holds JSON nested too deeply") from None
    if mapping and not isinstance(value, dict):
        raise SettingsError(
            f"{where}: {variable} must be a JSON object (a section), got {shown(value)}"
        )
    if value is None:
        raise SettingsError(
            f"{where}: {variable} is JSON null; give the value, or unset {variable} for the default"
        )
