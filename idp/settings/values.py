"""The kinds of value a setting takes, each with its rule: names, ids, URLs, amounts, schedules.

Every free-form value is bounded here, so nothing compiles into an object over Kubernetes'
limits; the fields in `idp.settings.model` and `idp.settings.sections` only pick one.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, Field

from idp.compat import jetstream_problem

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"
Name = Annotated[str, Field(pattern=DNS_SUBDOMAIN)]


def is_object_name(text: str) -> bool:
    """True for a Kubernetes object name (DNS-1123 subdomain, at most 253 characters)."""
    return len(text) <= 253 and re.fullmatch(DNS_SUBDOMAIN, text) is not None


Label = Annotated[str, Field(pattern=DNS_LABEL)]
_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
Guid = Annotated[str, Field(pattern=f"^{_GUID}$")]
OptionalGuid = Annotated[str, Field(pattern=f"^({_GUID})?$")]
_HOST_LABEL = r"[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?"
OptionalHost = Annotated[
    str, Field(pattern=rf"^({_HOST_LABEL}(\.{_HOST_LABEL})*)?$", max_length=253)
]
EMAIL = r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,63}"
OptionalEmail = Annotated[str, Field(pattern=f"^({EMAIL})?$", max_length=254)]
Url = Annotated[str, Field(pattern=r"^(https?://[^\s{}]+)?$", max_length=2048)]
ResourceGroup = Annotated[str, Field(pattern=r"^[-A-Za-z0-9_.()]{0,89}[-A-Za-z0-9_()]$")]
StorageAccount = Annotated[str, Field(pattern=r"^[a-z0-9]{3,24}$")]
BlobContainer = Annotated[str, Field(pattern=r"^[a-z0-9](-?[a-z0-9]){2,62}$")]
BlobEndpoint = Annotated[
    str, Field(pattern=r"^(https://[A-Za-z0-9.-]+(:[0-9]{1,5})?)?$", max_length=256)
]
CatalogSpec = Annotated[
    str, Field(pattern=r"^([A-Za-z_][A-Za-z0-9_.]{0,199}:[A-Za-z_][A-Za-z0-9_]{0,99})?$")
]
MAX_APPROVERS = 50
TEN_YEARS = 10 * 365 * 86400

EnvironmentName = Literal["dev", "test", "staging", "prod"]  # the contract's environments
ENVIRONMENTS: tuple[str, ...] = get_args(EnvironmentName)
# checkov's severities, lowest first; NONE: no severity stops a run (listed checks still do).
SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
BlockingSeverity = Literal["LOW", "MEDIUM", "HIGH", "CRITICAL", "NONE"]
CheckId = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")]


def _supported_jetstream(version: str) -> str:
    problem = jetstream_problem(version)
    if problem:
        raise ValueError(problem)
    return version


JetStreamVersion = Annotated[str, AfterValidator(_supported_jetstream)]


def _cost_or_none(value: Any) -> Any:
    """An empty value (an unset IDP_* variable) is no limit; a boolean is not an amount."""
    if value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("must be an amount in US dollars, not a boolean")
    return value


# US dollars a month: a positive finite number, or None for no limit.
MonthlyCost = Annotated[
    Annotated[float, Field(gt=0, allow_inf_nan=False)] | None, BeforeValidator(_cost_or_none)
]

# A cron schedule as the cron controller reads it: five fields (robfig/cron's standard parser)
# or a descriptor such as @daily.
CronSchedule = Annotated[
    str,
    Field(pattern=r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\S+ ){4}\S+)$"),
    Field(max_length=100),
]
MAX_TTL_HOURS = 8760  # a year: the most any environment may allow (the contract's bound)
TtlHours = Annotated[int, Field(ge=1, le=MAX_TTL_HOURS)]
