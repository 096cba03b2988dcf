"""`stacks` against the stack stores of the environments (the azurerm backend: a fake Blob
service over HTTPS), one of which cannot be reached: the others are still listed, the one that
failed is named in one line, and the step exits 1 after writing OUT/stacks, as `expire` does."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator

import pytest

from tests.fakes.blob import TOKEN, FakeBlob, fake_blob
from tests.steps.conftest import Steps

# A stand-in for the Azure CLI: `az account get-access-token` prints the fake account's token.
AZ = f"""#!/bin/sh
printf '{{"accessToken": "{TOKEN}", "expires_on": %s}}\\n' "$(($(date +%s) + 3600))"
"""
UNREACHABLE = "https://127.0.0.1:1"  # nothing listens there: the connection is refused


@pytest.fixture
def blob(steps: Steps) -> Iterator[FakeBlob]:
    """The fake account, the backend of every environment but prod, whose is unreachable."""
    with fake_blob(steps.tmp) as fake:
        bin_dir = steps.tmp / "bin"
        bin_dir.mkdir()
        (bin_dir / "az").write_text(AZ)
        (bin_dir / "az").chmod(stat.S_IRWXU)
        prod = {"prod": {"terraform_backend": {"blob_endpoint": UNREACHABLE}}}
        steps.env.update(
            {
                "PATH": f"{bin_dir}:{steps.env['PATH']}",
                "REQUESTS_CA_BUNDLE": str(fake.ca_bundle),
                "IDP_AZURE_AUTH": "azure-cli",
                "IDP_TERRAFORM_BACKEND__BLOB_ENDPOINT": fake.url,
                "IDP_ENVIRONMENTS": json.dumps(prod),
            }
        )
        yield fake


def test_an_unreachable_store_stops_only_its_own_environments_listing(
    steps: Steps, blob: FakeBlob
) -> None:
    for environment in ("dev", "staging"):
        blob.blobs[("tfstate", f"compute/{environment}/web.stack.json")] = b"{}"
    out = steps.tmp / "out"
    result = steps.run("stacks", "--kind", "compute", "--out", str(out))
    assert json.loads((out / "stacks").read_text()) == [
        {"environment": "dev", "name": "web"},
        {"environment": "staging", "name": "web"},
    ]
    assert result.stderr.splitlines() == [
        f"stacks: compute/prod/*.stack.json: blob store {UNREACHABLE}: ConnectionError",
        "stacks: the registry of prod could not be listed; the other environments' stacks are "
        "listed for their checks",
    ]
    assert result.returncode == 1
