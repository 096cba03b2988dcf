"""One module per step command, each with a `run(args)` entry that `workflows.steps.cli` imports
only when its command runs: `plan`, `apply`, `notify` and `finish`. The day-two commands
(`stacks`, `drift`, `expire`) are in `workflows.steps.daytwo`.
"""
