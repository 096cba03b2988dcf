"""Entry point of `python -m workflows.steps`; see the package docstring for the commands."""

import sys

from workflows.steps.cli import main

sys.exit(main())
