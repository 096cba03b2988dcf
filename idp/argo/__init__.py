"""Talking to a live platform: the Argo Server API and the webhook.

`idp submit`, `idp run`, `idp approve` (through the Argo Server, `client`) and `idp trigger`
(through the webhook EventSource). Importing this package is cheap: Hera and requests are
imported only by the modules that send requests.
"""
