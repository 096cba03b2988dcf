"""Tests of the step programs (`python -m workflows.steps`)."""
