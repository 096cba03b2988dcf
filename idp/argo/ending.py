"""How `idp run --wait` and `idp watch` end: the outcome of a finished run, or how to answer
the approval it waits at."""

from __future__ import annotations

from collections.abc import Callable

from idp.argo import status
from idp.argo.errors import ArgoError
from idp.errors import EXIT_WORKFLOW_FAILED
from idp.manifests import Manifest
from idp.text import printable

Print = Callable[[str], None]


def finish(workflow: Manifest, name: str, link: str, out: Print, word: str = "run") -> None:
    """The end of a finished run: its outcome; a run that did not succeed raises (exit 14)."""
    phase = status.phase(workflow)
    message = (workflow.get("status") or {}).get("message")
    ended = status.outcome(workflow)
    if ended is not None:
        out(printable(f"outcome   {ended}"))
    if phase == "Succeeded":
        out(f"{word:<9} {name}: Succeeded")
        return
    why = ended or message
    raise ArgoError(
        f"workflow {name} {phase}" + (f": {why}" if why else "") + f"; see {link}",
        EXIT_WORKFLOW_FAILED,
    )


def waiting_lines(workflow: Manifest, name: str, link: str, word: str = "run") -> list[str]:
    """What to say when the approval waits: the plan, and how to answer."""
    node = status.pending(workflow)[0]
    summary = status.parameter(node, "inputs", "summary") or "(no summary)"
    sha = status.parameter(node, "inputs", "sha256") or "(no sha256)"
    return [
        printable(f"{word:<9} {name}: waiting for approval of the plan: {summary} (sha256 {sha})"),
        f"          answer with: idp approve {name} --yes   (or --no); or in {link}",
    ]
