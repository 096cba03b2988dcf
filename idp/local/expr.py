"""A subset of expr-lang (github.com/expr-lang/expr v1.17, what Argo v4.1.2 uses): parse once,
refuse anything outside the subset, evaluate against Argo's scope.

The controller evaluates expr in two places the compiled objects use: `labelsFrom`
(`workflow/controller/operator.go`, `updateWorkflowMetadata`) and a DAG task's `depends`
(`workflow/controller/dag.go`, `evaluateDependsLogic`, through `argoexpr.EvalBool`).

The subset: string literals ('..' and ".."), numbers, `true`, `false`, identifiers, member
access `a.b`, calls, `!`/`not`, `&&`/`and`, `||`/`or` and parentheses, with expr's rules: a
missing key of a map reads as nil; a member of nil is an error; `&&` and `||` need booleans.
Functions come from the environment (`sprig.trunc`, `sprig.trimAll` and `sprig.regexReplaceAll`
are given by `sprig_functions`). Anything else is an ExprError when the expression is parsed,
which `idp.local.spec` does before the run starts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Node = tuple[Any, ...]


class ExprError(ValueError):
    """An expression outside the subset, or one that fails when evaluated."""


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>[0-9]+(?:\.[0-9]+)?)
    | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
    | (?P<op>&&|\|\||[!().,])
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and": "&&", "or": "||", "not": "!"}
# binding power of each binary operator (expr-lang's parser: or 10, and 15)
_BINARY = {"||": 10, "&&": 15}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0"}


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            shown = text[position:].strip()[:20]
            raise ExprError(f"unsupported syntax at {shown!r} (idp local knows a subset of expr)")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "name" and value in _KEYWORDS:
            kind, value = "op", _KEYWORDS[value]
        found.append((kind, value))
        position = match.end()
    found.append(("end", ""))
    return found


def _unquote(literal: str) -> str:
    body, out, i = literal[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            code = body[i + 1]
            if code not in _ESCAPES:
                raise ExprError(f"unsupported escape \\{code} in {literal}")
            out.append(_ESCAPES[code])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at]

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.tokens[self.at]
        if value is not None and token[1] != value:
            raise ExprError(f"expected {value!r} in {self.text!r}, found {token[1] or 'the end'!r}")
        self.at += 1
        return token

    def parse(self) -> Node:
        node = self.expression(0)
        if self.peek()[0] != "end":
            raise ExprError(f"unexpected {self.peek()[1]!r} in {self.text!r}")
        return node

    def expression(self, floor: int) -> Node:
        left = self.unary()
        while True:
            kind, value = self.peek()
            power = _BINARY.get(value) if kind == "op" else None
            if power is None or power <= floor:
                return left
            self.take()
            left = ("binary", value, left, self.expression(power))

    def unary(self) -> Node:
        if self.peek() == ("op", "!"):
            self.take()
            return ("not", self.unary())
        return self.postfix(self.primary())

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "number":
            return ("literal", float(value) if "." in value else int(value))
        if kind == "string":
            return ("literal", _unquote(value))
        if kind == "name":
            constants = {"true": True, "false": False}
            return ("literal", constants[value]) if value in constants else ("name", value)
        if value == "(":
            inner = self.expression(0)
            self.take(")")
            return inner
        raise ExprError(f"unexpected {value or 'end'!r} in {self.text!r}")

    def postfix(self, node: Node) -> Node:
        while True:
            value = self.peek()[1]
            if value == ".":
                self.take()
                name_kind, name = self.take()
                if name_kind != "name":
                    raise ExprError(f"expected a name after '.' in {self.text!r}")
                node = ("member", node, name)
            elif value == "(":
                self.take()
                args: list[Node] = []
                while self.peek()[1] != ")":
                    args.append(self.expression(0))
                    if self.peek()[1] != ")":
                        self.take(",")
                self.take(")")
                node = ("call", node, tuple(args))
            else:
                return node


@dataclass(frozen=True)
class Expression:
    """A parsed expression: `evaluate` it against an environment (nested mappings)."""

    text: str
    tree: Node

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        return _evaluate(self.tree, env, self.text)


def _path(node: Node) -> str | None:
    """`a.b.c` of a member chain on an identifier (to name a function that is none)."""
    parts: list[str] = []
    while node[0] == "member":
        parts.append(node[2])
        node = node[1]
    if node[0] != "name":
        return None
    return ".".join([node[1], *reversed(parts)])


def parse(text: str) -> Expression:
    """Parse `text`; ExprError names what is outside the subset."""
    return Expression(text, _Parser(text).parse())


def _evaluate(node: Node, env: Mapping[str, Any], text: str) -> Any:
    kind = node[0]
    if kind == "literal":
        return node[1]
    if kind == "name":
        if node[1] not in env:
            raise ExprError(f"unknown name {node[1]!r} in {text!r}")
        return env[node[1]]
    if kind == "member":
        base = _evaluate(node[1], env, text)
        if base is None:
            raise ExprError(f"cannot fetch {node[2]} from nil in {text!r}")
        if isinstance(base, Mapping):
            return base.get(node[2])
        raise ExprError(f"cannot fetch {node[2]} from {type(base).__name__} in {text!r}")
    if kind == "call":
        function = _evaluate(node[1], env, text)
        if not callable(function):
            raise ExprError(f"{_path(node[1]) or 'value'} is not a function in {text!r}")
        args = [_evaluate(arg, env, text) for arg in node[2]]
        return function(*args)
    if kind == "not":
        value = _evaluate(node[1], env, text)
        if not isinstance(value, bool):
            raise ExprError(f"invalid operation: ! {value!r} in {text!r}")
        return not value
    operator, left_node, right_node = node[1], node[2], node[3]
    left = _evaluate(left_node, env, text)
    if not isinstance(left, bool):
        raise ExprError(f"invalid operation: {left!r} {operator} in {text!r}")
    if (operator == "&&" and not left) or (operator == "||" and left):
        return left
    right = _evaluate(right_node, env, text)
    if not isinstance(right, bool):
        raise ExprError(f"invalid operation: {operator} {right!r} in {text!r}")
    return right


def expand(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Nested mappings from dotted keys, as Argo gives them to expr (`util/expand/expand.go`,
    `Expand`): `{"tasks.plan.id": x}` becomes `{"tasks": {"plan": {"id": x}}}`, and a key
    that is the parent of the next key in sorted order is dropped (`removeConflicts`)."""
    keys = sorted(flat)
    kept = [
        k for i, k in enumerate(keys) if not (i + 1 < len(keys) and keys[i + 1].startswith(k + "."))
    ]
    nested: dict[str, Any] = {}
    for key in kept:
        node = nested
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[parts[-1]] = flat[key]
    return nested


def _trunc(count: Any, text: Any) -> str:
    limit, value = int(count), str(text)
    if limit < 0 and len(value) + limit > 0:
        return value[len(value) + limit :]
    if limit >= 0 and len(value) > limit:
        return value[:limit]
    return value


def _trim_all(cutset: Any, text: Any) -> str:
    return str(text).strip(str(cutset))


def _regex_replace_all(pattern: Any, text: Any, replacement: Any) -> str:
    # Go's regexp and Python's agree on the character classes the templates use; `$1` in Go's
    # replacement is \\1 in Python's.
    go_replacement = re.sub(r"\$\{?([0-9]+)\}?", r"\\\1", str(replacement))
    return re.sub(str(pattern), go_replacement, str(text))


def sprig_functions() -> dict[str, Callable[..., Any]]:
    """The sprig functions the compiled templates call (Masterminds/sprig v3 semantics)."""
    return {"trunc": _trunc, "trimAll": _trim_all, "regexReplaceAll": _regex_replace_all}
