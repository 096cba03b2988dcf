"""The handlers of `idp`'s sub-commands, one module per command or group of commands.

`idp.cli` parses the arguments and names each sub-command's handler as a `"module:function"`
string; the module is imported only when its command runs, so a command loads what it needs
(Hera, the HTTP stack, re2, shtab) and nothing another command needs, and `idp --help` loads
none of it. Each handler takes the parsed arguments and the settings and returns the exit code;
what it calls below takes typed values. The Argo Server commands that need no more than their
arguments (submit, approve, list, status, logs, watch) are handled by `idp.argo` directly.
"""
