"""PyYAML writing manifests as `idp.yamlwriter` does: the reference the writer is held to.

Block style, key order as built, no aliases, no line folding, multi-line strings as literal
blocks, and the one-letter words `y` and `n` quoted (YAML 1.1 readers such as kubectl take them
for booleans, though PyYAML's resolver does not). The compile benchmark times it beside the
writer (benchmarks/bench_compile.py).
"""

from __future__ import annotations

from typing import Any

import yaml

_Base: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_YAML11_LETTERS = frozenset({"y", "Y", "n", "N"})


class _Dumper(_Base):  # type: ignore[misc, valid-type]
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _string(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else ("'" if text in _YAML11_LETTERS else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _string)


def pyyaml_dump(document: Any) -> str:
    text: str = yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1_000_000,
    )
    return text
