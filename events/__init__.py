"""The provisioning pipeline's Argo Events side: the EventBus, the webhook EventSource and one
Sensor per kind (`objects` gathers them), and `render`, the Sensor's rules in plain Python.

This file imports nothing: the local runner imports `events.render`, and with it this package,
and must not pay for Hera's import.
"""
