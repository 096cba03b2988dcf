"""The day-two steps against hostile registry entries and arguments, through the real step
programs (`stacks`, `drift`, `expire`) on the local stack store.

Each registry entry is handled alone: a broken `*.stack.json` beside a good one is named in one
line and skipped, the good one is still handled, and the reaper exits 1 afterwards. The good
stack is provisioned once for the module (plan, apply and report on the fixture module, with a
ttl) and its state folder copied into each test; the broken entries are written as anyone with
access to the state container could write them. A bad `--now`, `--name`, `--environment` or
`--kind` is refused in one line with exit 2 before anything is read or done. The webhook the
reaper starts destroys through and the callback are fakes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.argo.fake_webhook import FakeWebhook
from tests.fakes.callback import Callback
from tests.steps.conftest import Steps, compute_request, passed, pod_environment
from tests.steps.test_daytwo import provision, reaper_env

# Each test runs the step programs with real Terraform: slow (`-m 'not slow'` leaves it out).
pytestmark = pytest.mark.slow

GOOD, BROKEN = "demo", "broken"
ESC = "\x1b"
TITLE_SEQUENCE = "\x1b]0;owned\x07"  # an xterm escape that retitles the terminal
MEMORY_BOUND = 512 << 20  # no step may need more, whatever it is given (issue 17)


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The state folder of one stack provisioned with ttl_hours=24, registered by report."""
    steps = Steps(tmp_path_factory.mktemp("provisioned"), pod_environment())
    provision(steps, compute_request(ttl_hours=24))
    return steps.tmp / "state"


@pytest.fixture
def registered(steps: Steps, provisioned: Path) -> Steps:
    """This test's copy of the provisioned stack's state folder, registry entry included."""
    shutil.copytree(provisioned, steps.tmp / "state")
    return steps


def entry_path(steps: Steps, name: str = GOOD, environment: str = "dev") -> Path:
    return steps.tmp / "state" / "compute" / environment / f"{name}.stack.json"


def put(steps: Steps, content: bytes, name: str = BROKEN) -> Path:
    path = entry_path(steps, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def good_entry(steps: Steps) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(entry_path(steps).read_text())
    return loaded


def expires_at(steps: Steps) -> datetime:
    return datetime.fromisoformat(good_entry(steps)["expires_at"].replace("Z", "+00:00"))


def like_the_good_one(steps: Steps) -> dict[str, Any]:
    """The good entry, made the entry of another stack: BROKEN, of another request."""
    document = good_entry(steps)
    request = {**document["request"], "name": BROKEN, "request_id": "a1b2c3"}
    return {**document, "name": BROKEN, "request_id": "a1b2c3", "request": request}


def expire_at(steps: Steps, now: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    out = ["--out", str(steps.out("expiry")), "--work", str(steps.tmp / "reaper")]
    state = ["--backend", "local", "--state-dir", str(steps.tmp / "state")]
    return steps.run("expire", "--kind", "compute", *state, "--now", now, *out, env=env)


def expire(steps: Steps, now: datetime, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return expire_at(steps, now.strftime("%Y-%m-%dT%H:%M:%SZ"), env)


def after_expiry(steps: Steps, webhook: FakeWebhook, callback: Callback) -> Any:
    """The reaper, a minute after the good stack expired."""
    return expire(steps, expires_at(steps) + timedelta(minutes=1), reaper_env(webhook, callback))


def destroys_started(webhook: FakeWebhook) -> list[str]:
    """The stacks whose destroy run the reaper started."""
    return [json.loads(sent.body)["name"] for sent in webhook.received]


def dumps(document: Any) -> bytes:
    return json.dumps(document).encode()


def with_request(document: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**document, "request": {**document["request"], **changes}}


def nested(levels: int) -> Any:
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


Broken = Callable[[dict[str, Any]], bytes]

# What can be wrong with an entry, and the reason the reaper gives (after the entry's name).
BROKEN_ENTRIES: dict[str, tuple[Broken, str]] = {
    "not JSON": (lambda d: b"{not json", "not JSON: unexpected 'n' at offset 1"),
    "empty": (lambda d: b"", "not JSON: unexpected end of the JSON text"),
    "a list": (lambda d: dumps([d]), "not a registry entry: a JSON list, not an object"),
    "null": (lambda d: b"null", "not a registry entry: a JSON null, not an object"),
    "no request": (
        lambda d: dumps({k: v for k, v in d.items() if k != "request"}),
        "request must be an object, not null",
    ),
    "a request that is a list": (
        lambda d: dumps({**d, "request": [d["request"]]}),
        "request must be an object, not list",
    ),
    "a kind that is a number": (
        lambda d: dumps({**d, "kind": 5}),
        "kind must be a string, not int",
    ),
    "no approver": (
        lambda d: dumps({k: v for k, v in d.items() if k != "approver"}),
        "approver is missing",
    ),
    "an expiry that is a number": (
        lambda d: dumps({**d, "expires_at": 17}),
        "expires_at must be a string or null, not int",
    ),
    "an expiry that is not a time": (
        lambda d: dumps({**d, "expires_at": "tomorrow"}),
        "expires_at: 'tomorrow' is not an RFC 3339 time",
    ),
    "an expiry in the year 1": (
        lambda d: dumps({**d, "expires_at": "0001-01-01T00:00:00+01:00"}),
        "expires_at: '0001-01-01T00:00:00+01:00' is not between the years 2000 and 2999",
    ),
    "a request id that is an object": (
        lambda d: dumps(with_request(d, request_id={"a": 1})),
        "request.request_id must be a string, not dict",
    ),
    "another stack's entry": (
        lambda d: dumps({**with_request(d, name=GOOD), "name": GOOD}),
        "the entry is of compute/dev/demo",
    ),
    "a request for another stack": (
        lambda d: dumps(with_request(d, name="other")),
        "request.name 'other' is not the entry's 'broken'",
    ),
    "too large": (lambda d: dumps({**d, "approver": "x" * 300_000}), "over 262144 bytes"),
    "nested too deep": (
        lambda d: dumps(with_request(d, tags=nested(20))),
        "nested more than 8 levels deep",
    ),
    "nested 100,000 deep": (
        lambda d: b"[" * 100_000 + b"]" * 100_000,
        "nested more than 8 levels deep",
    ),
    "not UTF-8": (
        lambda d: dumps({**d, "approver": "<>"}).replace(b'"<>"', b'"\xff"'),
        "not UTF-8: byte 0xff",
    ),
    "UTF-16": (lambda d: json.dumps(d).encode("utf-16"), "UTF-16 or UTF-32 text"),
    "NaN": (
        lambda d: dumps(with_request(d, node_count=float("nan"))),
        "not JSON: NaN and Infinity are not JSON numbers",
    ),
    "a key twice": (
        lambda d: dumps(d)[:-1] + b', "kind": "storage"}',
        "the key 'kind' is given twice",
    ),
    "a number of 5,000 digits": (
        lambda d: dumps(with_request(d, node_count="<>")).replace(b'"<>"', b"9" * 5000),
        "not JSON (Exceeds the limit",
    ),
}


# --- the reaper ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("broken", "reason"), list(BROKEN_ENTRIES.values()), ids=list(BROKEN_ENTRIES)
)
def test_a_broken_entry_is_named_in_one_line_and_the_reaper_goes_on(
    registered: Steps, webhook: FakeWebhook, callback: Callback, broken: Broken, reason: str
) -> None:
    put(registered, broken(like_the_good_one(registered)))
    result = after_expiry(registered, webhook, callback)
    assert "Traceback" not in result.stderr
    first, last = result.stderr.splitlines()
    assert first.startswith(f"expire: compute/dev/broken.stack.json: {reason}"), first
    assert last == "expire: 1 registry entries could not be used (see expiry.json)"
    assert result.returncode == 1
    assert destroys_started(webhook) == [GOOD]


def test_the_reapers_report_lists_an_unreadable_entry_with_its_reason(
    registered: Steps, webhook: FakeWebhook, callback: Callback
) -> None:
    put(registered, b"[]")
    after_expiry(registered, webhook, callback)
    report = json.loads((registered.out("expiry") / "expiry.json").read_text())
    assert [(r["name"], r["result"]) for r in report] == [(BROKEN, "unreadable"), (GOOD, "started")]
    assert report[0]["reason"] == (
        "compute/dev/broken.stack.json: not a registry entry: a JSON list, not an object"
    )
    assert (registered.out("expiry") / "summary").read_text() == (
        "1 destroys started, 0 warned, 0 failed, 1 unreadable"
    )


def test_a_broken_entry_is_left_as_it_was(
    registered: Steps, webhook: FakeWebhook, callback: Callback
) -> None:
    path = put(registered, b"{not json")
    after_expiry(registered, webhook, callback)
    assert path.read_bytes() == b"{not json"


def test_a_stack_due_its_warning_is_warned_beside_a_broken_entry(
    registered: Steps, webhook: FakeWebhook, callback: Callback
) -> None:
    put(registered, b"{not json")
    soon = expires_at(registered) - timedelta(hours=2)
    result = expire(registered, soon, reaper_env(webhook, callback))
    assert result.returncode == 1
    assert [body["phase"] for _, body in callback.received] == ["expiring"]
    assert good_entry(registered)["warned_at"] is not None


def test_a_file_whose_name_is_no_stack_name_is_named_escaped_and_skipped(
    registered: Steps, webhook: FakeWebhook, callback: Callback
) -> None:
    put(registered, dumps(like_the_good_one(registered)), name=TITLE_SEQUENCE)
    result = after_expiry(registered, webhook, callback)
    assert ESC not in result.stderr + result.stdout
    assert result.stderr.splitlines()[0] == (
        r"expire: compute/dev/'\x1b]0;owned\x07'.stack.json: not a stack name of the contract"
    )
    assert result.returncode == 1
    assert destroys_started(webhook) == [GOOD]


def test_a_huge_entry_is_refused_within_the_memory_bound(
    registered: Steps, webhook: FakeWebhook, callback: Callback
) -> None:
    with put(registered, b"").open("wb") as sparse:
        sparse.truncate(2 << 30)  # 2 GiB that take no disk, and would take that much memory
    now = (expires_at(registered) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    limited = (
        "import os, resource, sys; "
        f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_BOUND}, {MEMORY_BOUND})); "
        "os.execv(sys.executable, [sys.executable, '-m', 'workflows.steps', *sys.argv[1:]])"
    )
    args = ["--kind", "compute", "--backend", "local", "--state-dir", str(registered.tmp / "state")]
    args += ["--now", now, "--out", str(registered.out("expiry"))]
    env = {**registered.env, **reaper_env(webhook, callback)}
    result = subprocess.run(
        [sys.executable, "-c", limited, "expire", *args],
        cwd=registered.tmp,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stderr.splitlines()[0] == (
        "expire: compute/dev/broken.stack.json: over 262144 bytes"
    )
    assert result.returncode == 1
    assert destroys_started(webhook) == [GOOD]


def test_a_destroy_the_webhook_refuses_is_named_in_one_line(
    registered: Steps, webhook: FakeWebhook, callback: Callback
) -> None:
    webhook.answers = [(400, "refused", {})]
    result = after_expiry(registered, webhook, callback)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"expire: compute/dev/demo.stack.json: destroy failed: webhook {webhook.url}/compute "
        "failed: HTTP 400 (attempts: 1)",
        "expire: 1 expired stacks could not be handled (see expiry.json)",
    ]


def test_an_entry_whose_request_does_not_pass_is_not_told_or_reaped(
    registered: Steps, webhook: FakeWebhook, callback: Callback
) -> None:
    """Its requester_email would be the address the warning goes to."""
    put(registered, dumps(with_request(like_the_good_one(registered), requester_email="x@y")))
    soon = expires_at(registered) - timedelta(hours=2)
    result = expire(registered, soon, reaper_env(webhook, callback))
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].startswith(
        "expire: compute/dev/broken.stack.json: warn failed: recorded request: requester_email: "
    )
    told = [body["request_id"] for _, body in callback.received]
    assert told == [good_entry(registered)["request_id"]]


# --- the drift check -----------------------------------------------------------------------------


def stacks(steps: Steps) -> subprocess.CompletedProcess[str]:
    state = ["--backend", "local", "--state-dir", str(steps.tmp / "state")]
    return steps.run("stacks", "--kind", "compute", *state, "--out", str(steps.out("stacks")))


def listed(steps: Steps) -> list[str]:
    items = json.loads((steps.out("stacks") / "stacks").read_text())
    return [f"{item['environment']}/{item['name']}" for item in items]


def drift(steps: Steps, *where: str) -> subprocess.CompletedProcess[str]:
    args = ["--kind", "compute", *where, "--out", str(steps.out("drift"))]
    args += ["--work", str(steps.tmp / "drift-pod")]
    return steps.run("drift", *args, "--backend", "local", "--state-dir", str(steps.tmp / "state"))


def test_stacks_lists_a_broken_entry_so_that_its_own_check_fails(steps: Steps) -> None:
    put(steps, b"{not json")
    passed(stacks(steps))
    assert listed(steps) == ["dev/broken"]


def test_stacks_leaves_out_a_name_that_is_no_stack_name_and_shows_it_escaped(
    steps: Steps,
) -> None:
    put(steps, b"{}", name=TITLE_SEQUENCE)
    result = passed(stacks(steps))
    assert listed(steps) == []
    assert ESC not in result.stdout + result.stderr
    assert r"ignoring compute/dev/'\x1b]0;owned\x07'.stack.json" in result.stdout


def test_the_check_of_a_broken_entry_fails_in_one_line_naming_it(steps: Steps) -> None:
    put(steps, b"{not json")
    result = drift(steps, "--environment", "dev", "--name", BROKEN)
    assert result.returncode == 1
    assert result.stderr == (
        "drift: compute/dev/broken.stack.json: not JSON: unexpected 'n' at offset 1\n"
    )
    assert (steps.out("drift") / "result").read_text() == "failed"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"a": 1}'.encode("utf-16"), "UTF-16 or UTF-32 text: an entry is UTF-8 JSON only"),
        (b'\xef\xbb\xbf{"a": 1}', "not JSON: a byte order mark (U+FEFF): an entry has none"),
    ],
)
def test_an_entry_in_another_encoding_is_refused_as_an_entry_not_a_webhook_body(
    steps: Steps, content: bytes, reason: str
) -> None:
    put(steps, content)
    result = drift(steps, "--environment", "dev", "--name", BROKEN)
    assert result.returncode == 1
    assert result.stderr == f"drift: compute/dev/broken.stack.json: {reason}\n"


def test_the_check_of_an_entry_holding_another_stack_fails(registered: Steps) -> None:
    shutil.copy(entry_path(registered, GOOD), entry_path(registered, BROKEN))
    result = drift(registered, "--environment", "dev", "--name", BROKEN)
    assert result.returncode == 1
    assert result.stderr == (
        "drift: compute/dev/broken.stack.json: the entry is of compute/dev/demo\n"
    )
    record = json.loads((registered.out("drift") / "drift.json").read_text())
    assert (record["result"], record["reason"]) == (
        "failed",
        "compute/dev/broken.stack.json: the entry is of compute/dev/demo",
    )


# --- arguments -----------------------------------------------------------------------------------


def one_line_refusal(result: subprocess.CompletedProcess[str], start: str) -> None:
    assert "Traceback" not in result.stderr
    assert ESC not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(start), result.stderr
    assert result.returncode == 2


@pytest.mark.parametrize(
    "now",
    [
        "not a time",
        "",
        "NaN",
        "inf",
        "-1",
        "1e308",
        "2030-01-01",
        "2030-01-01 00:00:00Z",
        "20300101T000000Z",
        "2030-01-01T00:00:00",
        "2030-13-01T00:00:00Z",
        "2030-02-30T00:00:00Z",
        "2030-01-01T00:00:60Z",
        "2030-01-01T00:00:00+24:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "\uff13\uff10\uff13\uff10-01-01T00:00:00Z",  # full-width digits
        "2030-01-01T00:00:00Z\n",
        TITLE_SEQUENCE,
        "9" * 100_000,
    ],
)
def test_a_bad_now_is_refused_before_anything_is_done(
    registered: Steps, webhook: FakeWebhook, callback: Callback, now: str
) -> None:
    before = entry_path(registered).read_bytes()
    result = expire_at(registered, now, reaper_env(webhook, callback))
    one_line_refusal(result, "expire: argument --now: ")
    assert (webhook.received, callback.received) == ([], [])
    assert entry_path(registered).read_bytes() == before
    assert not registered.out("expiry").exists()


def test_the_schedulers_own_time_with_its_zone_is_taken(
    registered: Steps, webhook: FakeWebhook, callback: Callback
) -> None:
    """Argo writes `workflow.scheduledTime` with Go's time.RFC3339, in the CronWorkflow's time
    zone (argo-workflows v4.1.2, workflow/common/convert.go,
    ConvertCronWorkflowToWorkflowWithProperties; workflow/controller/operator.go,
    setGlobalParameters, takes it from that annotation as it is)."""
    later = expires_at(registered) + timedelta(minutes=1)
    in_new_york = (later - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%S-05:00")
    passed(expire_at(registered, in_new_york, reaper_env(webhook, callback)))
    assert destroys_started(webhook) == [GOOD]


NOT_STACK_NAMES = [
    "../../x",
    "../dev/demo",
    "demo/../../x",
    "",
    "Demo",
    "d",
    "x" * 300,
    "demo\n",
    "demo-",
    TITLE_SEQUENCE,
    "{{inputs.parameters.name}}",
]


@pytest.mark.parametrize("name", NOT_STACK_NAMES)
def test_drift_refuses_a_name_that_is_not_a_stack_name(steps: Steps, name: str) -> None:
    result = drift(steps, "--environment", "dev", "--name", name)
    one_line_refusal(result, "drift: argument --name: ")
    assert not steps.out("drift").exists()
    assert sorted(p.name for p in steps.tmp.iterdir()) == []


@pytest.mark.parametrize("environment", ["../dev", "dev/..", "qa", "DEV", "", "prod\n", ESC])
def test_drift_refuses_an_environment_that_is_not_one(steps: Steps, environment: str) -> None:
    result = drift(steps, "--environment", environment, "--name", GOOD)
    one_line_refusal(result, "drift: argument --environment: ")
    assert sorted(p.name for p in steps.tmp.iterdir()) == []


@pytest.mark.parametrize("command", ["stacks", "drift", "expire"])
@pytest.mark.parametrize("kind", ["../../x", "", "Compute", "compute/../x", TITLE_SEQUENCE])
def test_a_day_two_step_refuses_a_kind_that_is_not_one(
    steps: Steps, command: str, kind: str
) -> None:
    args = [command, "--kind", kind, "--out", str(steps.out("out")), "--backend", "local"]
    args += {"drift": ["--work", "w", "--environment", "dev", "--name", GOOD]}.get(command, [])
    args += {"expire": ["--now", "2030-01-01T00:00:00Z"]}.get(command, [])
    result = steps.run(*args)
    one_line_refusal(result, f"{command}: argument --kind: ")
    assert sorted(p.name for p in steps.tmp.iterdir()) == []


@pytest.mark.parametrize("command", ["stacks", "expire"])
def test_a_day_two_step_refuses_a_kind_the_catalog_does_not_have(
    steps: Steps, command: str
) -> None:
    args = [command, "--kind", "network", "--out", str(steps.out("out")), "--backend", "local"]
    args += {"expire": ["--now", "2030-01-01T00:00:00Z"]}.get(command, [])
    result = steps.run(*args)
    one_line_refusal(result, f"{command}: kind: unknown kind 'network'; known kinds: ")
    assert not steps.out("out").exists()
