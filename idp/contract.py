"""The request contract (version 1): one pydantic model per kind, the common fields shared.

This is the only place the contract is written. The webhook filters, the sensors' parameter
mapping, the WorkflowTemplates' arguments, `idp schema`, `idp validate` and the validate step
all derive from these models; the Terraform variables are checked against them by a test.

A body is read by the webhook's rules first (`idp.jsontext`: UTF-8, Go's JSON syntax, at most
`max_bytes` when given), then by the contract's own: at most `MAX_DEPTH` levels of nesting,
every field once, field names written plainly (the Sensor's filters match them as written),
and no `null` anywhere: an optional field is left out for its default, never set to null.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, Literal, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from idp.jsontext import JsonTextError, decode_utf8, scan
from idp.settings import (
    DEFAULT_REGIONS,
    MAX_TTL_HOURS,
    EnvironmentName,
    Expiry,
    format_validation_error,
)

CONTRACT_VERSION = 1
MAX_STRING = 256
REQUEST_ID_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,34}[a-z0-9])?$"
LONGEST_REQUEST_ID = 36  # what REQUEST_ID_PATTERN matches at most: a Workflow's name holds it
NAME_PATTERN = r"^[a-z][a-z0-9-]{1,22}[a-z0-9]$"
EMAIL_PATTERN = r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
VM_SIZE_PATTERN = r"^Standard_[A-Za-z0-9_]{2,40}$"
DB_SKU_PATTERN = r"^[A-Za-z0-9_]{1,40}$"
MAX_DEPTH = 32  # a request is one flat object; deeper text never reaches Python's json
# Refused in every string of a request, as written: Argo's templating (`{{`, `}}`: a parameter
# is substituted into the Workflow's text) and `$` (a pod's environment takes request values,
# and Kubernetes expands `$(VAR)` in an env value against the container's other variables, the
# platform's Secret among them; `$$` becomes `$`). The Sensor's filters are built from these.
FORBIDDEN_MARKS = ("{{", "}}", "$")
_FORBIDDEN = re.compile(
    "|".join(re.escape(mark) for mark in FORBIDDEN_MARKS) + r"|[\x00-\x1f\x7f\ufffd]"
)
_LONGEST_INT = 4000  # digits; Python's int() refuses more than 4300


class RequestError(ValueError):
    """A request that breaks the contract; `problems` holds one line per bad field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _no_templating(value: str) -> str:
    if _FORBIDDEN.search(value):
        raise ValueError(
            "must not contain '{{' or '}}' (Argo templating), '$' (Kubernetes expands $(VAR) "
            "in a pod's environment), control characters or U+FFFD (a mis-decoded character)"
        )
    return value


def _printable(value: str) -> str:
    if not value.isprintable() or not value.strip():
        raise ValueError("must be printable characters, not only spaces")
    return value


# Constraints come before the validators, so that they show in the JSON Schema.
_NoTemplating = AfterValidator(_no_templating)
_Printable = AfterValidator(_printable)
SafeStr = Annotated[str, Field(max_length=MAX_STRING), _NoTemplating]
RequestId = Annotated[str, Field(pattern=REQUEST_ID_PATTERN, max_length=MAX_STRING), _NoTemplating]
StackName = Annotated[str, Field(pattern=NAME_PATTERN, max_length=MAX_STRING), _NoTemplating]
Email = Annotated[str, Field(pattern=EMAIL_PATTERN, max_length=MAX_STRING), _NoTemplating]
PersonName = Annotated[str, Field(min_length=1, max_length=100), _NoTemplating, _Printable]
VmSize = Annotated[str, Field(pattern=VM_SIZE_PATTERN, max_length=MAX_STRING), _NoTemplating]
DbSku = Annotated[str, Field(pattern=DB_SKU_PATTERN, max_length=MAX_STRING), _NoTemplating]
Environment = EnvironmentName  # the settings name the environments; a request names one
# What a request asks for: provision (the default) or destroy a stack, or preview what a
# provision would change (planned, priced and checked; nothing saved, locked or asked).
Action = Literal["provision", "destroy", "preview"]
PREVIEW: Action = "preview"


class RequestBase(BaseModel):
    """Fields every kind takes. Subclasses set `kind` and narrow `resource_type`."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    kind: ClassVar[str]

    request_id: RequestId = Field(description="Idempotency key; a lowercase UUID fits")
    name: StackName = Field(description="Stem of every Azure name")
    environment: Environment
    region: SafeStr = Field(description="One of the platform's allowed Azure regions")
    cloud_provider: Literal["azure"] = "azure"
    resource_type: str
    requester_name: PersonName
    requester_email: Email
    action: Action = "provision"
    ttl_hours: Annotated[int, Field(ge=0, le=MAX_TTL_HOURS)] = Field(
        0,
        description="Hours after its apply that the stack expires and is destroyed; 0 (the "
        "default) never; at most the environment's max_ttl_hours",
    )

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null: leave the field out for its default")
        return value

    @field_validator("ttl_hours")
    @classmethod
    def _ttl_allowed(cls, value: int, info: ValidationInfo) -> int:
        environment = info.data.get("environment")
        if value == 0 or not isinstance(environment, str):
            return value
        most = max_ttl_hours(info.context).get(environment)
        if most is None:
            raise ValueError(f"stacks in {environment} do not expire: leave ttl_hours out (or 0)")
        if value > most:
            raise ValueError(f"must be at most {most} in {environment} (settings.expiry)")
        return value

    @field_validator("region")
    @classmethod
    def _region_allowed(cls, value: str, info: ValidationInfo) -> str:
        allowed = allowed_regions(info.context)
        if value not in allowed:
            raise ValueError(f"must be one of the allowed regions: {', '.join(allowed)}")
        return value


class ComputeRequest(RequestBase):
    """An AKS cluster or a Linux VM."""

    kind: ClassVar[str] = "compute"
    resource_type: Literal["kubernetes", "vm"]
    node_count: Annotated[int, Field(ge=1, le=100)] = 1
    vm_size: VmSize = "Standard_D2s_v5"


class StorageRequest(RequestBase):
    """A storage account with a blob container or a file share."""

    kind: ClassVar[str] = "storage"
    resource_type: Literal["blob", "fileshare"]
    sku: Literal["Standard_LRS", "Standard_GRS", "Standard_ZRS", "Premium_LRS"] = "Standard_LRS"
    quota_gb: Annotated[int, Field(ge=1, le=5120)] = 100


class DatabaseRequest(RequestBase):
    """A PostgreSQL flexible server, a Cosmos DB account or a Redis cache."""

    kind: ClassVar[str] = "database"
    resource_type: Literal["postgresql", "cosmosdb", "redis"]
    sku: DbSku | None = Field(
        None, description="Left out (an empty argument) for the default of the resource type"
    )
    storage_gb: Annotated[int, Field(ge=32, le=16384)] = 32


@dataclass(frozen=True)
class FieldRule:
    """What the contract requires of one field, read from its model's metadata (cheaper than
    building its JSON Schema, and the same constraints: a test compares the two). The Sensor's
    filters are derived from these."""

    type: Literal["string", "integer"]
    required: bool
    default: str | int | None = None  # None: required, or left out (no value at all)
    pattern: str | None = None
    choices: tuple[str, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    no_templating: bool = False  # no '{{', '}}', '$', control characters or U+FFFD
    printable: bool = False  # printable characters, not only spaces


def _metadata(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any]]:
    """The field's type without `| None` and `Annotated`, and all its constraint objects."""
    members = [arg for arg in get_args(annotation) if arg is not type(None)]
    if len(members) == 1 and len(members) < len(get_args(annotation)):  # X | None
        annotation = members[0]
    if get_origin(annotation) is Annotated:
        annotation, *extra = get_args(annotation)
        for item in extra:
            metadata = [*metadata, *getattr(item, "metadata", []), item]
    return annotation, metadata


@functools.cache
def field_rules(model: type[RequestBase]) -> Mapping[str, FieldRule]:
    """The rule of every field of `model`, in model order (read once per model: compile, the
    filters and the schema each ask for every kind's)."""
    rules = {}
    for name, info in model.model_fields.items():
        annotation, metadata = _metadata(info.annotation, list(info.metadata))
        found: dict[str, Any] = {"required": info.is_required()}
        if not info.is_required():
            found["default"] = info.get_default(call_default_factory=True)
        if get_origin(annotation) is Literal:
            found.update(type="string", choices=tuple(str(v) for v in get_args(annotation)))
        elif annotation in (str, int):
            found["type"] = "string" if annotation is str else "integer"
        else:
            raise ValueError(f"{model.__name__}.{name}: the Sensor cannot filter {annotation!r}")
        for item in metadata:
            for attribute, key in _CONSTRAINTS.items():
                if getattr(item, attribute, None) is not None:
                    found[key] = getattr(item, attribute)
            func = getattr(item, "func", None)
            found["no_templating"] = found.get("no_templating") or func is _no_templating
            found["printable"] = found.get("printable") or func is _printable
        rules[name] = FieldRule(**found)
    return MappingProxyType(rules)


_CONSTRAINTS = {
    "pattern": "pattern",
    "min_length": "min_length",
    "max_length": "max_length",
    "ge": "minimum",
    "le": "maximum",
}


REQUEST_MODELS: tuple[type[RequestBase], ...] = (ComputeRequest, StorageRequest, DatabaseRequest)


def takes_preview(model: type[RequestBase]) -> bool:
    """Whether the kind's `action` takes `preview` (every kind of the contract does; a catalog
    may narrow it): only then does the kind have a preview template and a Sensor route to it."""
    return PREVIEW in field_rules(model)["action"].choices


def allowed_regions(context: object) -> tuple[str, ...]:
    """The regions in a validation context (`{"allowed_regions": ...}`), else the defaults."""
    if isinstance(context, Mapping) and context.get("allowed_regions"):
        return tuple(context["allowed_regions"])
    return DEFAULT_REGIONS


def max_ttl_hours(context: object) -> Mapping[str, int]:
    """Each environment's largest ttl_hours in a validation context, else the defaults."""
    if isinstance(context, Mapping) and isinstance(context.get("max_ttl_hours"), Mapping):
        return dict(context["max_ttl_hours"])
    return Expiry().ttl_limits


@dataclass(frozen=True)
class Decoded:
    """A JSON body read by the rules above: its value (the first of duplicate keys kept, as the
    Sensor's gjson reads them), the keys given more than once, and keys written with escapes."""

    data: Any
    duplicates: tuple[str, ...] = ()
    escaped_keys: tuple[str, ...] = ()


def _int(digits: str) -> int | float:
    # a longer integer is out of every range; as a float it fails the strict int check
    return int(digits) if len(digits) <= _LONGEST_INT else float(digits)


def _within(size: int, max_bytes: int | None) -> None:
    if max_bytes is not None and size > max_bytes:
        raise RequestError(
            [f"(request): larger than the webhook's maxPayloadSize of {max_bytes} bytes"]
        )


def decode_json(payload: str | bytes, max_bytes: int | None = None) -> Decoded:
    """Read a body by the webhook's rules and the depth bound; RequestError names the rule.

    `max_bytes` is the webhook's `maxPayloadSize`: a body longer than that never becomes an
    event. Duplicate keys and escaped names are reported, not refused (see `parse_request`).
    """
    if isinstance(payload, bytes):
        _within(len(payload), max_bytes)
        try:
            text = decode_utf8(payload)
        except JsonTextError as exc:
            raise RequestError([f"(request): {exc}"]) from None
    else:
        _within(len(payload.encode("utf-8", "surrogatepass")), max_bytes)
        text = payload
    try:
        scanned = scan(text)
    except JsonTextError as exc:
        raise RequestError([f"(request): not valid JSON: {exc}"]) from None
    if scanned.depth > MAX_DEPTH:
        raise RequestError(
            [f"(request): nested {scanned.depth} levels deep; a request is one flat JSON object"]
        )
    duplicates: list[str] = []

    def first_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        members: dict[str, Any] = {}
        for key, value in pairs:
            if key in members:
                duplicates.append(key)
            else:
                members[key] = value
        return members

    data = json.loads(text, object_pairs_hook=first_wins, parse_int=_int)
    return Decoded(data, tuple(dict.fromkeys(duplicates)), scanned.escaped_keys)


def parse_request(
    model: type[RequestBase],
    payload: str | bytes,
    regions: tuple[str, ...] = DEFAULT_REGIONS,
    *,
    max_bytes: int | None = None,
    max_ttl_hours: Mapping[str, int] | None = None,
) -> RequestBase:
    """Parse a JSON body into `model`, or raise RequestError with one line per problem."""
    decoded = decode_json(payload, max_bytes)
    problems = [
        f"{name}: given more than once; each field may appear only once"
        for name in decoded.duplicates
    ]
    problems += [
        f"{json.loads(raw)}: the field name is written with escapes ({raw}); write field names "
        "plainly (the Sensor's filters match them as written)"
        for raw in decoded.escaped_keys
    ]
    if problems:
        raise RequestError(problems)
    return validate_request(model, decoded.data, regions, max_ttl_hours=max_ttl_hours)


def validate_request(
    model: type[RequestBase],
    data: Any,
    regions: tuple[str, ...] = DEFAULT_REGIONS,
    *,
    max_ttl_hours: Mapping[str, int] | None = None,
) -> RequestBase:
    """Validate already-decoded JSON; a non-object is reported as such."""
    if not isinstance(data, dict):
        raise RequestError([f"(request): must be a JSON object, got {type(data).__name__}"])
    context: dict[str, Any] = {"allowed_regions": regions}
    if max_ttl_hours is not None:
        context["max_ttl_hours"] = max_ttl_hours
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise RequestError(format_validation_error(exc)) from exc


def request_schema(model: type[RequestBase], regions: tuple[str, ...]) -> dict[str, Any]:
    """The JSON Schema of a kind's request, with the allowed regions as an enum."""
    schema = model.model_json_schema()
    for prop in schema["properties"].values():  # null is refused (`_not_null`): not offered
        choices = [c for c in prop.pop("anyOf", []) if c != {"type": "null"}]
        if len(choices) == 1:
            prop.update(choices[0])
        elif choices:
            prop["anyOf"] = choices
        if prop.get("default", "") is None:
            del prop["default"]
    schema["properties"]["region"]["enum"] = list(regions)
    schema["$id"] = f"urn:idp:request:{model.kind}:v{CONTRACT_VERSION}"
    schema["additionalProperties"] = False
    return schema
