"""Backstage Software Templates for the kinds, and the proxy configuration they POST through.

A kind's template (`scaffolder.backstage.io/v1beta3`) is its request contract as a form: the
request's JSON Schema (`idp schema`) split into pages, with the platform's allowed values as
enums. Its one step POSTs the request to the kind's webhook endpoint through Backstage's proxy
with the `http:backstage:request` action of `@roadiehq/scaffolder-backend-module-http-request`;
the webhook's bearer token lives in the proxy's configuration (`proxy_snippet`), read from an
environment variable, and never in a template. The task's output links to the run in the Argo
UI.

Choices the scaffolder dictates (its NunjucksWorkflowRunner):
- `request_id` is the scaffolder task's id, `${{ context.task.id }}`: a fresh lowercase UUID for
  every task, so each run of the form is its own request, and no form field can repeat one.
- The requester is what the developer types on the "Who" page; left empty, the signed-in user's
  catalog entity (`${{ user.entity }}`) supplies it. No built-in form field can fill a field in
  from the signed-in user, so the fallback happens in the step. When neither gives a value the
  step is skipped and the output says why: the webhook would accept the body and the Sensor
  drop it without a word.
- A preview is the developer's choice of `action`, the default when the contract has it. Steps
  run one after another without waiting for a person, so a preview step followed by a request
  step would start the real request before anyone read the preview; the developer runs the
  template for the preview, reads it, and runs it again ("Start Over" keeps the answers) to
  make the request.
- A value that renders to nothing (an optional field left empty) is left out of the body, as
  the contract wants; numbers stay numbers (a whole-string `${{ }}` keeps its type).
"""

from __future__ import annotations

import errno
import sys
from pathlib import Path
from typing import Any

from idp.argo.status import ui_link
from idp.catalog import Catalog
from idp.contract import PREVIEW, RequestBase, field_rules, request_schema, takes_preview
from idp.errors import EXIT_USAGE, CommandError
from idp.manifests import Manifest, to_yaml
from idp.pipeline import endpoint, preview_name_prefix, workflow_name_prefix
from idp.settings import PLACEHOLDER_ARGO_UI_URL, Settings

API_VERSION = "scaffolder.backstage.io/v1beta3"
ACTION = "http:backstage:request"  # @roadiehq/scaffolder-backend-module-http-request
PROXY_ENDPOINT = "idp-webhook"  # the route under Backstage's /api/proxy
TOKEN_VARIABLE = "IDP_WEBHOOK_TOKEN"  # noqa: S105 - the name of a variable, not a secret
FOLDER = "backstage"  # where `idp compile` writes them: not listed in kustomization.yaml
PROXY_FILE = "app-config.idp.yaml"
LOCATION_FILE = "catalog-info.yaml"
STEP = "request"
TASK_ID = "context.task.id"

_GENERATED = ("request_id",)
_WHERE = ("name", "environment", "region", "ttl_hours")
_WHO = ("requester_name", "requester_email")
_RUN = ("action",)
# What stands in for a requester field left empty: the signed-in user's catalog entity.
_PROFILE = {
    "requester_name": ("user.entity.spec.profile.displayName", "user.entity.metadata.name"),
    "requester_email": ("user.entity.spec.profile.email",),
}
_MEANING = {
    PREVIEW: "runs validate, preflight, plan, policy and cost and changes nothing",
    "provision": "creates or changes the stack once an approver says yes",
    "destroy": "removes the stack once an approver says yes",
}


def expression(text: str) -> str:
    """`text` as a scaffolder template expression."""
    return "${{ " + text + " }}"


def template_name(kind: str) -> str:
    """The Template entity's name."""
    return f"idp-{kind}"


def file_name(kind: str) -> str:
    """The file `idp compile` writes a kind's template to, inside FOLDER."""
    return f"template-{kind}.yaml"


def actions(model: type[RequestBase]) -> tuple[str, ...]:
    """The actions the contract allows, preview first when it is one of them."""
    allowed = field_rules(model)["action"].choices
    return tuple(sorted(allowed, key=lambda action: action != PREVIEW))


def requester(name: str) -> str:
    """The expression of a requester field: the form's value, else the signed-in user's."""
    return " or ".join((f"parameters.{name}", *_PROFILE[name]))


def requester_missing() -> str:
    """An expression that is true when a requester field has no value, false otherwise (a
    condition that renders to nothing would count as no condition at all)."""
    return " or ".join(f"not ({requester(name)})" for name in _WHO)


def body(model: type[RequestBase]) -> dict[str, Any]:
    """The request the step POSTs, one template expression (or constant) per field."""
    fields = _form_names(model)
    found: dict[str, Any] = {}
    for name, rule in field_rules(model).items():
        if name in _GENERATED:
            found[name] = expression(TASK_ID)
        elif name in _WHO:
            found[name] = expression(requester(name))
        elif name in fields:
            found[name] = expression(f"parameters.{name}")
        elif rule.required:  # a field with one allowed value and no default: that value
            found[name] = rule.choices[0]
    return found


def parameters(model: type[RequestBase], settings: Settings) -> list[dict[str, Any]]:
    """The form: the request's JSON Schema split into pages (What, Where, Who, Run)."""
    schema = request_schema(model, settings.allowed_regions)
    fields = _form_fields(model, schema)
    required = set(schema.get("required", [])) - set(_WHO)
    choices = actions(model)
    placed = (*_WHERE, *_WHO, *_RUN)
    groups = {
        "What": (
            f"{_first_line(model)} What to create.",
            [n for n in fields if n not in placed],
        ),
        "Where": ("Its name, and where and for how long it lives.", _present(_WHERE, fields)),
        "Who": (
            "Who asks for it. Left empty, each is taken from your Backstage profile (the "
            "catalog entity you are signed in as).",
            _present(_WHO, fields),
        ),
        "Run": (
            "Preview the request first: its plan, policy findings and cost, changing nothing."
            if PREVIEW in choices
            else "What the platform does with the request.",
            _present(_RUN, fields),
        ),
    }
    pages = []
    for title, (description, names) in groups.items():
        if not names:
            continue
        properties = {name: fields[name] for name in names}
        page: dict[str, Any] = {"title": title, "description": description}
        page_required = [name for name in names if name in required or name in _RUN]
        if page_required:
            page["required"] = page_required
        page["properties"] = properties
        if title == "Where" and {"environment", "ttl_hours"} <= set(names):
            page["allOf"] = _ttl_limits(fields["environment"], settings)
        pages.append(page)
    return pages


def template(model: type[RequestBase], settings: Settings) -> Manifest:
    """The kind's Software Template."""
    kind = model.kind
    return {
        "apiVersion": API_VERSION,
        "kind": "Template",
        "metadata": {
            "name": template_name(kind),
            "title": f"{kind.capitalize()} on Azure",
            "description": f"{_first_line(model)} Provisioned by the idp platform after approval.",
            "tags": ["idp", "azure", kind],
        },
        "spec": {
            "type": "resource",
            "parameters": parameters(model, settings),
            "steps": [
                {
                    "id": STEP,
                    "name": f"Send the {kind} request to the platform",
                    "action": ACTION,
                    "if": expression(f"not ({requester_missing()})"),
                    "input": {
                        "method": "POST",
                        "path": f"/proxy/{PROXY_ENDPOINT}{endpoint(kind)}",
                        "headers": {"content-type": "application/json"},
                        "body": body(model),
                    },
                }
            ],
            "output": _output(model, settings),
        },
    }


def proxy_snippet(settings: Settings) -> dict[str, Any]:
    """The `app-config.yaml` proxy endpoint the templates POST through: the webhook's bearer
    token comes from an environment variable of Backstage's backend, never from a file."""
    return {
        "proxy": {
            "endpoints": {
                f"/{PROXY_ENDPOINT}": {
                    "target": settings.webhook_url,
                    "allowedMethods": ["POST"],
                    "headers": {"Authorization": f"Bearer ${{{TOKEN_VARIABLE}}}"},
                }
            }
        }
    }


def location(catalog: Catalog) -> Manifest:
    """A catalog Location that registers every kind's template at once."""
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {
            "name": "idp-templates",
            "description": "Software Templates of the idp platform, one per resource kind",
        },
        "spec": {"targets": [f"./{file_name(kind)}" for kind in catalog]},
    }


def compiled_files(settings: Settings, catalog: Catalog) -> dict[str, str]:
    """What `idp compile` writes when `backstage_templates` is on: file path to YAML text."""
    files = {
        f"{FOLDER}/{file_name(kind)}": to_yaml(template(model, settings))
        for kind, model in catalog.items()
    }
    files[f"{FOLDER}/{LOCATION_FILE}"] = to_yaml(location(catalog))
    files[f"{FOLDER}/{PROXY_FILE}"] = to_yaml(proxy_snippet(settings))
    return files


def _first_line(model: type[RequestBase]) -> str:
    return (model.__doc__ or f"A {model.kind} request.").strip().splitlines()[0]


def _present(names: tuple[str, ...], fields: dict[str, Any]) -> list[str]:
    return [name for name in names if name in fields]


def _form_names(model: type[RequestBase]) -> list[str]:
    """The fields the developer fills in: all but the generated ones and those with one
    allowed value (`cloud_provider`), in model order."""
    return [
        name
        for name, rule in field_rules(model).items()
        if name not in _GENERATED and len(rule.choices) != 1
    ]


def _form_fields(model: type[RequestBase], schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The form's fields as JSON Schema properties, from the request's schema."""
    fields = {}
    for name in _form_names(model):
        prop = dict(schema["properties"][name])
        if "$ref" in prop or "anyOf" in prop:
            raise ValueError(f"{model.__name__}.{name}: the template's form cannot offer {prop}")
        if name == "action":
            prop = _action(model, prop)
        fields[name] = prop
    return fields


def _action(model: type[RequestBase], prop: dict[str, Any]) -> dict[str, Any]:
    choices = actions(model)
    meanings = "; ".join(f"{a}: {_MEANING[a]}" for a in choices if a in _MEANING)
    return {
        "title": "Preview or request" if PREVIEW in choices else "Action",
        "type": "string",
        "enum": list(choices),
        "default": choices[0] if PREVIEW in choices else prop.get("default", choices[0]),
        "description": meanings or prop.get("description", ""),
        "ui:widget": "radio",
    }


def _ttl_limits(environment: dict[str, Any], settings: Settings) -> list[dict[str, Any]]:
    """Per environment, the largest ttl_hours it allows (0 where stacks never expire)."""
    limits = settings.expiry.ttl_limits
    return [
        {
            "if": {"properties": {"environment": {"const": name}}, "required": ["environment"]},
            "then": {"properties": {"ttl_hours": {"maximum": limits.get(name, 0)}}},
        }
        for name in environment.get("enum", [])
    ]


def _output(model: type[RequestBase], settings: Settings) -> dict[str, Any]:
    """Links to the run and what happens next; each `if` renders to true or false."""
    kind = model.kind
    missing = requester_missing()
    sent = f"not ({missing})"
    links: list[dict[str, Any]] = []
    text: list[dict[str, Any]] = [
        {
            "title": "Not sent",
            "if": expression(missing),
            "content": "The request needs a requester name and e-mail: fill in the Who page, "
            "or ask for your Backstage profile to carry them, and start over.",
        }
    ]
    if takes_preview(model):
        previewed = f"{sent} and parameters.action == '{PREVIEW}'"
        links.append(
            _link("The preview in the Argo UI", preview_name_prefix(kind), previewed, settings)
        )
        text.append(
            {
                "title": "Next",
                "if": expression(previewed),
                "content": "The preview ends with a notice of what the request would change, "
                "what the policies find and what it would cost. To make the request, choose "
                "Start Over: your answers are kept; pick provision on the last page.",
            }
        )
        sent = f"{sent} and parameters.action != '{PREVIEW}'"
    links.append(_link("The run in the Argo UI", workflow_name_prefix(kind), sent, settings))
    text.append(
        {
            "title": "Next",
            "if": expression(sent),
            "content": "The run plans the change and waits for an approver, who answers in "
            "the Argo UI; a notice tells you how it ended.",
        }
    )
    return {"links": links, "text": text}


def _link(title: str, prefix: str, condition: str, settings: Settings) -> dict[str, Any]:
    """A link to the Workflow `<prefix><request_id>` in the Argo UI."""
    name = f"{prefix}{expression(TASK_ID)}"
    return {
        "title": title,
        "icon": "dashboard",
        "url": ui_link(settings.argo_ui_url, settings.namespace, name),
        "if": expression(condition),
    }


def command(
    out: str | None, snippet_file: str | None, settings: Settings, model: type[RequestBase]
) -> int:
    """`idp backstage KIND`: the template to `out` (else stdout), the proxy snippet to
    `snippet_file` (else stderr, so that stdout holds one YAML document); both or neither."""
    if out and snippet_file and Path(out).resolve() == Path(snippet_file).resolve():
        raise CommandError("--proxy-snippet: the same file as --out; name another", EXIT_USAGE)
    try:
        text = to_yaml(template(model, settings))
    except ValueError as exc:  # a request model the form cannot offer
        raise CommandError(str(exc)) from exc
    snippet = to_yaml(proxy_snippet(settings))
    if settings.argo_ui_url == PLACEHOLDER_ARGO_UI_URL:
        print(
            f"idp: note: settings.argo_ui_url: {PLACEHOLDER_ARGO_UI_URL} is the example "
            "placeholder; the template's links to the run would lead nowhere",
            file=sys.stderr,
        )
    files = {Path(p): t for p, t in ((out, text), (snippet_file, snippet)) if p}
    try:
        write(files)
    except OSError as exc:
        raise CommandError(f"{exc.filename}: {exc.strerror}") from None
    for path in files:
        print(f"wrote {path}", file=sys.stderr)
    if not out:
        sys.stdout.write(text)
    if not snippet_file:
        print(
            f"idp: add to Backstage's app-config.yaml (the backend's environment must hold "
            f"{TOKEN_VARIABLE}, the webhook's token):\n{snippet}",
            end="",
            file=sys.stderr,
        )
    return 0


def write(files: dict[Path, str]) -> None:
    """Write every file or none: each goes to a temporary sibling first, then all are renamed
    into place. An OSError carries the file that could not be written as its filename."""
    for path in files:
        if path.is_dir():
            raise OSError(errno.EISDIR, "is a folder", str(path))
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in files.items():
            temporary = path.with_name(f".{path.name}.idp-new")
            try:
                temporary.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
            staged.append((temporary, path))
        for temporary, path in staged:
            temporary.replace(path)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
