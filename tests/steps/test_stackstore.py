"""The stack store, on a local folder and on a fake Blob service spoken to over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.blob import TOKEN, FakeBlob, fake_blob
from workflows.steps.errors import StepError
from workflows.steps.stackstore import BlobStore, LocalStore, Store, TooLarge, checked_name


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


def test_a_file_over_the_readers_bound_is_refused_naming_it(store: Store) -> None:
    store.put("compute/dev/web.stack.json", b"x" * 1025)
    with pytest.raises(TooLarge, match=r"compute/dev/web.stack.json: over 1024 bytes"):
        store.get("compute/dev/web.stack.json", limit=1024)


def test_a_file_at_the_readers_bound_is_read_whole(store: Store) -> None:
    store.put("compute/dev/web.stack.json", b"x" * 1024)
    assert store.get("compute/dev/web.stack.json", limit=1024) == b"x" * 1024


def test_a_huge_local_file_is_refused_without_being_read(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    (tmp_path / "compute" / "dev").mkdir(parents=True)
    with (tmp_path / "compute" / "dev" / "web.stack.json").open("wb") as sparse:
        sparse.truncate(8 << 30)  # 8 GiB that take no disk, and would take no less memory
    with pytest.raises(TooLarge, match=r"over 262144 bytes"):
        store.get("compute/dev/web.stack.json", limit=256 * 1024)


def test_a_state_folder_that_is_a_file_cannot_be_listed(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("not a folder")
    with pytest.raises(StepError, match=r"state folder .*/state: not a folder"):
        LocalStore(tmp_path / "state").names("compute/dev/")


def test_a_missing_state_folder_lists_nothing(tmp_path: Path) -> None:
    assert LocalStore(tmp_path / "never-made").names("compute/dev/") == []


class Refusing:
    """A credential the pod's identity cannot get a token from (workload identity not set up)."""

    def get_token(self, scope: str) -> Any:
        raise ValueError("WorkloadIdentityCredential authentication unavailable.\nSee the guide")


def test_an_identity_without_a_token_is_one_step_error_line(blob: FakeBlob) -> None:
    with pytest.raises(StepError) as raised:
        BlobStore(blob.url, "tfstate", Refusing()).get("compute/dev/web.stack.json")
    assert raised.value.lines == [
        f"blob store {blob.url}: no token for the pod's identity "
        "(ValueError: WorkloadIdentityCredential authentication unavailable.)"
    ]
    assert blob.requests == []  # nothing was sent without a token
