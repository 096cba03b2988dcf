"""Resource kinds this installation adds to the built-in three, one module each.

`idp new-kind NAME` writes `idp/kinds/NAME.py` (a request model named by `MODEL`) with its
Terraform module. `CATALOG` holds the built-in kinds and every module here; select it with the
setting `catalog: idp.kinds:CATALOG` (or `--catalog idp.kinds:CATALOG`), which the step pods
receive too. The modules live inside the `idp` package so that the image carries them.
"""

from __future__ import annotations

import importlib
import pkgutil

from idp.catalog import DEFAULT_CATALOG, Catalog
from idp.contract import RequestBase


def _added() -> dict[str, type[RequestBase]]:
    found: dict[str, type[RequestBase]] = {}
    for module in pkgutil.iter_modules(__path__):
        model = getattr(importlib.import_module(f"{__name__}.{module.name}"), "MODEL", None)
        if isinstance(model, type) and issubclass(model, RequestBase):
            found[model.kind] = model
    return found


CATALOG: Catalog = {**DEFAULT_CATALOG, **_added()}
