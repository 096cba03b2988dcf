"""A `terraform show -json` plan as the cost rules read it: each resource change's sides.

`Plan` indexes the resource changes by address (a deposed object by its address and key) and what
the configuration says a file share's storage account is. `View` is one side of one change: the
values before it, or after it with what is known only after apply (`after_unknown`); reading an
unknown value raises `Unknown`, a missing or malformed one `NotPricedError`.

Stand-ins. A `terraform_data` resource whose `input`, on the side being read, is an object holding
`stands_in_for` = an `azurerm_*` type is read as a resource of that type: the rest of `input` are
its attributes, `after_unknown.input` its unknowns. An attribute of that `input` that is itself
such an object is read as a resource of its own, addressed `<address>.input.<attribute>` (one
level deep), created, destroyed or changed as it appears, goes or differs between the sides. This
is how the stand-in Terraform modules that `idp local` runs (tests/fixtures/terraform, built-in
provider only) are priced; a real module never has it, and a `terraform_data` without it costs
nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

Side = Literal["before", "after"]
STAND_IN_TYPE = "terraform_data"
STANDS_IN_FOR = "stands_in_for"
_STOOD_IN_FOR = re.compile(r"azurerm_[a-z0-9_]{1,100}")


class Unknown(Exception):
    """A value the rule needs is known only after apply (the message is its path)."""


def item_at(container: Any, key: str | int) -> Any:
    """`container[key]` of a JSON value; None when there is no such item."""
    if isinstance(key, int):
        return container[key] if isinstance(container, list) and key < len(container) else None
    return container.get(key) if isinstance(container, Mapping) else None


def region_name(text: str) -> str:
    """An ARM region name (`westeurope`) from a location as Azure may show it (`West Europe`)."""
    return text.replace(" ", "").lower()


def _config_address(address: str) -> str:
    return re.sub(r"\[[^\]]*\]$", "", address)


@dataclass(frozen=True)
class Plan:
    """The resource changes of a plan, by address, and what its configuration says about them."""

    changes: Mapping[str, Mapping[str, Any]]
    references: Mapping[str, tuple[str, ...]]  # a share's storage account references
    region_default: str

    @classmethod
    def of(cls, document: Mapping[str, Any], region_default: str) -> Plan:
        changes: dict[str, Mapping[str, Any]] = {}
        for change in document.get("resource_changes") or []:
            if isinstance(change, Mapping) and change.get("mode", "managed") == "managed":
                changes[key(change)] = change
                changes.update((key(inner), inner) for inner in _inner_stand_ins(change))
        references: dict[str, tuple[str, ...]] = {}
        root = item_at(item_at(document, "configuration"), "root_module")
        for resource in item_at(root, "resources") or []:
            expressions = item_at(resource, "expressions")
            for attribute in ("storage_account_id", "storage_account_name"):
                found = item_at(item_at(expressions, attribute), "references")
                if isinstance(found, list):
                    address = str(item_at(resource, "address"))
                    references[address] = tuple(str(r) for r in found)
        return cls(changes, references, region_default)

    def view(self, address: str, side: Side) -> View | None:
        """`address`'s values on `side`, if it exists there."""
        change = item_at(self.changes.get(address), "change")
        actions = tuple(item_at(change, "actions") or ())
        exists = exists_before(actions) if side == "before" else exists_after(actions)
        values = item_at(change, side)
        if not exists or not isinstance(values, Mapping):
            return None
        unknown = item_at(change, "after_unknown") if side == "after" else False
        resource_type, values, unknown = read_as(
            str(item_at(self.changes[address], "type")), values, unknown
        )
        return View(address, resource_type, values, unknown, side, self)

    def type_of(self, address: str) -> str:
        """The type `address` is read as: after the change if it exists then, else before it (a
        stand-in's `stands_in_for`, else its own)."""
        return self._types.get(address) or str(item_at(self.changes.get(address), "type"))

    @cached_property
    def _types(self) -> dict[str, str]:
        types = {}
        for address in self.changes:
            views = (self.view(address, "after"), self.view(address, "before"))
            shown = next((v for v in views if v is not None), None)
            if shown is not None:
                types[address] = shown.type
        return types

    def _current(self, resource_type: str) -> list[str]:
        return [
            a
            for a, c in self.changes.items()
            if self.type_of(a) == resource_type and not c.get("deposed")
        ]

    def account_of(self, share: str) -> str | None:
        """The storage account a share is in: the one its configuration refers to, else the plan's
        only account."""
        named = {
            match.group(1)
            for reference in self.references.get(_config_address(share), ())
            if (match := re.match(r"(azurerm_storage_account\.[^.\[]+)", reference))
        }
        accounts = self._current("azurerm_storage_account")
        if named:
            accounts = [a for a in accounts if _config_address(a) in named]
        return accounts[0] if len(accounts) == 1 else None

    def shares_in(self, account: str) -> list[str]:
        """The file shares of this plan that are in `account`."""
        shares = self._current("azurerm_storage_share")
        return [s for s in shares if self.account_of(s) == account]


def stood_in_for(values: Any) -> str | None:
    """The type a stand-in's `input` (`values`) stands in for, or None when it is none."""
    found = item_at(values, STANDS_IN_FOR)
    if isinstance(found, str) and _STOOD_IN_FOR.fullmatch(found):
        return found
    return None


def read_as(resource_type: str, values: Mapping[str, Any], unknown: Any) -> tuple[str, Any, Any]:
    """The type, values and unknowns one side of a change is read as: a stand-in's (see the
    module docstring), else its own."""
    if resource_type != STAND_IN_TYPE:
        return resource_type, values, unknown
    given = item_at(values, "input")
    target = stood_in_for(given)
    if target is None:
        return resource_type, values, unknown
    inner = item_at(unknown, "input") if isinstance(unknown, Mapping) else unknown
    return target, {k: v for k, v in given.items() if k != STANDS_IN_FOR}, inner


def _inner_stand_ins(change: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The stand-ins inside a stand-in's `input`, each as a resource change of its own."""
    if change.get("type") != STAND_IN_TYPE:
        return []
    body = item_at(change, "change")
    actions = tuple(item_at(body, "actions") or ())
    if not all(isinstance(a, str) for a in actions):
        return []
    inputs = {
        side: item_at(item_at(body, side), "input") if exists(actions) else None
        for side, exists in (("before", exists_before), ("after", exists_after))
    }
    if not any(stood_in_for(given) for given in inputs.values()):
        return []  # only a stand-in holds stand-ins
    unknown = item_at(item_at(body, "after_unknown"), "input")
    names = [
        name
        for given in inputs.values()
        if isinstance(given, Mapping)
        for name, value in given.items()
        if stood_in_for(value)
    ]
    found: list[Mapping[str, Any]] = []
    for name in dict.fromkeys(names):
        before, after = (item_at(inputs[side], name) for side in ("before", "after"))
        before = before if stood_in_for(before) else None
        after = after if stood_in_for(after) else None
        inner_unknown = item_at(unknown, name) if isinstance(unknown, Mapping) else unknown
        if before is not None and after is not None:
            same = before == after and not _any_unknown(inner_unknown)
            inner_actions = ["no-op"] if actions == ("update",) and same else list(actions)
        else:
            inner_actions = ["delete"] if before is not None else ["create"]
        found.append(
            {
                "address": f"{change.get('address')}.input.{name}",
                "mode": "managed",
                "type": STAND_IN_TYPE,
                "name": str(name),
                **({"deposed": change["deposed"]} if change.get("deposed") else {}),
                "change": {
                    "actions": inner_actions,
                    "before": None if before is None else {"input": before},
                    "after": None if after is None else {"input": after},
                    "after_unknown": {"input": inner_unknown} if after is not None else {},
                },
            }
        )
    return found


def _any_unknown(mark: Any) -> bool:
    """Whether an `after_unknown` structure marks anything as known only after apply."""
    if isinstance(mark, Mapping):
        return any(_any_unknown(value) for value in mark.values())
    if isinstance(mark, list):
        return any(_any_unknown(value) for value in mark)
    return mark is True


def key(change: Mapping[str, Any]) -> str:
    """A resource change's name in the estimate: its address, and which deposed object it is."""
    address = str(change.get("address"))
    deposed = change.get("deposed")
    return f"{address} (deposed {deposed})" if deposed else address


def exists_before(actions: Sequence[str]) -> bool:
    """Whether a resource with these planned actions exists before the change."""
    return "delete" in actions or tuple(actions) in (("update",), ("no-op",))


def exists_after(actions: Sequence[str]) -> bool:
    """Whether a resource with these planned actions exists after the change."""
    return "create" in actions or tuple(actions) in (("update",), ("no-op",))


@dataclass(frozen=True)
class View:
    """One side of one resource change: its values, what is unknown in them, and its plan."""

    address: str
    type: str
    values: Mapping[str, Any]
    unknown: Any  # after_unknown: True, or a structure mirroring the values
    side: Side
    plan: Plan

    def get(self, *path: str | int) -> Any:
        """The value at `path` (None when absent); Unknown when it is known only after apply."""
        value: Any = self.values
        mark = self.unknown
        for part in path:
            mark = item_at(mark, part)
            if mark is True:
                raise Unknown(".".join(str(k) for k in path))
            value = item_at(value, part)
        return value

    def get_or(self, default: Any, *path: str | int) -> Any:
        """The value at `path`, or `default` when it is absent, null or known only after apply."""
        try:
            value = self.get(*path)
        except Unknown:
            return default
        return default if value is None else value

    def text(self, *path: str | int) -> str:
        """The string at `path`; Unknown when it is unknown, NotPricedError when it is no string."""
        value = self.get(*path)
        if not isinstance(value, str) or not value:
            raise NotPricedError(f"{'.'.join(str(k) for k in path)} is not set")
        return value

    def whole(self, *path: str | int) -> int:
        """The whole number at `path` (Unknown, or NotPricedError when it is none)."""
        value = self.get(*path)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value != int(value)
        ):
            raise NotPricedError(f"{'.'.join(str(k) for k in path)} is not a whole number")
        return int(value)

    def region(self) -> str:
        """The resource's region: its location, else the request's region."""
        location = self.get_or("", "location")
        if isinstance(location, str) and location:
            return region_name(location)
        return self.plan.region_default


class NotPricedError(Exception):
    """A rule gives up on a resource; the message is why."""
