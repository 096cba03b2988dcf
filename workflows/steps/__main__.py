"""Entry point of `python -m workflows.steps`; see the package docstring for the commands."""

import os
import sys

# The steps use no pydantic plugin: skip pydantic's scan of every installed package for one.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from workflows.steps.cli import main  # after the variable pydantic reads

# A line reaches the log as it is printed, not when a block of output fills up or the program
# ends. In the image PYTHONUNBUFFERED=1 already does that for the pod's log; this is for where
# nothing sets it: `idp local` runs the program with the template's environment, stdout and
# stderr into one log file, where line by line they stay in the order they were written.
sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
sys.exit(main())
