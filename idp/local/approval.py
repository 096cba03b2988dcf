"""Answers to a waiting approval in a local run: a fixed answer, an expiry, a stop, or a person
at the terminal.

`--approve VALUE` stores VALUE exactly as given in the question's output, as `argo node set`
would; `expire` lets the suspend duration pass; `stop` stops the workflow as `argo stop` does.
`--as EMAIL` is who answers, as an SSO login would tell the Argo Server (which records it on the
Workflow); without it, nobody is recorded, as with SSO off.
Without `--approve`, the terminal shows what the approval node shows (its inputs: the plan's
summary and sha256) and asks, then answers as the Argo UI does: every input of the node is set
as an output, the question's with the typed answer (`workflow-details.tsx`,
`updateOutputParametersForNodeIfRequired`).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import IO, Any

from idp.local.controller import Answer
from idp.local.nodes import Node

KEYWORDS = ("expire", "stop", "terminate")


def question(node: Node) -> str:
    """The output a person answers: the input with choices, else the first supplied output."""
    inputs = (node.get("inputs") or {}).get("parameters") or []
    for parameter in inputs:
        if parameter.get("enum"):
            return str(parameter["name"])
    outputs = (node.get("outputs") or {}).get("parameters") or []
    if not outputs:
        raise ValueError(f"{node.get('displayName')} asks nothing: it has no supplied outputs")
    return str(outputs[0]["name"])


def claims(email: str | None) -> dict[str, str] | None:
    """The claims an SSO login of `email` gives the Argo Server (None: no identity, SSO off)."""
    if not email:
        return None
    return {"sub": email, "email": email}


class Fixed:
    """The same answer for every approval (`--approve`), given as `actor` (`--as`)."""

    def __init__(self, value: str, actor: str | None = None) -> None:
        self.value = value
        self.actor = claims(actor)

    def __call__(self, node: Node, view: Mapping[str, Any]) -> Answer:
        if self.value in KEYWORDS:
            return Answer(self.value, actor=self.actor)
        return Answer("set", {question(node): self.value}, actor=self.actor)


class Prompt:
    """Ask at the terminal; an empty answer, or the end of the input, takes the question's
    default (NO), as the UI does. Ctrl-C interrupts the run (see `idp.local.run`)."""

    def __init__(
        self, read: IO[str] | None = None, write: IO[str] | None = None, actor: str | None = None
    ) -> None:
        self.read = read or sys.stdin
        self.write = write or sys.stderr
        self.actor = claims(actor)

    def __call__(self, node: Node, view: Mapping[str, Any]) -> Answer:
        inputs = (node.get("inputs") or {}).get("parameters") or []
        asked = question(node)
        print(f"\napproval  {node.get('displayName')} waits for an answer:", file=self.write)
        for parameter in inputs:
            if parameter["name"] != asked:
                print(f"  {parameter['name']:<10} {parameter.get('value', '')}", file=self.write)
        choice = next(p for p in inputs if p["name"] == asked) if inputs else {}
        default = str(choice.get("value") or choice.get("default") or "")
        options = "/".join(choice.get("enum") or [])
        print(f"  (or: {', '.join(KEYWORDS)})", file=self.write)
        self.write.write(f"  {asked} [{options}] (default {default}): ")
        self.write.flush()
        line = self.read.readline()
        if not line:
            self.write.write(f"{default} (end of input: the default)\n")
        answer = line.rstrip("\n") or default
        if answer in KEYWORDS:
            return Answer(answer, actor=self.actor)
        values = {p["name"]: str(p.get("value", "")) for p in inputs}
        values[asked] = answer
        return Answer("set", values, actor=self.actor)
