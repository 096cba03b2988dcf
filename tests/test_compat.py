"""The supported Argo releases and the settings they allow (idp.compat)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from events.eventbus import event_bus
from idp.cli import main
from idp.compat import (
    ARGO_EVENTS,
    DEFAULT_JETSTREAM_VERSION,
    Product,
    jetstream_problem,
    jetstream_versions,
    release_range,
    tags,
)
from idp.errors import EXIT_SETTINGS
from idp.settings import Settings, SettingsError, load_settings


def test_the_supported_argo_events_releases_include_the_schema_release() -> None:
    # tests/upstream.py checks every compiled object against the v1.9.11 schema
    assert "v1.9.11" in tags(ARGO_EVENTS)
    assert release_range(ARGO_EVENTS) == "v1.9.10 to v1.9.11"


def test_the_default_jetstream_version_is_listed_by_every_supported_release() -> None:
    for release in ARGO_EVENTS.releases:
        assert DEFAULT_JETSTREAM_VERSION in release.jetstream_versions, release.tag


def test_the_compiled_event_bus_asks_for_the_default_version() -> None:
    bus = event_bus(Settings.model_validate({})).manifest()
    assert bus["spec"]["jetstream"]["version"] == DEFAULT_JETSTREAM_VERSION == "2.10.29"


def test_valid_versions_are_those_every_release_lists_except_latest() -> None:
    valid = jetstream_versions()
    assert "latest" not in valid
    for release in ARGO_EVENTS.releases:
        assert set(valid) <= set(release.jetstream_versions)


def test_a_version_only_an_older_release_listed_is_refused_naming_the_valid_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 2.10.10 is in controller-config.yaml from v1.9.2 to v1.9.9, not in v1.9.10 or v1.9.11
    monkeypatch.setenv("IDP_JETSTREAM_VERSION", "2.10.10")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "settings.jetstream_version" in message
    assert "v1.9.10 to v1.9.11" in message
    assert ", ".join(jetstream_versions()) in message


def test_latest_is_refused_although_every_release_lists_it() -> None:
    problem = jetstream_problem("latest")
    assert problem is not None
    assert "not pinned" in problem


def test_compile_refuses_an_unsupported_version(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IDP_JETSTREAM_VERSION", "2.11.0")
    assert main(["compile", "--out", str(tmp_path)]) == EXIT_SETTINGS
    assert "jetstream_version: Value error, '2.11.0' is not listed" in capsys.readouterr().err


def test_a_version_missing_from_one_supported_release_is_not_offered() -> None:
    older = ARGO_EVENTS.releases[0]
    newer = type(older)(tag="v9.9.9", jetstream_versions=("2.10.29",))
    product = Product(name="Argo Events", releases=(older, newer), source="config")
    assert jetstream_versions(product) == ("2.10.29",)
    assert jetstream_problem("2.9.16", product) is not None


def test_another_product_fits_the_same_table_shape() -> None:
    @dataclass(frozen=True)
    class OtherRelease:
        tag: str
        feature: bool

    other = Product(name="Other", releases=(OtherRelease("v1.0.0", True),), source="somewhere")
    assert tags(other) == ("v1.0.0",)
    assert release_range(other) == "v1.0.0"
