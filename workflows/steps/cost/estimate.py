"""The monthly cost of a plan's change: before it, after it, the difference, per resource.

`estimate` reads every resource change of a `terraform show -json` plan (`resource_changes[]`:
`change.actions`, `change.before`, `change.after`, `change.after_unknown`), each as `plan` reads it
(a `terraform_data` stand-in as the type it stands in for), prices each side that exists with the
resource type's rule (`rules`) and a `PriceSource`, and adds them up: a resource
created costs nothing before, one destroyed nothing after, one unchanged the same on both sides.
Hourly meters are billed 730 hours a month, capacity per GB-month; a tiered meter at its first
tier's price. A resource that cannot be priced on either side is left out of both totals and named
with why (status `partial`); one that costs nothing by itself is listed as free. When the price
service gives no usable answer, the estimate as a whole is `unknown`, with the reason. `estimate`
never raises: no run fails because of it.

`over_budget` compares the estimate after the change with a limit (`max_monthly_cost`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from workflows.steps.cost.plan import (
    NotPricedError,
    Plan,
    Side,
    exists_after,
    exists_before,
    key,
    region_name,
)
from workflows.steps.cost.prices import CURRENCY, PriceServiceError, PriceSource
from workflows.steps.cost.rules import HOURS_PER_MONTH, Free, NotPriced, Outcome, Part, outcome

MAX_RESOURCES = 1000
SHOWN_UNPRICED = 3  # named in the one-line summary; the rest are counted
SHOWN_LINES = 10  # resources listed in a notice
Status = Literal["ok", "partial", "unknown"]
STATUSES = ("ok", "partial", "unknown")
ACTIONS: Mapping[tuple[str, ...], str] = {
    ("create",): "create",
    ("update",): "update",
    ("delete",): "destroy",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
    ("no-op",): "no-op",
}


def money(amount: float) -> str:
    """`$1,234.50`."""
    return f"${round(amount, 2):,.2f}"


def signed(amount: float) -> str:
    """`+$12.00` or `-$12.00` (never `-$0.00`)."""
    cents = round(amount, 2)
    return f"{'-' if cents < 0 else '+'}{money(abs(cents))}"


def _flat(text: str, limit: int = 200) -> str:
    """`text` on one line (a plan's addresses may hold anything), cut to `limit`."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


@dataclass(frozen=True)
class Line:
    """One priced or free resource: its monthly cost before and after the change."""

    address: str
    type: str
    action: str
    before: float
    after: float
    free: bool = False
    detail: tuple[str, ...] = ()  # what was priced and how, or why it is free

    def as_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "type": self.type,
            "action": self.action,
            "before": round(self.before, 2),
            "after": round(self.after, 2),
            "free": self.free,
            "detail": list(self.detail),
        }


@dataclass(frozen=True)
class Unpriced:
    """A resource the estimate leaves out of its totals, and why."""

    address: str
    action: str
    reason: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", _flat(self.reason, 300))

    def as_dict(self) -> dict[str, Any]:
        return {"address": self.address, "action": self.action, "reason": self.reason}


@dataclass(frozen=True)
class Estimate:
    """The monthly cost of a change in US dollars; `before`/`after` are None when `unknown`."""

    status: Status
    before: float | None = None
    after: float | None = None
    lines: tuple[Line, ...] = ()
    unpriced: tuple[Unpriced, ...] = ()
    reason: str = ""
    currency: str = CURRENCY

    @property
    def delta(self) -> float | None:
        """after - before, or None when unknown."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    def as_dict(self) -> dict[str, Any]:
        """The estimate as JSON values (amounts rounded to cents)."""

        def cents(value: float | None) -> float | None:
            return None if value is None else round(value, 2)

        return {
            "status": self.status,
            "currency": self.currency,
            "hours_per_month": HOURS_PER_MONTH,
            "before": cents(self.before),
            "after": cents(self.after),
            "delta": cents(self.delta),
            "reason": self.reason,
            "resources": [line.as_dict() for line in self.lines],
            "unpriced": [item.as_dict() for item in self.unpriced],
        }

    @classmethod
    def from_dict(cls, data: Any) -> Estimate:
        """An estimate read back from `as_dict`; ValueError naming the field that is wrong."""
        return _read(data)

    def _not_priced(self, shown: int) -> str:
        named = [f"{_flat(u.address, 120)} ({u.reason})" for u in self.unpriced[:shown]]
        more = len(self.unpriced) - shown
        return ", ".join(named) + (f" and {more} more" if more > 0 else "")

    def _cost(self) -> str:
        if self.before is None or self.after is None or self.delta is None:
            return f"unknown: {self.reason}"
        return f"{signed(self.delta)}/month (from {money(self.before)} to {money(self.after)})"

    def summary(self) -> str:
        """One line, for the approval node: the difference, both totals, what is not priced."""
        text = self._cost()
        if self.status != "unknown" and self.unpriced:
            text += f"; not priced: {self._not_priced(SHOWN_UNPRICED)}"
        return text

    def notice_lines(self) -> list[str]:
        """A few lines, for a notice: the totals, the resources that cost something, and every
        resource not priced."""
        lines = [f"Cost: {self._cost()}"]
        if self.status == "unknown":
            return lines
        costly = [line for line in self.lines if line.before or line.after]
        for line in costly[:SHOWN_LINES]:
            lines.append(
                f"  {line.action} {_flat(line.address, 120)}: {money(line.before)} -> "
                f"{money(line.after)}/month"
            )
        if len(costly) > SHOWN_LINES:
            lines.append(f"  ... and {len(costly) - SHOWN_LINES} more")
        if self.unpriced:
            lines.append(f"Not priced: {self._not_priced(SHOWN_LINES)}")
        return lines


def unknown(reason: str) -> Estimate:
    """An estimate that could not be made, and why."""
    return Estimate(status="unknown", reason=_flat(reason, 300))


def over_budget(estimate: Estimate, limit: float | None) -> str | None:
    """Why the change is over `limit` (US dollars a month after it), or None. No limit, or an
    unknown estimate, is never over; a partial one is over only when what it priced is."""
    if limit is None or estimate.status == "unknown" or estimate.after is None:
        return None
    if round(estimate.after, 2) <= limit:
        return None
    reason = (
        f"the estimated monthly cost after the change, {money(estimate.after)}, is over "
        f"max_monthly_cost {money(limit)}"
    )
    if estimate.unpriced:
        count = len(estimate.unpriced)
        reason += f", and {count} resource{'s are' if count > 1 else ' is'} not priced"
    return reason


def estimate(plan_json: Mapping[str, Any], region_default: str, prices: PriceSource) -> Estimate:
    """The monthly cost of the change `plan_json` (a `terraform show -json` plan) plans; the
    request's region `region_default` prices what names no location. Never raises."""
    try:
        return _estimate(plan_json, region_name(region_default), prices)
    except PriceServiceError as exc:
        return unknown(str(exc))
    except Exception as exc:  # an estimate never fails a run; say what went wrong
        return unknown(f"the estimate failed ({type(exc).__name__}: {_flat(str(exc), 100)})")


class _NotAPlan(Exception):
    pass


def _changes(plan_json: Any) -> list[Mapping[str, Any]]:
    if not isinstance(plan_json, Mapping):
        raise _NotAPlan("not a plan: the JSON is not an object")
    changes = plan_json.get("resource_changes")
    if changes is None:  # `terraform show -json` leaves it out when nothing is planned
        changes = []
    if not isinstance(changes, list):
        raise _NotAPlan("not a plan: resource_changes is not a list")
    if len(changes) > MAX_RESOURCES:
        raise _NotAPlan(f"the plan changes more than {MAX_RESOURCES} resources")
    for index, change in enumerate(changes):
        actions = (change.get("change") or {}).get("actions") if isinstance(change, Mapping) else 0
        if (
            not isinstance(change, Mapping)
            or not isinstance(change.get("address"), str)
            or not isinstance(change.get("type"), str)
            or not isinstance(actions, list)
            or not all(isinstance(a, str) for a in actions)
        ):
            raise _NotAPlan(f"not a plan: resource_changes[{index}] is not a resource change")
    return [c for c in changes if c.get("mode", "managed") == "managed"]


def _estimate(plan_json: Mapping[str, Any], region: str, prices: PriceSource) -> Estimate:
    try:
        _changes(plan_json)
    except _NotAPlan as exc:
        return unknown(str(exc))
    plan = Plan.of(plan_json, region)
    if len(plan.changes) > MAX_RESOURCES:  # a stand-in's own stand-ins counted too
        return unknown(f"the plan changes more than {MAX_RESOURCES} resources")
    lines: list[Line] = []
    unpriced: list[Unpriced] = []
    for change in plan.changes.values():
        found = _resource(change, plan, prices)
        if isinstance(found, Line):
            lines.append(found)
        else:
            unpriced.append(found)
    return Estimate(
        status="partial" if unpriced else "ok",
        before=math.fsum(line.before for line in lines),
        after=math.fsum(line.after for line in lines),
        lines=tuple(lines),
        unpriced=tuple(unpriced),
    )


def _resource(change: Mapping[str, Any], plan: Plan, prices: PriceSource) -> Line | Unpriced:
    address = key(change)
    actions = tuple(change["change"]["actions"])
    action = ACTIONS.get(actions)
    if action is None:
        return Unpriced(
            address, "/".join(actions), f"planned action {'/'.join(actions)} not priced"
        )
    outcomes: dict[Side, Outcome | None] = {}
    sides: tuple[tuple[Side, bool], ...] = (
        ("before", exists_before(actions)),
        ("after", exists_after(actions)),
    )
    for side, exists in sides:
        view = plan.view(address, side)
        if not exists:
            outcomes[side] = None
        elif view is None:
            outcomes[side] = NotPriced(f"the plan has no values {side} the change")
        else:
            outcomes[side] = outcome(view)
    both = all(o is not None for o in outcomes.values())
    reasons = {side: o.why for side, o in outcomes.items() if isinstance(o, NotPriced)}
    if reasons:
        return Unpriced(address, action, _why(reasons, both))
    if all(o is None or isinstance(o, Free) for o in outcomes.values()):
        why = next(o.why for o in outcomes.values() if isinstance(o, Free))
        return Line(address, plan.type_of(address), action, 0.0, 0.0, free=True, detail=(why,))
    amounts: dict[Side, float] = {"before": 0.0, "after": 0.0}
    detail: tuple[str, ...] = ()
    for side, found in outcomes.items():
        if isinstance(found, list):
            try:
                amounts[side], texts = _priced(found, prices)
            except NotPricedError as exc:
                return Unpriced(address, action, _why({side: str(exc)}, both))
            detail = texts if side == "after" or not detail else detail
    return Line(
        address, plan.type_of(address), action, amounts["before"], amounts["after"], detail=detail
    )


def _why(reasons: Mapping[Side, str], both_sides: bool) -> str:
    """Why a resource is not priced; on which side, when it exists on both and they differ."""
    whys = set(reasons.values())
    if not both_sides or (len(reasons) == 2 and len(whys) == 1):
        return whys.pop()
    return "; ".join(f"{side}: {why}" for side, why in reasons.items())


def _priced(parts: list[Part], prices: PriceSource) -> tuple[float, tuple[str, ...]]:
    total = 0.0
    texts = []
    for part in parts:
        try:
            answers = prices.items(dict(part.filters))
        except ValueError as exc:  # a value from the plan that cannot be asked for
            raise NotPricedError(f"cannot ask the price service for {part.what}: {exc}") from None
        fitting = [
            p for p in answers if p.basis == part.basis and p.tier_minimum == 0 and part.pick(p)
        ]
        if not fitting:
            raise NotPricedError(f"no meter for {part.what} in {part.region}")
        chosen = max(fitting, key=lambda p: (p.effective, p.per_unit))
        rate = chosen.per_unit
        hours = HOURS_PER_MONTH if part.basis == "hour" else 1
        monthly = rate * part.quantity * hours
        total += monthly
        how = {
            "hour": f"${rate:,.4f}/hour x {HOURS_PER_MONTH} h",
            "month": f"${rate:,.2f}/month",
            "gb-month": f"${rate:,.4f}/GB-month",
        }[part.basis]
        text = f"{part.what}: {money(monthly)}/month ({part.quantity:g} x {how})"
        texts.append(text + (f"; {part.note}" if part.note else ""))
    return total, tuple(texts)


def _read(data: Any) -> Estimate:
    def need(condition: bool, where: str, rule: str) -> None:
        if not condition:
            raise ValueError(f"cost estimate: {where}: {rule}")

    def amount(value: Any, where: str, optional: bool = False) -> float | None:
        if value is None and optional:
            return None
        need(
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value),
            where,
            "must be a finite number",
        )
        return float(value)

    def text(item: Mapping[str, Any], name: str, where: str) -> str:
        value = item.get(name)
        need(isinstance(value, str), f"{where}.{name}", "must be a string")
        return str(value)

    need(isinstance(data, Mapping), "(estimate)", "must be an object")
    status = data.get("status")
    need(status in STATUSES, "status", f"must be one of {', '.join(STATUSES)}")
    known = status != "unknown"
    lines = []
    for n, item in enumerate(data.get("resources") or []):
        where = f"resources[{n}]"
        need(isinstance(item, Mapping), where, "must be an object")
        detail = item.get("detail") or []
        need(isinstance(detail, list) and all(isinstance(d, str) for d in detail), where, "detail")
        lines.append(
            Line(
                address=text(item, "address", where),
                type=text(item, "type", where),
                action=text(item, "action", where),
                before=amount(item.get("before"), f"{where}.before") or 0.0,
                after=amount(item.get("after"), f"{where}.after") or 0.0,
                free=item.get("free") is True,
                detail=tuple(detail),
            )
        )
    unpriced = []
    for n, item in enumerate(data.get("unpriced") or []):
        where = f"unpriced[{n}]"
        need(isinstance(item, Mapping), where, "must be an object")
        unpriced.append(
            Unpriced(
                text(item, "address", where),
                text(item, "action", where),
                text(item, "reason", where),
            )
        )
    reason = data.get("reason", "")
    need(isinstance(reason, str), "reason", "must be a string")
    return Estimate(
        status=status,
        before=amount(data.get("before"), "before", optional=not known),
        after=amount(data.get("after"), "after", optional=not known),
        lines=tuple(lines),
        unpriced=tuple(unpriced),
        reason=reason,
        currency=str(data.get("currency") or CURRENCY),
    )
