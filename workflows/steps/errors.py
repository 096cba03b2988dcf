"""The one exception a step raises to stop: its message lines and the exit code to return."""

from __future__ import annotations

EXIT_FAILURE = 1
EXIT_INVALID = 2


class StepError(Exception):
    """A failure to report on stderr, one line per entry of `lines`, and exit with `code`."""

    def __init__(self, *lines: str, code: int = EXIT_FAILURE) -> None:
        super().__init__("; ".join(lines))
        self.lines = [" ".join(line.split()) for line in lines] or ["failed"]
        self.code = code
