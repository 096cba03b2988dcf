"""What the fake Argo Server does with `listOptions.labelSelector` and `fields`.

The client sends a selector as it was given; the server reads it. The Argo Server parses it
before it lists anything (server/utils/list_options.go, `BuildListOptions`, calling
k8s.io/apimachinery `labels.ParseToRequirements`) and refuses one it cannot read as
InvalidArgument: a 400 whose message is the parser's (`ToStatusError`). The fake refuses what it
cannot read (`Unreadable`) the same way, in the parser's words for the two cases the tests use
(an empty requirement after a comma; a value list with a word where `,` or `)` belongs), else
naming the requirement. Keys and values must be label keys and values.

Label selectors match as the Kubernetes API server matches them (k8s.io/apimachinery
`pkg/labels/selector.go`, `Requirement.Matches`): `=`, `==` and `in` need the label with one of
the values; `!=` and `notin` also match a Workflow without the label; a bare key needs the
label, `!key` its absence; `>` and `<` compare a label holding an integer.

`fields` keeps only the named paths of the answer, as the Argo Server's cleaner does
(util/fields/fields.go, `Cleaner.Clean`): a key is kept when its dotted path is named, or is the
start of a named path (then its own keys are cleaned in turn); the items of a list are cleaned
with the list's path; a leading `-` removes the named paths instead.
"""

from __future__ import annotations

import re
from typing import Any

_KEY = r"(?:[a-z0-9][-a-z0-9.]*/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_VALUE = r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?"
_FORMS = (
    (re.compile(rf"!\s*({_KEY})"), "absent"),
    (re.compile(rf"({_KEY})\s+(in|notin)\s*\(([^)]*)\)"), "set"),
    (re.compile(rf"({_KEY})\s*(==|=|!=)\s*({_VALUE})"), "value"),
    (re.compile(rf"({_KEY})\s*([<>])\s*(-?[0-9]+)"), "number"),
    (re.compile(rf"({_KEY})"), "present"),
)


class Unreadable(ValueError):
    """A selector the server's parser refuses; the message is what the server answers."""


def _terms(selector: str) -> list[str]:
    """The requirements: split at commas outside parentheses."""
    terms, depth, current = [], 0, ""
    for char in selector:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            terms.append(current.strip())
            current = ""
        else:
            current += char
    terms.append(current.strip())
    if terms == [""]:
        return []
    if "" in terms:
        raise Unreadable("found '', expected: identifier after ','")
    return terms


def _values(listed: str) -> set[str]:
    """The values of `in (...)`/`notin (...)`, each a label value."""
    values = set()
    for item in listed.split(","):
        words = item.split()
        if len(words) > 1:
            raise Unreadable(
                f"unable to parse requirement: found '{words[1]}', expected: ',' or ')'"
            )
        values.add(words[0] if words else "")
    if not all(re.fullmatch(_VALUE, value) for value in values):
        raise Unreadable(f"unable to parse requirement: {listed!r} holds no label values")
    return values


def _matches(term: str, labels: dict[str, str]) -> bool:
    for pattern, form in _FORMS:
        found = pattern.fullmatch(term)
        if found is None:
            continue
        key = found.group(1)
        if form == "absent":
            return key not in labels
        if form == "present":
            return key in labels
        if form == "set":
            values = _values(found.group(3))
            inside = key in labels and labels[key] in values
            return inside if found.group(2) == "in" else not inside
        if form == "value":
            equal = key in labels and labels[key] == found.group(3)
            return not equal if found.group(2) == "!=" else equal
        value = labels.get(key, "")
        if not re.fullmatch(r"-?[0-9]+", value):
            return False
        return (
            int(value) > int(found.group(3))
            if found.group(2) == ">"
            else (int(value) < int(found.group(3)))
        )
    raise Unreadable(f"unable to parse requirement: {term!r} is no requirement")


def matches(selector: str, labels: dict[str, str]) -> bool:
    """Whether `labels` satisfy every requirement of `selector` (Unreadable when the server
    would refuse it: every requirement is read, whatever the labels)."""
    return all([_matches(term, labels) for term in _terms(selector)])


def clean(value: Any, fields: str) -> Any:
    """`value` with only the `fields` kept (or, with a leading `-`, removed)."""
    if not fields:
        return value
    exclude = fields.startswith("-")
    named = set(fields.removeprefix("-").split(","))
    return _clean(value, [], named, exclude)


def _clean(value: Any, path: list[str], named: set[str], exclude: bool) -> Any:
    if isinstance(value, list):
        return [_clean(item, path, named, exclude) for item in value]
    if not isinstance(value, dict):
        return value
    kept = {}
    for key, item in value.items():
        dotted = ".".join([*path, key])
        exact = dotted in named
        leads = exact or any(name.startswith(dotted) for name in named)
        if (exclude and not exact) or (not exclude and leads):
            kept[key] = item if exact else _clean(item, [*path, key], named, exclude)
    return kept
