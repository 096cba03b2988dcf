"""The Workflows the tests put on the fake: what `idp run` would submit for the examples."""

from __future__ import annotations

from pathlib import Path

from events.objects import kind_sensor
from events.render import event_from_text, render
from idp.catalog import model_for
from idp.manifests import Manifest
from idp.settings import load_settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "requests"


def example(kind: str) -> Path:
    return EXAMPLES / f"{kind}.json"


def rendered(kind: str, path: Path | None = None) -> Manifest:
    """The Workflow the kind's Sensor creates for the request, with the settings `main` loads."""
    settings = load_settings()
    text = (path or example(kind)).read_bytes()
    return render(kind_sensor(model_for(kind), settings), event_from_text(text))


def name_of(workflow: Manifest) -> str:
    return str(workflow["metadata"]["name"])
