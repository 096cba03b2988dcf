"""Which Azure meters each resource type of a plan is billed by, and how much of each a month.

A rule reads one side of a resource change (the values before it, or after it) and answers:
`Free` (the type costs nothing by itself), `NotPriced` (why a plan cannot price it: billed by use,
a value known only after apply, a SKU the rule cannot read), or a list of `Part`s, each a question
to the price service, which of the answered meters applies, and how many hours, months or GB-months
a month it is billed for. Product, SKU and meter names are the Retail Prices API's own; they, the
managed disk sizes and the node counts are written here and nowhere else. A type without a rule is
not priced (never counted as nothing).

The types are those the platform's modules create (terraform/compute, storage, database) and the
free ones around them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from workflows.steps.cost.plan import NotPricedError, Unknown, View, item_at
from workflows.steps.cost.prices import Basis, Price

HOURS_PER_MONTH = 730

FREE: Mapping[str, str] = {
    "azurerm_resource_group": "resource groups cost nothing",
    "azurerm_virtual_network": "virtual networks cost nothing (peering and gateways would)",
    "azurerm_subnet": "subnets cost nothing",
    "azurerm_network_security_group": "network security groups cost nothing",
    "azurerm_subnet_network_security_group_association": "associations cost nothing",
    "azurerm_network_interface": "network interfaces cost nothing",
    "azurerm_storage_container": "containers cost nothing; what they hold is billed to the account",
    "azurerm_role_assignment": "role assignments cost nothing",
    "azurerm_user_assigned_identity": "managed identities cost nothing",
    "azurerm_federated_identity_credential": "federated credentials cost nothing",
    "tls_private_key": "not an Azure resource",
    "random_password": "not an Azure resource",
    "random_string": "not an Azure resource",
    "random_id": "not an Azure resource",
    "terraform_data": "not an Azure resource",
    "null_resource": "not an Azure resource",
    "time_sleep": "not an Azure resource",
}


@dataclass(frozen=True)
class Free:
    """The resource costs nothing by itself; `why` says so."""

    why: str


@dataclass(frozen=True)
class NotPriced:
    """The resource cannot be priced from the plan; `why` says why."""

    why: str


@dataclass(frozen=True)
class Part:
    """`quantity` (instances, or GB for gb-month) of the meter that `pick` chooses among those
    `filters` finds; `what` names it in the estimate and `note` states an assumption."""

    what: str
    filters: tuple[tuple[str, str], ...]
    basis: Basis
    quantity: float
    pick: Callable[[Price], bool] = field(compare=False)
    note: str = ""

    @property
    def region(self) -> str:
        return dict(self.filters).get("armRegionName", "")


Outcome = list[Part] | Free | NotPriced


def _filters(service: str, region: str, **more: str) -> tuple[tuple[str, str], ...]:
    return (
        ("serviceName", service),
        ("armRegionName", region),
        *more.items(),
        ("priceType", "Consumption"),
    )


# -- virtual machines and their disks

_NOT_PAY_AS_YOU_GO = re.compile(r".*(Spot|Low Priority|Expired|Free)$")


def _linux_compute(size: str, region: str, count: int, what: str, note: str = "") -> Part:
    """`count` Linux VMs of `size`, pay as you go (not Windows, Spot or Low Priority)."""

    def pick(price: Price) -> bool:
        return (
            re.fullmatch(r"Virtual Machines .+ Series", price.product) is not None
            and not _NOT_PAY_AS_YOU_GO.match(price.sku)
            and not _NOT_PAY_AS_YOU_GO.match(price.meter)
        )

    return Part(
        what=f"{what}: {count} x {size} (Linux)",
        filters=_filters("Virtual Machines", region, armSkuName=size),
        basis="hour",
        quantity=count,
        pick=pick,
        note=note,
    )


# Managed disk sizes (GiB) by performance tier; a disk is billed as the smallest that holds it.
DISK_TIERS: Mapping[str, tuple[tuple[str, int], ...]] = {
    "Standard": (
        ("S4", 32), ("S6", 64), ("S10", 128), ("S15", 256), ("S20", 512), ("S30", 1024),
        ("S40", 2048), ("S50", 4096), ("S60", 8192), ("S70", 16384), ("S80", 32767),
    ),
    "StandardSSD": (
        ("E1", 4), ("E2", 8), ("E3", 16), ("E4", 32), ("E6", 64), ("E10", 128), ("E15", 256),
        ("E20", 512), ("E30", 1024), ("E40", 2048), ("E50", 4096), ("E60", 8192),
        ("E70", 16384), ("E80", 32767),
    ),
    "Premium": (
        ("P1", 4), ("P2", 8), ("P3", 16), ("P4", 32), ("P6", 64), ("P10", 128), ("P15", 256),
        ("P20", 512), ("P30", 1024), ("P40", 2048), ("P50", 4096), ("P60", 8192),
        ("P70", 16384), ("P80", 32767),
    ),
}  # fmt: skip
DISK_PRODUCTS: Mapping[str, str] = {
    "Standard": "Standard HDD Managed Disks",
    "StandardSSD": "Standard SSD Managed Disks",
    "Premium": "Premium SSD Managed Disks",
}


def _disk(
    storage_type: str, size_gb: int, region: str, count: int, what: str, *, note: str
) -> Part:
    kind, _, redundancy = storage_type.partition("_")
    tiers = DISK_TIERS.get(kind)
    if tiers is None or redundancy not in ("LRS", "ZRS"):
        raise NotPricedError(f"{what}: disk type {storage_type} has no price rule")
    tier = next((name for name, size in tiers if size >= size_gb), None)
    if tier is None:
        raise NotPricedError(f"{what}: {size_gb} GiB is larger than any {kind} disk")
    sku = f"{tier} {redundancy}"
    meter = re.compile(rf"{tier}( {redundancy})? Disks?")
    return Part(
        what=f"{what}: {count} x {sku} ({size_gb} GiB)",
        filters=_filters("Storage", region, productName=DISK_PRODUCTS[kind], skuName=sku),
        basis="month",
        quantity=count,
        pick=lambda price: meter.fullmatch(price.meter) is not None,
        note=note,
    )


def premium_storage(size: str) -> bool:
    """Whether a VM size can use premium disks: an `s` among its features (D2s_v5, B2ms) or an
    S series (DS2_v2)."""
    match = re.fullmatch(r"Standard_([A-Z]+)(\d+)([a-z]*)(_.*)?", size)
    return match is not None and ("s" in match.group(3) or match.group(1).endswith("S"))


VM_OS_DISK_GB = 30  # the size of the usual Linux images' OS disk, when the plan does not say
AKS_OS_DISK_GB = 128  # AKS's default managed OS disk


def _linux_vm(view: View) -> Outcome:
    region = view.region()
    size = view.text("size")
    parts = [_linux_compute(size, region, 1, "compute")]
    given = view.get_or(None, "os_disk", 0, "disk_size_gb")
    note = (
        "" if given else f"OS disk size not in the plan: {VM_OS_DISK_GB} GiB (the image's) assumed"
    )
    storage = view.text("os_disk", 0, "storage_account_type")
    parts.append(_disk(storage, int(given or VM_OS_DISK_GB), region, 1, "OS disk", note=note))
    return parts


def _node_pool(pool: View, path: tuple[str | int, ...], region: str) -> list[Part]:
    size = pool.text(*path, "vm_size")
    count = pool.get(*path, "node_count")
    autoscaled = bool(pool.get_or(False, *path, "auto_scaling_enabled")) or bool(
        pool.get_or(False, *path, "enable_auto_scaling")
    )
    note = ""
    if count is None or autoscaled:
        count = pool.whole(*path, "min_count")
        note = f"autoscaled: priced at its min_count, {count} nodes"
    else:
        count = pool.whole(*path, "node_count")
    parts = [_linux_compute(size, region, count, "nodes", note)]
    if str(pool.get_or("Managed", *path, "os_disk_type")) == "Managed":
        given = pool.get_or(None, *path, "os_disk_size_gb")
        storage = "Premium_LRS" if premium_storage(size) else "StandardSSD_LRS"
        disk_note = (
            "" if given else f"OS disk size not in the plan: AKS's {AKS_OS_DISK_GB} GiB assumed"
        )
        parts.append(
            _disk(
                storage,
                int(given or AKS_OS_DISK_GB),
                region,
                count,
                "node OS disks",
                note=disk_note,
            )
        )
    return parts


def _aks(view: View) -> Outcome:
    region = view.region()
    parts: list[Part] = []
    tier = view.get_or("Free", "sku_tier")
    if tier != "Free":
        parts.append(
            Part(
                what=f"control plane: {tier} tier",
                filters=_filters("Azure Kubernetes Service", region, skuName=str(tier)),
                basis="hour",
                quantity=1,
                pick=lambda price: True,
            )
        )
    return parts + _node_pool(view, ("default_node_pool", 0), region)


def _aks_pool(view: View) -> Outcome:
    # A node pool names no location: it is in its cluster's, the request's region.
    return _node_pool(view, (), view.plan.region_default)


# -- storage


def _storage_account(view: View) -> Outcome:
    shares = view.plan.shares_in(view.address)
    if shares:
        return Free(f"billed through its file share ({', '.join(shares)})")
    return NotPriced(
        "billed by use (data stored, operations, transfer); the request sets no capacity"
    )


_SHARE_TIERS = {"TransactionOptimized": "Standard", "Hot": "Hot", "Cool": "Cool"}


def _storage_share(view: View) -> Outcome:
    address = view.plan.account_of(view.address)
    account = view.plan.view(address, view.side) if address else None
    if account is None:
        return NotPriced("cannot tell which storage account of the plan holds the share")
    region = account.region()
    redundancy = account.text("account_replication_type")
    quota = view.whole("quota")
    access = view.get_or("TransactionOptimized", "access_tier")
    if access == "Premium" or account.get_or("", "account_tier") == "Premium":
        return [
            Part(
                what=f"provisioned capacity: {quota} GiB, Premium {redundancy}",
                filters=_filters(
                    "Storage", region, productName="Premium Files", skuName=f"Premium {redundancy}"
                ),
                basis="gb-month",
                quantity=quota,
                pick=lambda price: price.meter.endswith("Provisioned"),
            )
        ]
    tier = _SHARE_TIERS.get(str(access))
    if tier is None:
        return NotPriced(f"access tier {access} has no price rule")
    return [
        Part(
            what=f"data stored: {quota} GiB, {tier} {redundancy}",
            filters=_filters(
                "Storage", region, productName="Files v2", skuName=f"{tier} {redundancy}"
            ),
            basis="gb-month",
            quantity=quota,
            pick=lambda price: price.meter.endswith("Data Stored") and price.tier_minimum == 0,
            note="priced as if full: a standard share bills the GiB it holds, up to its quota",
        )
    ]


# -- databases

_POSTGRES_TIERS = {"B": "Burstable", "GP": "General Purpose", "MO": "Memory Optimized"}
_POSTGRES_SKU = re.compile(r"(B|GP|MO)_Standard_([A-Z]+)(\d+)([a-z]*)(?:_(v\d+))?")
POSTGRES_SERVICE = "Azure Database for PostgreSQL"
POSTGRES_PRODUCT = "Azure Database for PostgreSQL Flexible Server"


def _postgresql(view: View) -> Outcome:
    region = view.region()
    sku = view.text("sku_name")
    match = _POSTGRES_SKU.fullmatch(sku)
    if match is None:
        return NotPriced(f"sku_name {sku} is not a flexible server SKU the rule can read")
    tier, family, cores, features, version = match.groups()
    instance = f"{family}{cores}{features}"
    if tier == "B":
        sku_name, series, meters = instance, "BS", {instance, f"{instance} vCore"}
    else:
        sku_name, series, meters = f"{cores} vCore", f"{family}{features}{version or ''}", {"vCore"}
    product = re.compile(
        rf"{POSTGRES_PRODUCT} {_POSTGRES_TIERS[tier]} (- )?{series} Series Compute", re.IGNORECASE
    )
    servers = 2 if view.get_or([], "high_availability") else 1
    parts = [
        Part(
            what=f"compute: {sku}" + (" with a standby (high availability)" if servers > 1 else ""),
            filters=_filters(POSTGRES_SERVICE, region, skuName=sku_name),
            basis="hour",
            quantity=servers,
            pick=lambda price: (
                product.fullmatch(price.product) is not None and price.meter in meters
            ),
        )
    ]
    storage_gb = view.whole("storage_mb") / 1024
    parts.append(
        Part(
            what=f"storage: {storage_gb:g} GiB",
            filters=_filters(
                POSTGRES_SERVICE, region, productName="Az DB for PostgreSQL Flexible Server Storage"
            ),
            basis="gb-month",
            quantity=storage_gb,
            pick=lambda price: price.meter == "Storage Data Stored",
            note="backup storage up to the server's size is included; more is billed by use",
        )
    )
    return parts


def _cosmosdb(view: View) -> Outcome:
    capabilities = view.get_or([], "capabilities")
    names = {item_at(c, "name") for c in capabilities} if isinstance(capabilities, list) else set()
    if "EnableServerless" in names:
        return NotPriced("billed by use (serverless: request units and GB stored)")
    return NotPriced(
        "billed by the throughput of its databases and containers, none of which this plan "
        "creates, and by GB stored"
    )


def _redis(view: View) -> Outcome:
    region = view.region()
    tier = view.text("sku_name")
    sku = f"{view.text('family')}{view.whole('capacity')}"
    if tier == "Basic":
        nodes = 1
    elif tier == "Standard":
        nodes = 2
    else:
        replicas = int(view.get_or(1, "replicas_per_master"))
        nodes = (1 + replicas) * max(1, int(view.get_or(1, "shard_count")))
    return [
        Part(
            what=f"cache: {tier} {sku}, {nodes} node{'s' if nodes > 1 else ''}",
            filters=_filters(
                "Redis Cache", region, productName=f"Azure Redis Cache {tier}", skuName=sku
            ),
            basis="hour",
            quantity=nodes,
            pick=lambda price: price.meter == f"{sku} Cache",
            note="" if nodes == 1 else "billed per node: a primary and its replicas",
        )
    ]


RULES: Mapping[str, Callable[[View], Outcome]] = {
    "azurerm_linux_virtual_machine": _linux_vm,
    "azurerm_kubernetes_cluster": _aks,
    "azurerm_kubernetes_cluster_node_pool": _aks_pool,
    "azurerm_storage_account": _storage_account,
    "azurerm_storage_share": _storage_share,
    "azurerm_postgresql_flexible_server": _postgresql,
    "azurerm_cosmosdb_account": _cosmosdb,
    "azurerm_redis_cache": _redis,
}


def outcome(view: View) -> Outcome:
    """What `view`'s type is billed by on its side, or why it is free or cannot be priced."""
    if view.type in FREE:
        return Free(FREE[view.type])
    rule = RULES.get(view.type)
    if rule is None:
        return NotPriced(f"no price rule for {view.type}")
    try:
        return rule(view)
    except Unknown as exc:
        return NotPriced(f"{exc} is known only after apply")
    except NotPricedError as exc:
        return NotPriced(str(exc))
