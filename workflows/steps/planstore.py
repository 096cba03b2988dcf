"""Where a saved plan waits for its approval: beside the stack's state, never as an artifact.

A saved plan holds every value Terraform knows, sensitive ones in clear, and Terraform cannot
redact it. Argo's artifacts can be downloaded by anyone who can read the Workflow, so the plan
is not one: the plan step puts it next to the stack's state (`<kind>/<environment>/<name>
.plans/<sha256>.tfplan` in the state container, or the local state folder), which only the
workflow's identity can read, as it can read the state itself. apply takes it from there by
its sha256 and deletes it once applied; the exit handler deletes what is left of a plan that
was not applied. A plan is kept only as long as its approval needs it.

Blob storage is spoken to with its REST API (Put Blob, Get Blob, Delete Blob) and a token for
the pod's Azure identity: three calls do not need the storage SDK and its import time.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from workflows.steps.errors import StepError

BLOB_API_VERSION = "2023-11-03"
STORAGE_SCOPE = "https://storage.azure.com/.default"
TIMEOUT_SECONDS = 60.0


class PlanStore(Protocol):
    def put(self, sha256: str, source: Path) -> str: ...

    def get(self, sha256: str, target: Path) -> None: ...

    def delete(self, sha256: str) -> bool: ...


def plans_prefix(kind: str, environment: str, name: str) -> str:
    """The folder of one stack's waiting plans, beside its state key."""
    return f"{kind}/{environment}/{name}.plans"


@dataclass(frozen=True)
class LocalPlans:
    """Plans in the local state folder (`idp local`, tests)."""

    folder: Path

    def _path(self, sha256: str) -> Path:
        return self.folder / f"{sha256}.tfplan"

    def put(self, sha256: str, source: Path) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, self._path(sha256))
        return str(self._path(sha256))

    def get(self, sha256: str, target: Path) -> None:
        if not self._path(sha256).is_file():
            raise StepError(f"no saved plan {sha256} for this stack (applied, or cleaned up)")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self._path(sha256), target)

    def delete(self, sha256: str) -> bool:
        path = self._path(sha256)
        if path.is_file():
            path.unlink()
            return True
        return False


@dataclass(frozen=True)
class BlobPlans:
    """Plans as blobs in the state container, reached with the pod's Azure identity."""

    endpoint: str  # https://<account>.blob.core.windows.net
    container: str
    prefix: str
    credential: Any

    def _url(self, sha256: str) -> str:
        return f"{self.endpoint.rstrip('/')}/{self.container}/{self.prefix}/{sha256}.tfplan"

    def _request(self, method: str, sha256: str, **kwargs: Any) -> Any:
        import requests

        token = self.credential.get_token(STORAGE_SCOPE).token
        headers = {"Authorization": f"Bearer {token}", "x-ms-version": BLOB_API_VERSION}
        headers.update(kwargs.pop("headers", {}))
        try:
            return requests.request(
                method,
                self._url(sha256),
                headers=headers,
                timeout=TIMEOUT_SECONDS,
                allow_redirects=False,  # the token goes to the storage account or nowhere
                **kwargs,
            )
        except requests.RequestException as exc:
            raise StepError(f"plan store {self.endpoint}: {type(exc).__name__}") from None

    def _failed(self, what: str, response: Any) -> StepError:
        return StepError(f"plan store: {what} {self.prefix}: HTTP {response.status_code}")

    def put(self, sha256: str, source: Path) -> str:
        headers = {"x-ms-blob-type": "BlockBlob", "Content-Type": "application/octet-stream"}
        response = self._request("PUT", sha256, headers=headers, data=source.read_bytes())
        if response.status_code != 201:
            raise self._failed("saving the plan in", response)
        return self._url(sha256)

    def get(self, sha256: str, target: Path) -> None:
        response = self._request("GET", sha256)
        if response.status_code == 404:
            raise StepError(f"no saved plan {sha256} for this stack (applied, or cleaned up)")
        if response.status_code != 200:
            raise self._failed("reading the plan from", response)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(response.content)

    def delete(self, sha256: str) -> bool:
        response = self._request("DELETE", sha256)
        if response.status_code == 404:
            return False
        if response.status_code != 202:
            raise self._failed("deleting the plan in", response)
        return True
