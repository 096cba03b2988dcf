"""The compiled templates call the step program with arguments it accepts."""

from __future__ import annotations

import pytest

from idp.manifests import Manifest
from workflows.steps.cli import build_parser


def containers(manifests: list[Manifest]) -> list[tuple[str, list[str]]]:
    return [
        (f"{m['metadata']['name']}/{t['name']}", t["container"]["args"])
        for m in manifests
        if m["kind"] in ("WorkflowTemplate", "CronWorkflow")
        for t in (m["spec"].get("workflowSpec") or m["spec"])["templates"]
        if "container" in t
    ]


# What Argo substitutes for the tags a step's arguments carry, as a run would give them (the
# program checks values, not only their presence).
RESOLVED = {
    "{{inputs.parameters.environment}}": "dev",
    "{{inputs.parameters.name}}": "demo",
    "{{inputs.parameters.sha256}}": "0" * 64,
    "{{inputs.parameters.next}}": "approve",
    "{{workflow.scheduledTime}}": "2030-01-01T00:00:00Z",
}


def test_every_step_container_parses_with_the_step_program(manifests: list[Manifest]) -> None:
    parser = build_parser()
    called = [(where, [RESOLVED.get(a, a) for a in args]) for where, args in containers(manifests)]
    assert called, "no step containers compiled"
    for where, args in called:
        try:
            parsed = parser.parse_args(args)
        except SystemExit:  # argparse reports and exits on an unknown argument
            pytest.fail(f"{where}: the step program refuses {args}")
        assert parsed.command == args[0], where


def test_every_step_command_is_used_by_the_templates(manifests: list[Manifest]) -> None:
    used = {args[0] for _, args in containers(manifests)}
    (commands,) = [a for a in build_parser()._actions if a.dest == "command"]
    offered = set(commands.choices or ())
    assert (
        used
        == offered
        == {
            "plan",
            "apply",
            "notify",
            "finish",
            "stacks",
            "drift",
            "expire",
        }
    )
