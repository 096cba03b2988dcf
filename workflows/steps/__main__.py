"""Entry point of `python -m workflows.steps`; see the package docstring for the commands."""

import os
import sys

# The steps use no pydantic plugin: skip pydantic's scan of every installed package for one.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from workflows.steps.cli import main  # after the variable pydantic reads

sys.exit(main())
