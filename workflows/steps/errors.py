"""The one exception a step raises to stop, and where its reason goes besides stderr.

A failed step prints its reason on stderr and also writes it to the file named by
`IDP_TERMINATION_LOG` (the pod's `terminationMessagePath`): Kubernetes keeps that text as the
container's termination message and Argo shows it as the node's message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

EXIT_FAILURE = 1
EXIT_INVALID = 2
EXIT_POLICY = 3  # the policy phase found something that stops the run
EXIT_COST = 4  # the cost phase's estimate is over the environment's max_monthly_cost
TERMINATION_LOG_ENV = "IDP_TERMINATION_LOG"
TERMINATION_LOG_BYTES = 4096  # what Kubernetes keeps of a termination message


class StepError(Exception):
    """A failure to report on stderr, one line per entry of `lines`, and exit with `code`."""

    def __init__(self, *lines: str, code: int = EXIT_FAILURE) -> None:
        super().__init__("; ".join(lines))
        self.lines = [" ".join(line.split()) for line in lines] or ["failed"]
        self.code = code


def write_termination_message(text: str, env: Mapping[str, str] | None = None) -> None:
    """Leave `text` (cut to what Kubernetes keeps) as the container's termination message."""
    path = (os.environ if env is None else env).get(TERMINATION_LOG_ENV, "")
    if not path:
        return
    data = text.encode("utf-8")[: TERMINATION_LOG_BYTES - 4]
    try:
        with open(path, "wb") as stream:
            stream.write(data.decode("utf-8", "ignore").encode("utf-8"))
    except OSError:
        pass  # the reason is on stderr too; a missing termination log must not hide it
