"""Files kept beside the stacks' Terraform state: saved plans, the stack registry, the state.

Each environment's stacks live in one place: the blob container of its Terraform backend, or,
for `idp local` and tests, a local state folder. Everything the steps keep there is named
under the stack's state key (`<kind>/<environment>/<name>.tfstate`): `<...>.plans/<sha256>.tfplan`
(a plan waiting for its approval), `<...>.stack.json` (the registry entry). Only the workflow's
identity can read the container, as it can read the state itself.

Blob storage is spoken to with its REST API (Put Blob, Get Blob, Delete Blob, List Blobs) and a
token for the pod's Azure identity; four calls do not need the storage SDK and its import time.
No call follows a redirect: the token goes to the storage account or nowhere.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from idp.text import printable
from workflows.steps.errors import StepError

BLOB_API_VERSION = "2023-11-03"
STORAGE_SCOPE = "https://storage.azure.com/.default"
TIMEOUT_SECONDS = 60.0
MAX_LISTED = 10_000  # names one listing returns at most (a bound, not a page size)
MAX_BLOB_BYTES = 512 * 1024 * 1024
MAX_LIST_PAGE_BYTES = 16 * 1024 * 1024


class TooLarge(StepError):
    """A file over the bound its reader set; the message names it and the bound."""

    def __init__(self, name: str, limit: int) -> None:
        super().__init__(f"{name}: over {limit} bytes")


class Store(Protocol):
    """Named files; names are relative POSIX paths such as `compute/dev/web.stack.json`.

    `get` reads at most `limit` bytes of a file and raises TooLarge for a longer one, so a
    reader that expects something small never holds more than it expects."""

    def put(self, name: str, data: bytes) -> str: ...

    def get(self, name: str, limit: int = MAX_BLOB_BYTES) -> bytes | None: ...

    def delete(self, name: str) -> bool: ...

    def names(self, prefix: str) -> list[str]: ...


def checked_name(name: str) -> str:
    """`name` if it is a plain relative path under the store; ValueError otherwise."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or "\\" in name:
        raise ValueError(f"store name {name!r}: must be a relative path without '..'")
    return name


@dataclass(frozen=True)
class LocalStore:
    """Files under a local folder (the state folder of `idp local` and of the tests)."""

    root: Path

    def _path(self, name: str) -> Path:
        return self.root / checked_name(name)

    def put(self, name: str, data: bytes) -> str:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(data)
        partial.replace(path)  # whole or not at all
        return str(path)

    def get(self, name: str, limit: int = MAX_BLOB_BYTES) -> bytes | None:
        path = self._path(name)
        if not path.is_file():
            return None
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise TooLarge(name, limit)
        return data

    def delete(self, name: str) -> bool:
        path = self._path(name)
        if path.is_file():
            path.unlink()
            return True
        return False

    def names(self, prefix: str) -> list[str]:
        if self.root.exists() and not self.root.is_dir():
            raise StepError(f"state folder {self.root}: not a folder")
        base = self._path(prefix.rstrip("/")) if prefix.strip("/") else self.root
        folder = base if base.is_dir() else base.parent
        if not folder.is_dir():
            return []
        found = []
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(self.root).as_posix()
            if path.is_file() and name.startswith(prefix) and not name.endswith(".partial"):
                found.append(name)
                if len(found) >= MAX_LISTED:
                    break
        return found


@dataclass(frozen=True)
class BlobStore:
    """Blobs in a container, reached with the pod's Azure identity (a `get_token` credential)."""

    endpoint: str  # https://<account>.blob.core.windows.net
    container: str
    credential: Any

    def _url(self, name: str = "") -> str:
        base = f"{self.endpoint.rstrip('/')}/{self.container}"
        return f"{base}/{checked_name(name)}" if name else base

    def _request(self, method: str, url: str, **kwargs: Any) -> Any:
        # heavy (requests, 35 ms): only a step using the azurerm backend's blob store needs it
        import requests  # noqa: PLC0415

        try:
            token = self.credential.get_token(STORAGE_SCOPE).token
        except Exception as exc:  # the SDK's: ClientAuthenticationError, ValueError, ...
            raise StepError(
                f"blob store {self.endpoint}: no token for the pod's identity "
                f"({type(exc).__name__}: {_first_line(exc)})"
            ) from None
        headers = {"Authorization": f"Bearer {token}", "x-ms-version": BLOB_API_VERSION}
        headers.update(kwargs.pop("headers", {}))
        try:
            return requests.request(
                method,
                url,
                headers=headers,
                timeout=TIMEOUT_SECONDS,
                allow_redirects=False,
                **kwargs,
            )
        except requests.RequestException as exc:
            raise StepError(f"blob store {self.endpoint}: {type(exc).__name__}") from None

    def _failed(self, what: str, name: str, response: Any) -> StepError:
        return StepError(f"blob store: {what} {self.container}/{name}: HTTP {response.status_code}")

    def put(self, name: str, data: bytes) -> str:
        headers = {"x-ms-blob-type": "BlockBlob", "Content-Type": "application/octet-stream"}
        response = self._request("PUT", self._url(name), headers=headers, data=data)
        if response.status_code != 201:
            raise self._failed("writing", name, response)
        return self._url(name)

    def get(self, name: str, limit: int = MAX_BLOB_BYTES) -> bytes | None:
        response = self._request("GET", self._url(name), stream=True)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._failed("reading", name, response)
        bound = min(limit, MAX_BLOB_BYTES)
        data = response.raw.read(bound + 1, decode_content=True)
        if len(data) > bound:
            raise TooLarge(f"blob store: {self.container}/{name}", bound)
        return bytes(data)

    def delete(self, name: str) -> bool:
        response = self._request("DELETE", self._url(name))
        if response.status_code == 404:
            return False
        if response.status_code != 202:
            raise self._failed("deleting", name, response)
        return True

    def names(self, prefix: str) -> list[str]:
        found: list[str] = []
        marker = ""
        while len(found) < MAX_LISTED:
            params = {"restype": "container", "comp": "list", "prefix": prefix}
            if marker:
                params["marker"] = marker
            response = self._request("GET", self._url(), params=params, stream=True)
            if response.status_code != 200:
                raise self._failed("listing", prefix + "*", response)
            page = response.raw.read(MAX_LIST_PAGE_BYTES + 1, decode_content=True)
            if len(page) > MAX_LIST_PAGE_BYTES:
                raise StepError(f"blob store: a listing of {prefix}* is over the bound")
            names, marker = parse_listing(page)
            found += names
            if not marker:
                break
        return found[:MAX_LISTED]


def _first_line(exc: Exception, limit: int = 200) -> str:
    """The first line of an exception's text, cut, with control characters escaped."""
    lines = str(exc).strip().splitlines() or [""]
    return printable(lines[0], limit)


def parse_listing(page: bytes) -> tuple[list[str], str]:
    """The blob names of one List Blobs answer and its NextMarker ('' on the last page)."""
    try:
        root = ET.fromstring(page)  # noqa: S314 - the storage account's answer, size-bounded
    except ET.ParseError as exc:
        raise StepError(f"blob store: a listing that is not XML ({exc})") from None
    names = [(n.text or "") for n in root.iterfind("./Blobs/Blob/Name")]
    return [n for n in names if n], (root.findtext("NextMarker") or "")
