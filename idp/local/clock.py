"""The clock of a local run: real time, which an expiry moves forward instead of waiting.

`--approve expire` lets an approval's duration pass at once: the clock jumps past the suspend
node's deadline, as if that much time had gone by, and every later timestamp follows it.
"""

from __future__ import annotations

import time


class RunClock:
    """Seconds since the epoch, plus however far expiries have moved the clock."""

    def __init__(self, start: float | None = None) -> None:
        self.offset = 0.0 if start is None else start - time.time()

    def now(self) -> float:
        return time.time() + self.offset

    def sleep_until(self, when: float) -> None:
        delay = when - self.now()
        if delay > 0:
            time.sleep(delay)

    def advance_to(self, when: float) -> None:
        if when > self.now():
            self.offset += when - self.now()
