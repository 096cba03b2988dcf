"""The defaults of every call to an Argo Server or the webhook, where the flags that change them
are declared (`idp.argo.arguments`) and where they are used (`connection`, `transport`): plain
numbers, so that declaring the flags loads no HTTP stack."""

from __future__ import annotations

DEFAULT_TIMEOUT = 30.0  # seconds a call may take, retries included (--request-timeout)
DEFAULT_RETRIES = 3  # attempts after the first (--retries)
DEFAULT_BACKOFF = 0.5  # seconds before the first retry, doubling (--backoff)
