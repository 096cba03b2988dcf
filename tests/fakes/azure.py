"""Azure at its network boundary: a fake Resource Manager over HTTPS and a fake `az` CLI.

The step programs talk to it exactly as to Azure: the Azure SDK with the Azure CLI's
credential (`azure_auth: azure-cli`) against `settings.azure_resource_manager`. The fake `az`
on PATH hands out a token; the fake Resource Manager checks it and answers the four calls the
steps make: the subscription's locations, a resource provider, and resource groups and
resources filtered by one tag. What exists is read from the Terraform state files the local run
writes (each `terraform_data` whose output has an `id` and `tags` is a resource), plus what a
test adds as leftovers, minus what a test hides.
"""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from idp.settings import DEFAULT_REGIONS
from tests.fakes.server import serving
from tests.fakes.tls import certificate

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
TOKEN = "fake-arm-token"
_FILTER = re.compile(r"^tagName eq '([^']*)' and tagValue eq '([^']*)'$")
_AZ = """#!/bin/sh
# A stand-in for the Azure CLI: `az account get-access-token` prints a token.
expires=$(($(date +%s) + 3600))
printf '{"accessToken": "%s", "expires_on": %s}\\n' "TOKEN" "$expires"
"""


@dataclass
class FakeArm:
    """What the fake Resource Manager knows and was asked."""

    state_dir: Path
    url: str = ""
    ca_bundle: Path = Path()
    locations: list[str] = field(default_factory=lambda: list(DEFAULT_REGIONS))
    unregistered: set[str] = field(default_factory=set)
    leftovers: list[dict[str, Any]] = field(default_factory=list)
    hidden: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)

    def resources(self) -> list[dict[str, Any]]:
        found = list(self.leftovers)
        for path in sorted(self.state_dir.rglob("*.tfstate")) if self.state_dir.is_dir() else []:
            state = json.loads(path.read_text() or "{}")
            for resource in state.get("resources") or []:
                for instance in resource.get("instances") or []:
                    value = ((instance.get("attributes") or {}).get("output") or {}).get("value")
                    if isinstance(value, dict) and "id" in value and "tags" in value:
                        found.append({"id": value["id"], "tags": value["tags"]})
        return [r for r in found if r["id"] not in self.hidden]

    def tagged(self, query: str, groups: bool) -> list[dict[str, Any]]:
        match = _FILTER.match(query)
        if match is None:
            raise ValueError(f"unsupported $filter {query!r}")
        tag, value = match.groups()
        chosen = []
        for resource in self.resources():
            is_group = "/providers/" not in resource["id"]
            if is_group == groups and resource["tags"].get(tag) == value:
                chosen.append(
                    {
                        "id": resource["id"],
                        "name": resource["id"].rsplit("/", 1)[-1],
                        "location": "eastus",
                        "tags": resource["tags"],
                        **({} if groups else {"type": "/".join(resource["id"].split("/")[-3:-1])}),
                    }
                )
        return chosen


class _Handler(BaseHTTPRequestHandler):
    fake: FakeArm

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.fake.requests.append(f"GET {parts.path}")
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, {"error": {"code": "InvalidAuthenticationToken"}})
        if "api-version" not in query:
            return self._send(400, {"error": {"code": "MissingApiVersionParameter"}})
        prefix = f"/subscriptions/{SUBSCRIPTION}"
        path = parts.path.rstrip("/")
        if path == f"{prefix}/locations":
            return self._send(200, {"value": [{"name": n} for n in self.fake.locations]})
        if path.startswith(f"{prefix}/providers/"):
            namespace = path.rsplit("/", 1)[-1]
            state = "NotRegistered" if namespace in self.fake.unregistered else "Registered"
            return self._send(200, {"namespace": namespace, "registrationState": state})
        if path.lower() in (f"{prefix}/resourcegroups", f"{prefix}/resources"):
            groups = path.lower().endswith("resourcegroups")
            self.fake.filters.append(query.get("$filter", ""))
            return self._send(200, {"value": self.fake.tagged(query.get("$filter", ""), groups)})
        return self._send(404, {"error": {"code": "NotFound", "message": parts.path}})

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


def write_az(folder: Path) -> Path:
    """A fake `az` in `folder` (put it first on PATH)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "az"
    path.write_text(_AZ.replace("TOKEN", TOKEN))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return folder


@contextmanager
def fake_arm(state_dir: Path, tls_dir: Path) -> Iterator[FakeArm]:
    """A running fake Resource Manager on 127.0.0.1 over HTTPS."""
    cert, key = certificate(tls_dir)
    fake = FakeArm(state_dir=state_dir, ca_bundle=cert)
    handler = type("Handler", (_Handler,), {"fake": fake})
    with serving(handler, tls=(cert, key)) as url:
        fake.url = url
        yield fake
