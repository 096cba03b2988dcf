"""The one settings model: every name and default the platform uses, in one place.

Precedence, highest first: environment variables (`IDP_...`, nested fields joined with `__`,
for example `IDP_TERRAFORM_BACKEND__STORAGE_ACCOUNT`), then a YAML file given with `--config`,
then the defaults documented on each field. Everything else in the project derives its names
from an instance of `Settings`; nothing repeats them.

The model is a pydantic-settings `BaseSettings` (`idp.settings.model`, its fields grouped by
topic); `load_settings` builds it from two pydantic-settings sources, the environment above the
file, which the library merges key by key. What the library does not do is kept here, small and
explicit, because an operator must be able to trust what is read:

- `idp.settings.environment`: an `IDP_*` variable that is neither a setting nor listed in
  `NOT_SETTINGS` is refused with the closest valid name (pydantic-settings ignores a name it does
  not know, so a typo would leave a setting at its default), and JSON that gives a key twice is
  refused (Python's json keeps the last);
- `idp.settings.file`: the file must be small UTF-8 YAML made of JSON values, each key once
  (pydantic-settings' YAML source takes whatever PyYAML's safe_load returns).

Every free-form value is bounded (`idp.settings.values`), so nothing compiles into an object over
Kubernetes' limits, and every error is one bounded line naming the setting (`SettingsError`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError
from pydantic_settings import PydanticBaseSettingsSource
from pydantic_settings import SettingsError as SourceError

from idp.settings.environment import (
    NOT_SETTINGS,
    NOT_SETTINGS_PREFIXES,
    EnvironmentSource,
    setting_variables,
)
from idp.settings.errors import SettingsError, format_validation_error, shown, shown_text
from idp.settings.file import MAX_DEPTH, MAX_FILE_BYTES, MAX_VALUES, SettingsFile
from idp.settings.model import (
    DEFAULT_REGIONS,
    ENV_PREFIX,
    NESTED,
    PLACEHOLDER_ARGO_UI_URL,
    PLACEHOLDER_IMAGE_REPOSITORY,
    Settings,
    Target,
    unusable,
)
from idp.settings.sections import (
    ArtifactRepository,
    BackendOverride,
    Drift,
    EnvironmentSettings,
    Expiry,
    SecretKey,
    TerraformBackend,
)
from idp.settings.values import (
    DNS_LABEL,
    DNS_SUBDOMAIN,
    ENVIRONMENTS,
    MAX_TTL_HOURS,
    SEVERITIES,
    EnvironmentName,
    JetStreamVersion,
    is_object_name,
)

__all__ = [
    "DEFAULT_REGIONS",
    "DNS_LABEL",
    "DNS_SUBDOMAIN",
    "ENVIRONMENTS",
    "ENV_PREFIX",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_TTL_HOURS",
    "MAX_VALUES",
    "NESTED",
    "NOT_SETTINGS",
    "NOT_SETTINGS_PREFIXES",
    "PLACEHOLDER_ARGO_UI_URL",
    "PLACEHOLDER_IMAGE_REPOSITORY",
    "SEVERITIES",
    "ArtifactRepository",
    "BackendOverride",
    "Drift",
    "EnvironmentName",
    "EnvironmentSettings",
    "Expiry",
    "JetStreamVersion",
    "SecretKey",
    "Settings",
    "SettingsError",
    "Target",
    "TerraformBackend",
    "format_validation_error",
    "is_object_name",
    "load_settings",
    "setting_variables",
    "shown",
    "shown_text",
    "unusable",
    "with_catalog",
]


def load_settings(config: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Settings from defaults, an optional YAML file and the environment (`env`, os.environ by
    default); errors name the field."""
    file = SettingsFile(Settings, config) if config is not None else None  # its errors first
    sources: tuple[PydanticBaseSettingsSource, ...] = (
        EnvironmentSource(Settings, os.environ if env is None else env),
        *([file] if file else []),
    )
    try:
        return Settings(_build_sources=(sources, {}))
    except ValidationError as exc:
        raise SettingsError("; ".join(format_validation_error(exc, "settings."))) from None
    except SourceError as exc:  # checked_variables leaves the library nothing to refuse
        raise SettingsError(f"settings: {shown_text(str(exc), 300)}") from None


def with_catalog(settings: Settings, spec: str | None) -> Settings:
    """`settings` with the catalog a flag names (checked like the setting), if one does."""
    if not spec:
        return settings
    try:
        return Settings.model_validate({**settings.model_dump(), "catalog": spec})
    except ValidationError as exc:
        raise SettingsError("; ".join(format_validation_error(exc, "--catalog: "))) from None
