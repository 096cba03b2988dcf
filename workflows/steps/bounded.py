"""A call bounded as a whole, for the steps' network calls (the callback, SMTP, the price
service): a per-read socket timeout lets a server that trickles its answer a byte at a time hold
a step far longer than any timeout says.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def bounded(call: Callable[[], T], seconds: float) -> T:
    """`call()`, or TimeoutError ("no complete answer within Ns") when it has not returned
    within `seconds` in all. The call runs in a daemon thread; one that overruns is abandoned
    (the step ends soon after)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError(f"no complete answer within {seconds:g}s")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]
