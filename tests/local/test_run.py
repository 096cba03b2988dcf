"""`idp.local.run` beside the step programs: where it looks for a stack's saved plans."""

from __future__ import annotations

from pathlib import Path

from idp import labels
from idp.local.run import plans_folder
from workflows.steps.planstore import plans_prefix


def test_the_plans_an_interrupt_deletes_are_where_the_plan_step_saves_them() -> None:
    scope = {
        f"workflow.labels.{labels.KIND}": "compute",
        "workflow.parameters.environment": "dev",
        "workflow.parameters.name": "web",
    }

    assert plans_folder(Path("state"), scope) == Path("state") / plans_prefix(
        "compute", "dev", "web"
    )
