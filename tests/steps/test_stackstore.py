"""The stack store, on a local folder and on a fake Blob service spoken to over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.blob import TOKEN, FakeBlob, fake_blob
from workflows.steps.errors import StepError
from workflows.steps.stackstore import BlobStore, LocalStore, Store, checked_name


class Credential:
    """What the pod's Azure identity hands out (azure.identity's `get_token`)."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.scopes: list[str] = []

    def get_token(self, scope: str) -> Any:
        self.scopes.append(scope)
        return type("Token", (), {"token": self.token})()


@pytest.fixture
def blob(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBlob]:
    with fake_blob(tmp_path) as fake:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.ca_bundle))
        yield fake


@pytest.fixture(params=["local", "blob"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "local":
        return LocalStore(tmp_path / "state")
    fake: FakeBlob = request.getfixturevalue("blob")
    return BlobStore(fake.url, "tfstate", Credential())


def test_what_is_put_is_got_back(store: Store) -> None:
    store.put("compute/dev/web.stack.json", b'{"a": 1}')
    assert store.get("compute/dev/web.stack.json") == b'{"a": 1}'


def test_a_missing_name_reads_as_none(store: Store) -> None:
    assert store.get("compute/dev/none.stack.json") is None


def test_delete_says_whether_there_was_something(store: Store) -> None:
    store.put("compute/dev/web.stack.json", b"x")
    assert store.delete("compute/dev/web.stack.json") is True
    assert store.delete("compute/dev/web.stack.json") is False
    assert store.get("compute/dev/web.stack.json") is None


def test_names_lists_what_starts_with_the_prefix(store: Store) -> None:
    for name in ("compute/dev/a.stack.json", "compute/dev/b.tfstate", "compute/prod/c.stack.json"):
        store.put(name, b"x")
    assert store.names("compute/dev/") == ["compute/dev/a.stack.json", "compute/dev/b.tfstate"]


def test_a_listing_of_many_pages_is_read_to_its_end(blob: FakeBlob) -> None:
    blob.page_size = 2
    store = BlobStore(blob.url, "tfstate", Credential())
    for n in range(5):
        store.put(f"storage/dev/s{n}.stack.json", b"x")
    assert store.names("storage/dev/") == [f"storage/dev/s{n}.stack.json" for n in range(5)]
    assert sum("comp=list" in path for _, path in blob.requests) == 3


def test_the_token_is_asked_for_the_storage_scope(blob: FakeBlob) -> None:
    credential = Credential()
    BlobStore(blob.url, "tfstate", credential).get("x")
    assert credential.scopes == ["https://storage.azure.com/.default"]


def test_a_refused_token_is_a_step_error_naming_the_blob(blob: FakeBlob) -> None:
    with pytest.raises(StepError, match=r"writing tfstate/compute/dev/web.stack.json: HTTP 403"):
        BlobStore(blob.url, "tfstate", Credential("wrong")).put("compute/dev/web.stack.json", b"x")


def test_a_redirect_is_not_followed(blob: FakeBlob) -> None:
    blob.statuses = [307]
    blob.redirect_to = f"{blob.url}/tfstate/elsewhere"
    with pytest.raises(StepError, match=r"reading tfstate/x: HTTP 307"):
        BlobStore(blob.url, "tfstate", Credential()).get("x")
    assert [path for _, path in blob.requests] == ["/tfstate/x"]  # nothing sent to the Location


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "a/../../b", "", "a\\b"])
def test_a_name_outside_the_store_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="must be a relative path"):
        checked_name(name)


def test_a_local_write_is_whole_or_not_at_all(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put("compute/dev/web.stack.json", b"first")
    store.put("compute/dev/web.stack.json", b"second")
    assert sorted(p.name for p in (tmp_path / "compute" / "dev").iterdir()) == ["web.stack.json"]
