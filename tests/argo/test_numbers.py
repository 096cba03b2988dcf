"""Every number a flag takes is checked as it is parsed: seconds finite (no `inf`, `nan`,
`1e308`), not negative, within a bound; retries at most 100. A bad one is one line naming the
flag, exit 64, before anything runs (issue 17: `inf` ended in a timer thread's traceback)."""

from __future__ import annotations

import pytest

from idp.cli import main
from idp.errors import EXIT_USAGE
from tests.argo.fake_argo import FakeArgo
from tests.argo.workflows import example

REQUEST = str(example("compute"))
CASES = [
    *[(["list"], "--request-timeout", value) for value in ("inf", "1e308", "nan", "-1", "0")],
    *[(["status", "x"], "--backoff", value) for value in ("inf", "nan", "-0.5", "1e9")],
    *[(["watch", "x"], "--timeout", value) for value in ("inf", "nan", "0", "-1", "1e308")],
    (["run", "compute", REQUEST], "--interval", "inf"),
    (["run", "compute", REQUEST], "--timeout", "nan"),
    (["trigger", "compute", REQUEST, "--url", "http://127.0.0.1:9"], "--timeout", "inf"),
    (["approve", "x", "--yes"], "--retries", "101"),
    (["approve", "x", "--yes"], "--retries", "-1"),
]


@pytest.mark.parametrize(
    ("command", "flag", "value"), CASES, ids=[f"{c[0][0]} {c[1]} {c[2]}" for c in CASES]
)
def test_a_number_out_of_bounds_is_a_usage_error_naming_the_flag(
    fake: FakeArgo,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    flag: str,
    value: str,
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, f"{flag}={value}"])
    assert exited.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = err.splitlines()
    assert line.startswith(f"idp: argument {flag}: {value}: ")
    assert line.endswith(f"(see: idp {command[0]} --help)")
    assert fake.requests == []


@pytest.mark.parametrize("value", ["5", "30.5", "86400"])
def test_a_request_timeout_within_bounds_is_taken(fake: FakeArgo, value: str) -> None:
    assert main(["list", "--request-timeout", value]) == 0
