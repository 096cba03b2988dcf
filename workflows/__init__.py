"""The provisioning pipeline's Argo Workflows side: the Hera definitions (`pipeline`, `cron`,
`pods`, `support`, gathered by `objects`) and the step programs the pods run (`steps`).

This file imports nothing: every pod imports `workflows.steps`, and with it this package, and
must not pay for Hera's import.
"""
