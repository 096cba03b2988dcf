"""The settings file (`--config`): small UTF-8 YAML made of JSON values, as a pydantic-settings
source.

pydantic-settings' own `YamlConfigSettingsSource` is not used: it reads with PyYAML's
`safe_load`, which keeps the last of a key given twice, reads a file of any size, expands
aliases without bound, takes dates, sets and binary data, and skips a missing file silently.
`SettingsFile` refuses each of these, naming the file and the key: at most 1 MiB of UTF-8,
mappings with string keys, lists, strings, numbers, booleans and null, at most 10,000 values
after expanding aliases, nested at most 20 deep, every key once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from idp.settings.errors import KeyGivenTwice, SettingsError, shown, shown_text

MAX_FILE_BYTES = 1 << 20
MAX_VALUES = 10_000
MAX_DEPTH = 20


class SettingsFile(PydanticBaseSettingsSource):
    """The values of the settings file at `path`, read (and refused) when the source is made."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls)
        self.values = read_settings_file(path)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: the file is read whole (`__call__`), not field by field."""
        return self.values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return self.values


def _plain(value: Any, where: str, budget: list[int], depth: int = 0) -> Any:
    """`value` if it is made of JSON values only; a bounded walk, even through YAML aliases."""
    budget[0] -= 1
    if budget[0] < 0:
        raise SettingsError(
            f"more than {MAX_VALUES} values (after expanding YAML aliases); "
            "a settings file holds a few dozen"
        )
    if depth > MAX_DEPTH:
        raise SettingsError(f"{where}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise SettingsError(
                    f"{where}: key {shown(key)} is a {type(key).__name__}, not a string"
                )
            _plain(item, f"{where}.{key}" if where else key, budget, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _plain(item, f"{where}[{index}]", budget, depth + 1)
    elif not (value is None or isinstance(value, str | bool | int | float)):
        kind = {"set": "a YAML set (!!set): use a list", "bytes": "binary data (!!binary)"}.get(
            type(value).__name__, f"a {type(value).__name__} (quote it to make it a string)"
        )
        raise SettingsError(f"{where or '(top)'}: {kind}; settings take JSON values only")
    return value


def _unique_keys_loader() -> type[Any]:
    """PyYAML's SafeLoader, refusing a mapping that gives a key twice (PyYAML keeps the last).
    A merge (`<<: *base`) may still be overridden by the mapping's own keys."""
    import yaml  # noqa: PLC0415  (heavy: PyYAML, 10 ms; only a settings file needs it)

    class UniqueKeys(yaml.SafeLoader):
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            lines: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                    key_node, yaml.ScalarNode
                ):
                    continue
                key = self.construct_object(key_node)
                line = key_node.start_mark.line + 1
                if key in lines:
                    raise KeyGivenTwice(key, f"lines {lines[key]} and {line}")
                lines[key] = line
            return super().construct_mapping(node, deep)

    return UniqueKeys


def read_settings_file(config: Path) -> dict[str, Any]:
    """The settings in the file at `config`; `SettingsError` naming the file and the rule."""
    import yaml  # noqa: PLC0415  (heavy: PyYAML, 10 ms; only a settings file needs it)

    where = f"settings file {config}"
    try:
        with config.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SettingsError(f"{where}: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise SettingsError(f"{where}: larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{where}: not UTF-8 text (byte {exc.start})") from None
    try:
        loaded = yaml.load(text, Loader=_unique_keys_loader())  # noqa: S506 - a SafeLoader
    except KeyGivenTwice as twice:
        raise SettingsError(
            f"{where}: the key {shown(twice.key)} is given twice ({twice.where}); each setting "
            "may appear only once (as in a request body)"
        ) from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"{where}: not valid YAML ({shown_text(str(exc), 200)})") from None
    except RecursionError:
        raise SettingsError(f"{where}: nested too deeply") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise SettingsError(f"{where}: must be a mapping of setting names")
    try:
        return dict(_plain(loaded, "", [MAX_VALUES]))
    except SettingsError as exc:
        raise SettingsError(f"{where}: {exc}") from None
