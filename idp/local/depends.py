"""A DAG task's dependencies and its `depends` logic, as the controller reads them.

`GetTaskDependencies` (workflow/common/ancestry.go) finds task names in `depends` with a
regular expression; a bare name becomes `(A.Succeeded || A.Skipped || A.Daemoned)`, plus
`A.Errored`/`A.Failed` when A continues on them (`expandDependency`); `dependencies: [A, B]` is
the same expansion joined with `&&`. `evaluateDependsLogic` (workflow/controller/dag.go) puts
each dependency's results in scope (with `-` read as `_`; for a TaskGroup, AnySucceeded and
AllFailed from its expanded tasks) and evaluates the logic with expr.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from idp.local.expr import parse
from idp.local.nodes import ERROR, FAILED, OMITTED, SKIPPED, SUCCEEDED, Node

_TASK = re.compile(r"([a-zA-Z0-9][-a-zA-Z0-9]*?\.[A-Z][a-zA-Z]+)|([a-zA-Z0-9][-a-zA-Z0-9]*)")


def expand_dependency(name: str, task: Mapping[str, Any]) -> str:
    """`expandDependency`: what a bare task name in `depends` stands for."""
    results = ["Succeeded", "Skipped", "Daemoned"]
    continue_on = task.get("continueOn") or {}
    if continue_on.get("error"):
        results.append("Errored")
    if continue_on.get("failed"):
        results.append("Failed")
    return "(" + " || ".join(f"{name}.{result}" for result in results) + ")"


def dependencies(
    task: Mapping[str, Any], tasks: Mapping[str, Mapping[str, Any]]
) -> tuple[list[str], str]:
    """`GetTaskDependencies`: the names a task depends on, and its `depends` logic with every
    bare name expanded."""
    depends = str(task.get("depends") or "")
    if not depends and task.get("dependencies"):
        depends = " && ".join(expand_dependency(d, tasks[d]) for d in task["dependencies"])
        return list(task["dependencies"]), depends
    names: list[str] = []
    expansions: list[tuple[int, int, str]] = []
    for match in _TASK.finditer(depends):
        if match.group(1):
            name = match.group(1).split(".")[0]
        else:
            name = match.group(2)
            expansions.append((match.start(2), match.end(2), name))
        if name not in tasks:
            raise KeyError(f"depends names {name!r}, which is not a task of this DAG")
        if name not in names:
            names.append(name)
    for start, end, name in sorted(expansions, reverse=True):
        depends = depends[:start] + expand_dependency(name, tasks[name]) + depends[end:]
    return names, depends


def results(node: Node, children: list[Node | None] | None = None) -> dict[str, bool]:
    """The `TaskResults` of a fulfilled dependency's node (`evaluateDependsLogic`). For a
    TaskGroup, `children` are its expanded tasks' nodes (None for one not created):
    AnySucceeded when one Succeeded, AllFailed when there are some and every one Failed."""
    phase = node.get("phase")
    any_succeeded = all_failed = False
    if node.get("type") == "TaskGroup":
        found = children or []
        all_failed = len(found) > 0
        for child in found:
            if child is None:
                all_failed = False
                continue
            any_succeeded = any_succeeded or child.get("phase") == SUCCEEDED
            all_failed = all_failed and child.get("phase") == FAILED
    return {
        "Succeeded": phase == SUCCEEDED,
        "Failed": phase == FAILED,
        "Errored": phase == ERROR,
        "Skipped": phase == SKIPPED,
        "Omitted": phase == OMITTED,
        "Daemoned": False,
        "AnySucceeded": any_succeeded,
        "AllFailed": all_failed,
    }


def evaluate(logic: str, scope: Mapping[str, dict[str, bool]]) -> bool:
    """`argoexpr.EvalBool` of the expanded logic, task names with `-` read as `_`."""
    env = {name.replace("-", "_"): value for name, value in scope.items()}
    value = parse(logic.replace("-", "_")).evaluate(env)
    if not isinstance(value, bool):
        raise ValueError(f"depends {logic!r} did not evaluate to a boolean")
    return value
