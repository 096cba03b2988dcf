"""The Azure Retail Prices API, asked within bounds and each question once a run.

`RetailPrices.items(filters)` answers the meters whose fields equal `filters` (an OData `$filter`
of `eq` terms joined by `and`), following `NextPageLink` from page to page. The API is public
and needs no key; `api-version` 2023-01-01-preview, whose filter values are case-sensitive. Prices
are retail, in US dollars (the API's default currency).

Everything is bounded: one deadline for all questions of a run, counted from the first; at most
`max_pages` pages per question and `max_page_bytes` per page; no redirect is followed, and a next
page must be on the same endpoint. The service being unreachable, slow, answering an HTTP error,
something that is not JSON, not in the API's shape, a price that is not a finite non-negative
number, an item that does not match the question, or more pages than the bound, all raise
`PriceServiceError` naming which; after one, every later question raises it at once. A question
answered before is answered again from memory.
"""

from __future__ import annotations

import functools
import json
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import urlsplit

from workflows.steps.bounded import bounded

if TYPE_CHECKING:
    import requests

PRICES_URL = "https://prices.azure.com/api/retail/prices"
API_VERSION = "2023-01-01-preview"
CURRENCY = "USD"
DEADLINE_SECONDS = 10.0
MAX_PAGES = 10
MAX_PAGE_BYTES = 2 * 1024 * 1024
MAX_FILTER_VALUE = 128
MAX_PRICE = 1e9  # dollars per unit: more than any meter's (a reservation's whole term included)
Basis = Literal["hour", "month", "gb-month"]
# The filter fields a question may use, and the item field each one matches.
FILTER_FIELDS: Mapping[str, str] = {
    "serviceName": "serviceName",
    "armRegionName": "armRegionName",
    "armSkuName": "armSkuName",
    "productName": "productName",
    "skuName": "skuName",
    "meterName": "meterName",
    "priceType": "type",  # filtered as priceType, answered as type
}
_TEXT_FIELDS = (
    "currencyCode",
    "unitOfMeasure",
    "serviceName",
    "productName",
    "skuName",
    "meterName",
    "armRegionName",
    "armSkuName",
    "type",
)
# "1 Hour", "100 Hours", "1/Month", "1 GB/Month", "1 GiB/Month"; other units are not used.
_UNIT = re.compile(r"([1-9]\d*(?:\.\d+)?) ?(Hours?|/Month|GB/Month|GiB/Month)")
_BASES: Mapping[str, Basis] = {
    "Hour": "hour",
    "Hours": "hour",
    "/Month": "month",
    "GB/Month": "gb-month",
    "GiB/Month": "gb-month",
}


class PriceServiceError(Exception):
    """The price service gave no usable answer: unreachable, slow or nonsense (the message)."""


@dataclass(frozen=True)
class Price:
    """One meter of an answer: the fields the estimate reads."""

    service: str
    product: str
    sku: str
    arm_sku: str
    meter: str
    region: str
    type: str
    unit: str  # unitOfMeasure as answered
    retail: float  # retailPrice, per `unit`
    tier_minimum: float = 0.0  # tierMinimumUnits: the price holds from this quantity on
    effective: str = ""  # effectiveStartDate

    @property
    def basis(self) -> Basis | None:
        """What one unit is: an hour, a month, or a GB for a month (None for other units)."""
        match = _UNIT.fullmatch(self.unit)
        return _BASES[match.group(2)] if match else None

    @property
    def per_unit(self) -> float:
        """The price of one hour, month or GB-month (`unit` may count several)."""
        match = _UNIT.fullmatch(self.unit)
        return self.retail / float(match.group(1)) if match else self.retail

    def field(self, name: str) -> str:
        """The value of an item field that FILTER_FIELDS names."""
        return {
            "serviceName": self.service,
            "armRegionName": self.region,
            "armSkuName": self.arm_sku,
            "productName": self.product,
            "skuName": self.sku,
            "meterName": self.meter,
            "type": self.type,
        }[name]


class PriceSource(Protocol):
    """What the estimate asks: the meters whose fields equal `filters`."""

    def items(self, filters: Mapping[str, str]) -> list[Price]: ...


def odata_filter(filters: Mapping[str, str]) -> str:
    """`filters` as an OData `$filter` (`a eq 'x' and b eq 'y'`); ValueError for a field this
    client does not ask by or a value that is too long or holds a control character."""
    terms = []
    for name, value in filters.items():
        if name not in FILTER_FIELDS:
            raise ValueError(f"price filter {name!r}: not one of {', '.join(FILTER_FIELDS)}")
        if len(value) > MAX_FILTER_VALUE or any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValueError(
                f"price filter {name}: at most {MAX_FILTER_VALUE} printable characters"
            )
        terms.append(f"{name} eq '{value.replace(chr(39), chr(39) * 2)}'")
    return " and ".join(terms)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _number(item: Mapping[str, Any], name: str, where: str, default: float | None = None) -> float:
    value = item.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PriceServiceError(
            f"{where}: {name} {str(value)[:40]!r} is not a finite non-negative number"
        )
    if value < 0:
        raise PriceServiceError(f"{where}: {name} {value} is not a finite non-negative number")
    if value > MAX_PRICE:
        raise PriceServiceError(f"{where}: {name} {value:g} is more than any price ({MAX_PRICE:g})")
    return float(value)


def _price(item: Any, where: str) -> Price:
    if not isinstance(item, dict):
        raise PriceServiceError(f"{where}: not an object")
    for name in _TEXT_FIELDS:
        if not isinstance(item.get(name), str):
            raise PriceServiceError(f"{where}: {name} is missing or not a string")
    if item["currencyCode"] != CURRENCY:
        raise PriceServiceError(
            f"{where}: currencyCode {item['currencyCode'][:10]!r}, asked for {CURRENCY}"
        )
    effective = item.get("effectiveStartDate", "")
    return Price(
        service=item["serviceName"],
        product=item["productName"],
        sku=item["skuName"],
        arm_sku=item["armSkuName"],
        meter=item["meterName"],
        region=item["armRegionName"],
        type=item["type"],
        unit=item["unitOfMeasure"],
        retail=_number(item, "retailPrice", where),
        tier_minimum=_number(item, "tierMinimumUnits", where, default=0.0),
        effective=effective if isinstance(effective, str) else "",
    )


def _endpoint(url: str) -> tuple[str, str, int | None, str]:
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port, parts.path.rstrip("/")


def parse_page(data: bytes, endpoint: str) -> tuple[list[Price], str | None]:
    """The meters of one answer and its next page's URL (None on the last page)."""
    try:
        document = json.loads(data, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise PriceServiceError("an answer that is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("Items"), list):
        raise PriceServiceError("an answer without an Items list")
    following = document.get("NextPageLink")
    if following is not None and not isinstance(following, str):
        raise PriceServiceError("an answer whose NextPageLink is not a string")
    items = [_price(item, f"item {n}") for n, item in enumerate(document["Items"])]
    if following:
        try:
            same = _endpoint(following) == _endpoint(endpoint)
        except ValueError:
            same = False
        if not same:
            raise PriceServiceError("a NextPageLink that leads away from the price service")
    return items, following or None


class RetailPrices:
    """The Retail Prices API at `url`, within the bounds given (see the module docstring)."""

    def __init__(
        self,
        url: str = PRICES_URL,
        *,
        deadline_seconds: float = DEADLINE_SECONDS,
        max_pages: int = MAX_PAGES,
        max_page_bytes: int = MAX_PAGE_BYTES,
    ) -> None:
        self.url = url
        self.deadline_seconds = deadline_seconds
        self.max_pages = max_pages
        self.max_page_bytes = max_page_bytes
        self._answers: dict[str, list[Price]] = {}
        self._ends: float | None = None
        self._failed = ""
        self._session: requests.Session | None = None

    def __enter__(self) -> RetailPrices:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections kept open between questions."""
        if self._session is not None:
            self._session.close()
            self._session = None

    def items(self, filters: Mapping[str, str]) -> list[Price]:
        """The meters whose fields equal `filters`, every page of them; PriceServiceError when
        the service gives no usable answer."""
        if self._failed:
            raise PriceServiceError(self._failed)
        query = odata_filter(filters)
        key = " and ".join(sorted(query.split(" and ")))
        if key not in self._answers:
            try:
                self._answers[key] = self._ask(query, filters)
            except PriceServiceError as exc:
                self._failed = f"the price service: {exc}"
                raise PriceServiceError(self._failed) from None
        return self._answers[key]

    def _remaining(self) -> float:
        now = time.monotonic()
        if self._ends is None:
            self._ends = now + self.deadline_seconds
        left = self._ends - now
        if left <= 0:
            raise PriceServiceError(self._too_slow())
        return left

    def _too_slow(self) -> str:
        return f"no complete answer within {self.deadline_seconds:g} s (all questions together)"

    def _ask(self, query: str, filters: Mapping[str, str]) -> list[Price]:
        found: list[Price] = []
        url: str | None = self.url
        params: dict[str, str] | None = {"api-version": API_VERSION, "$filter": query}
        pages = 0
        while url:
            if pages == self.max_pages:
                raise PriceServiceError(f"more than {self.max_pages} pages for {query}")
            pages += 1
            seconds = self._remaining()
            try:
                data = bounded(functools.partial(self._page, url, params, seconds), seconds)
            except TimeoutError:  # the deadline: bounded's, or the socket's at the same time
                raise PriceServiceError(self._too_slow()) from None
            items, url = parse_page(data, self.url)
            params = None  # a NextPageLink carries the whole query
            for price in items:
                for name, value in filters.items():
                    got = price.field(FILTER_FIELDS[name])
                    if got != value:
                        raise PriceServiceError(
                            f"an item with {name} {got[:60]!r} answering {name} {value!r}"
                        )
            found += items
        return found

    def _page(self, url: str, params: Mapping[str, str] | None, seconds: float) -> bytes:
        # heavy (requests 35 ms, urllib3 with it): only a cost estimate that asks for prices
        import requests  # noqa: PLC0415
        import urllib3  # noqa: PLC0415

        if self._session is None:
            self._session = requests.Session()
        try:
            response = self._session.get(
                url,
                params=params,
                headers={"Accept": "application/json"},
                timeout=seconds,
                allow_redirects=False,
                stream=True,
            )
            with response:
                if response.status_code != 200:
                    raise PriceServiceError(f"HTTP {response.status_code}")
                data = response.raw.read(self.max_page_bytes + 1, decode_content=True)
        except (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError):
            raise TimeoutError("the socket timed out") from None  # the deadline, reached first
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise PriceServiceError(f"unreachable ({type(exc).__name__})") from None
        if len(data) > self.max_page_bytes:
            raise PriceServiceError(f"a page over {self.max_page_bytes} bytes")
        return bytes(data)
