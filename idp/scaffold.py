"""`idp new-kind NAME`: the files of a new resource kind, laid out like the built-in ones.

Writes, under the repository root, and never over an existing file:

- `idp/kinds/NAME.py`: the request model (the common fields, a `resource_type` and one example
  field of the kind's own), exported as `MODEL`; `idp.kinds:CATALOG` picks it up;
- `terraform/NAME/`: `terraform.tf` (copied from a built-in module: versions and the empty
  azurerm backend), `variables.tf` (generated from the model by `idp.tfvars`, as every kind's
  is), `main.tf` (a resource group with the platform's tags) and `outputs.tf` (the resource
  group's, copied);
- `examples/requests/NAME.json`: a valid request;
- `examples/expected/NAME.yaml`: the Workflow the kind's Sensor creates for that request (what
  `idp render` prints), to review and to compare with later.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

from events.objects import kind_sensor
from events.render import event_from_text, render
from idp import tfvars
from idp.catalog import DEFAULT_CATALOG
from idp.contract import RequestBase
from idp.errors import EXIT_USAGE, CommandError
from idp.manifests import to_yaml
from idp.settings import Settings

# 18 at most: `<kind>-preview-<request id of 36>` must stay within 63 characters, Argo's
# limit on a Workflow's name (`maxCharsInObjectName`)
KIND_NAME = re.compile(r"[a-z][a-z0-9]{1,17}")
TEMPLATE_KIND = "compute"  # the built-in module whose shared files are copied

MODEL = '''"""The {kind} request, scaffolded by `idp new-kind {kind}`: describe what it builds here.

Add the kind's own fields below the common ones of `RequestBase`, then regenerate
terraform/{kind}/variables.tf from them: idp tfvars --write --catalog idp.kinds:CATALOG
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from idp.contract import RequestBase


class {cls}(RequestBase):
    """A {kind}: replace with what one stack of this kind is."""

    kind: ClassVar[str] = "{kind}"
    resource_type: Literal["standard"]
    size_gb: Annotated[int, Field(ge=1, le=1024, description="Size in GiB")] = 10


MODEL = {cls}
'''

MAIN = """# Authenticates from the environment (workload identity); no credential is written here.
provider "azurerm" {{
  features {{}}

  resource_provider_registrations = "none"
}}

locals {{
  kind = "{kind}"

  tags = {{
    request_id   = var.request_id
    requester    = var.requester_email
    environment  = var.environment
    kind         = local.kind
    "managed-by" = "idp-platform"
  }}
}}

resource "azurerm_resource_group" "this" {{
  name     = "rg-${{var.name}}-${{local.kind}}-${{var.environment}}"
  location = var.region
  tags     = local.tags
}}

# The kind's resources go here, each in azurerm_resource_group.this with tags = local.tags.
"""

OUTPUTS_HEADER = """# Every `*_id` output is the full ARM id of a resource tagged with the request
# id (the verify step checks each one in Azure).

"""
_OUTPUT = re.compile(r'^output "(resource_group_\w+)" \{\n.*?\n\}\n', re.S | re.M)


EXAMPLE = {
    "request_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "name": "demo",
    "environment": "dev",
    "region": "westeurope",
    "resource_type": "standard",
    "requester_name": "Ada Lovelace",
    "requester_email": "ada@example.com",
    "size_gb": 20,
}


def files(kind: str, root: Path) -> dict[Path, str]:
    """Every file of the new kind written from a template, by path under `root` (those derived
    from its model, variables.tf and the expected YAML, are written once the model is)."""
    template = root / "terraform" / TEMPLATE_KIND
    try:
        terraform_tf = (template / "terraform.tf").read_text(encoding="utf-8")
        outputs_tf = (template / "outputs.tf").read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(
            f"--root {root}: no built-in module to copy from ({exc.strerror}); run idp new-kind "
            "in the repository's root, or pass --root",
            EXIT_USAGE,
        ) from None
    module = root / "terraform" / kind
    return {
        root / "idp" / "kinds" / f"{kind}.py": MODEL.format(
            kind=kind, cls=kind.capitalize() + "Request"
        ),
        module / "terraform.tf": terraform_tf.replace(f"{TEMPLATE_KIND}/", f"{kind}/"),
        module / "main.tf": MAIN.format(kind=kind),
        module / "outputs.tf": OUTPUTS_HEADER
        + "\n".join(m.group(0) for m in _OUTPUT.finditer(outputs_tf)),
        root / "examples" / "requests" / f"{kind}.json": json.dumps(EXAMPLE, indent=2) + "\n",
    }


def load_model(path: Path, kind: str) -> type[RequestBase]:
    """The `MODEL` of a scaffolded module file, imported from its path."""
    name = f"idp_scaffolded_{kind}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CommandError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # pydantic resolves the model's annotations in its module
    spec.loader.exec_module(module)
    model: type[RequestBase] = module.MODEL
    return model


def expected_workflow(model: type[RequestBase], settings: Settings) -> str:
    """What `idp render KIND examples/requests/KIND.json` prints for the example."""
    text = json.dumps(EXAMPLE).encode()
    return to_yaml(render(kind_sensor(model, settings), event_from_text(text)))


def new_kind(kind: str, root: Path, settings: Settings) -> list[Path]:
    """Write the new kind's files (see the module docstring); returns their paths."""
    if not KIND_NAME.fullmatch(kind):
        raise CommandError(
            f"kind {kind[:40]!r}: 2 to 18 lowercase letters and digits, starting with a letter",
            EXIT_USAGE,
        )
    if kind in DEFAULT_CATALOG:
        raise CommandError(f"kind {kind!r}: a built-in kind already has that name", EXIT_USAGE)
    init = root / "idp" / "kinds" / "__init__.py"
    if not init.exists():
        raise CommandError(
            f"--root {root}: no idp/kinds/__init__.py; run idp new-kind in the repository's "
            "root, or pass --root",
            EXIT_USAGE,
        )
    planned = files(kind, root)
    variables = root / "terraform" / kind / tfvars.FILE
    expected = root / "examples" / "expected" / f"{kind}.yaml"
    existing = [str(p) for p in [*planned, variables, expected] if p.exists()]
    if existing:
        raise CommandError(
            f"kind {kind!r}: {', '.join(existing)} already exist; nothing was written", EXIT_USAGE
        )
    for path, text in planned.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    model = load_model(root / "idp" / "kinds" / f"{kind}.py", kind)
    variables.write_text(tfvars.variables_tf(model), encoding="utf-8")
    expected.parent.mkdir(parents=True, exist_ok=True)
    expected.write_text(expected_workflow(model, settings), encoding="utf-8")
    return [*planned, variables, expected]
