"""The Azure Retail Prices API at its network boundary: a loopback HTTP server of recorded meters.

It answers `GET /api/retail/prices` as the API documents it: `api-version` is required; `$filter`
is `field eq 'value'` terms joined by `and`, matched case-sensitively (as from 2023-01-01-preview
on), `priceType` against an item's `type`; an answer is a page of at most `page_size` items
(`BillingCurrency`, `CustomerEntityId`, `CustomerEntityType`, `Items`, `NextPageLink`, `Count`)
whose `NextPageLink` asks for the rest with `$skip`; a filter it cannot read is a 400. The meters
are the recorded ones of tests/fixtures/prices/retail-prices.json: hand-written in the API's
shape, not captured from it (see the file's `_recorded`).

A test can make it slow (`delay`: seconds before each answer), answer the next requests with
other statuses (`statuses`), answer raw bytes instead of JSON (`raw`), or change its `items`;
`queries` holds the `$filter` of every first page asked for.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from tests.fakes.server import serving

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "prices" / "retail-prices.json"
PATH = "/api/retail/prices"
_TERM = re.compile(r"(\w+) eq '((?:[^']|'')*)'")
_ITEM_FIELD = {"priceType": "type"}
_KEPT = "$'"  # left unquoted in a NextPageLink, as the API leaves them


def recorded() -> list[dict[str, Any]]:
    """The recorded meters (a fresh copy)."""
    items: list[dict[str, Any]] = json.loads(RECORDED.read_text())["Items"]
    return items


@dataclass
class FakePrices:
    """What the fake price service knows, how it behaves, and what it was asked."""

    url: str = ""
    items: list[dict[str, Any]] = field(default_factory=recorded)
    page_size: int = 100
    delay: float = 0.0
    statuses: list[int] = field(default_factory=list)
    raw: bytes | None = None
    queries: list[str] = field(default_factory=list)
    requests: int = 0
    released: threading.Event = field(default_factory=threading.Event)

    def matching(self, query: str) -> list[dict[str, Any]]:
        """The items a `$filter` selects; ValueError when it is not `a eq 'x' and ...`."""
        wanted = []
        for term in query.split(" and "):
            match = _TERM.fullmatch(term.strip())
            if match is None:
                raise ValueError(term)
            name, value = match.groups()
            wanted.append((_ITEM_FIELD.get(name, name), value.replace("''", "'")))
        return [i for i in self.items if all(i.get(name) == value for name, value in wanted)]


class _Handler(BaseHTTPRequestHandler):
    fake: FakePrices

    def do_GET(self) -> None:
        fake = self.fake
        fake.requests += 1
        if fake.delay:
            fake.released.wait(fake.delay)
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path != PATH:
            return self._send(404, b'{"Error": "NotFound"}')
        if fake.statuses:
            return self._send(fake.statuses.pop(0), b'{"Error": "Unavailable"}')
        if fake.raw is not None:
            return self._send(200, fake.raw)
        if "api-version" not in query:
            return self._send(400, b'{"Error": "api-version is required"}')
        skip = int(query.get("$skip", "0"))
        if not skip:
            fake.queries.append(query.get("$filter", ""))
        try:
            found = fake.matching(query.get("$filter", ""))
        except ValueError:
            return self._send(400, b'{"Error": "Invalid OData parameters supplied"}')
        page = found[skip : skip + fake.page_size]
        following = None
        if skip + fake.page_size < len(found):
            rest = {**query, "$skip": str(skip + fake.page_size)}
            following = f"{fake.url}?{urlencode(rest, quote_via=quote, safe=_KEPT)}"
        body = {
            "BillingCurrency": "USD",
            "CustomerEntityId": "Default",
            "CustomerEntityType": "Retail",
            "Items": page,
            "NextPageLink": following,
            "Count": len(page),
        }
        return self._send(200, json.dumps(body).encode())

    def _send(self, status: int, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up waiting
            pass

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def fake_prices() -> Iterator[FakePrices]:
    """A running fake price service on 127.0.0.1 (plain HTTP); its API URL is `url`."""
    fake = FakePrices()
    handler = type("Handler", (_Handler,), {"fake": fake})
    with serving(handler) as url:
        fake.url = f"{url}{PATH}"
        try:
            yield fake
        finally:
            fake.released.set()  # a delayed answer stops waiting, so the server can stop
