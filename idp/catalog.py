"""The catalog: which resource kinds exist, each with its request model.

A catalog is a mapping of kind name to request model. The default one holds the three kinds of
the contract; the `catalog` setting or `--catalog module:attribute` (any command) loads another,
and the step pods load the same one from their settings (the benchmark uses that to compile a
synthetic catalog of many kinds; `idp.kinds:CATALOG` holds the kinds `idp new-kind` adds).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from idp.contract import REQUEST_MODELS, RequestBase

Catalog = Mapping[str, type[RequestBase]]

DEFAULT_CATALOG: Catalog = {model.kind: model for model in REQUEST_MODELS}


class CatalogError(ValueError):
    """An unknown kind or a catalog that cannot be loaded."""


def model_for(kind: str, catalog: Catalog = DEFAULT_CATALOG) -> type[RequestBase]:
    """The request model of `kind`, or a CatalogError naming the known kinds."""
    try:
        return catalog[kind]
    except KeyError:
        known = ", ".join(sorted(catalog))
        raise CatalogError(f"kind: unknown kind {kind!r}; known kinds: {known}") from None


def load_catalog(spec: str) -> Catalog:
    """Import `module:attribute`, which must be a mapping of kind name to request model."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise CatalogError(f"catalog: {spec!r} must look like 'module:attribute'")
    try:
        found: Any = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise CatalogError(f"catalog: cannot load {spec!r} ({exc})") from exc
    if not isinstance(found, Mapping) or not all(
        isinstance(m, type) and issubclass(m, RequestBase) for m in found.values()
    ):
        raise CatalogError(f"catalog: {spec!r} is not a mapping of kind to request model")
    return found


def catalog_for(spec: str) -> Catalog:
    """The catalog a `catalog` setting names; empty: the built-in one."""
    return load_catalog(spec) if spec else DEFAULT_CATALOG


def argument_defaults(model: type[RequestBase]) -> dict[str, str | None]:
    """Every request field in model order, with its default as an Argo string (None: required).

    Workflow arguments, sensor parameters and their positions all derive from this order.
    """
    defaults: dict[str, str | None] = {}
    for name, field in model.model_fields.items():
        if field.is_required():
            defaults[name] = None
        elif field.default is None:
            defaults[name] = ""
        else:
            defaults[name] = str(field.default)
    return defaults
