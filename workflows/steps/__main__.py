"""Entry point of `python -m workflows.steps`; see the package docstring for the commands."""

import os
import sys

# The steps use no pydantic plugin: skip pydantic's scan of every installed package for one.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from workflows.steps.cli import main  # after the variable pydantic reads

# A line reaches the pod's log as it is printed (`kubectl logs -f`, the Argo UI), not when a
# block of output fills up or the program ends.
sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
sys.exit(main())
