"""Core of the self-service platform: settings, request contract, catalog, compile and CLI.

The version below is the single version of the project: the package, the compiled templates
and the `platform-tools` image tag all derive from it.
"""

__version__ = "0.1.0"
