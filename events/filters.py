"""The Sensor's data filters, derived from the request contract: all that Argo Events can check.

Each filter is one `filterData` rule (Argo Events v1.9.11, `pkg/sensors/dependencies/
filter.go`), all of them ANDed: a path read with gjson (`events.gjson`; a path that does not
exist drops the event), then Go regular expressions matched against the value's `String()`
(a string filter; `!=` drops on a match), or comparisons of its `Float()` (a number filter).
In this order:

1. `body`, the body's JSON text as the webhook wrote it: one flat object of the contract's
   field names, each value of the field's JSON type: a string, or an integer written as digits
   (no fraction, no exponent); no null, list or object; no U+FFFD, which is also what bytes
   that are not UTF-8 read as. No per-field filter can see a JSON type: the `String()` of the
   number 5 and of the string "5" are the same text.
2. Each field, required ones as `body.F`, optional ones as `[body.F,!DEFAULT]|0` (the value, or
   the default when the field is absent, so that absence passes): the contract's pattern as
   written, or its choices, anchored; a length filter where the pattern does not bound the
   length; for an integer its range; for free text (a string without pattern or choices) its
   length, none of the characters in `CONTROL` (and, where the contract wants printable text,
   `INVISIBLE`), no `{{`, `}}` or `$`, and a character outside `SPACES`.

Every filter accepts all that the contract accepts (tests hold it). What no filter can check
is left to the validate step and listed in the README.

A kind whose `action` takes `preview` has two dependencies with these same filters, and one
more each that splits on the action (`action_route`): both read it as `[body.action,
!"provision"]|0`, the path of rule 2, so an absent action is a provision, and the preview's
takes the value `preview` where the request's refuses it: every event passes at most one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from hera.events import models as em

from events import goregexp
from events.delivery import BODY
from idp.contract import (
    FORBIDDEN_MARKS,
    MAX_STRING,
    PREVIEW,
    FieldRule,
    RequestBase,
    field_rules,
)
from idp.settings import Settings

# Refused in every string by the contract (`_no_templating`): C0 controls, DEL, U+FFFD.
CONTROL = r"\x00-\x1f\x7f\x{FFFD}"
# Not printable (Python's str.isprintable) in every Unicode version, so refused in printable
# text: C1 controls, format characters (soft hyphen, zero-width, bidirectional marks,
# embeddings, overrides and isolates, word joiners, the BOM, interlinear annotations), line
# and paragraph separators, private use, noncharacters and tags. Explicit ranges, never
# Unicode classes, whose tables differ between builds (see events.goregexp).
INVISIBLE = (
    r"\x80-\x9f\x{AD}\x{61C}\x{180E}\x{200B}-\x{200F}\x{2028}-\x{202E}\x{2060}-\x{206F}"
    r"\x{FEFF}\x{FFF9}-\x{FFFB}\x{FFFE}\x{FFFF}\x{E000}-\x{F8FF}\x{E0000}-\x{E007F}"
    r"\x{F0000}-\x{10FFFF}"
)
# White space by Python's str.isspace: text made only of these is "only spaces".
SPACES = (
    r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}"
    r"\x{202F}\x{205F}\x{3000}"
)
# The contract's marks refused in every string (`{{`, `}}`, `$`): one `!=` filter.
TEMPLATING = "|".join(re.escape(mark) for mark in FORBIDDEN_MARKS)
_JSON_STRING = r'"(?:[^"\\\x{FFFD}]|\\.)%s"'
_JSON_INTEGER = r"-?(?:0|[1-9][0-9]*)"
_UNBOUNDED = re.compile(r"[*+]|\{[0-9]+,\}")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_]+")
_SPECIAL = re.compile(r"[\\.+*?()|\[\]{}^$]")
_PERL_CLASS = re.compile(r"\\[dDwWsSbB]")


def contract_pattern(name: str, pattern: str) -> str:
    """A contract pattern, used verbatim: pydantic (Rust's regex crate) and Go's regexp both
    search anywhere in the value and read `^`, `$`, classes and repetitions alike, except the
    Perl classes, which are Unicode in Rust and ASCII in Go."""
    if _PERL_CLASS.search(pattern.replace("\\\\", "")):
        raise ValueError(
            f"field {name}: pattern {pattern!r}: \\d, \\w, \\s and \\b mean other characters "
            "to pydantic than to Go's regexp; write the class out, as [0-9]"
        )
    return goregexp.check(pattern)


def one_of(values: tuple[str, ...]) -> str:
    return "^(?:" + "|".join(_SPECIAL.sub(r"\\\g<0>", str(v)) for v in values) + ")$"


def choices(name: str, rule: FieldRule, settings: Settings) -> tuple[str, ...]:
    """The values a field takes; the allowed regions are a setting, as the model's validator
    takes them."""
    return tuple(settings.allowed_regions) if name == "region" else rule.choices


def accepts_empty(rule: FieldRule, allowed: tuple[str, ...]) -> bool:
    """Whether the contract takes "" for a string field whose values are `allowed` (if any)."""
    if allowed:
        return "" in allowed
    if rule.printable or (rule.min_length or 0) > 0:
        return False
    return rule.pattern is None or goregexp.matches(rule.pattern, "")


def body_shape(rules: Mapping[str, FieldRule], settings: Settings) -> str:
    """The regular expression the body's JSON text must match (rule 1 above)."""
    groups: dict[str, list[str]] = {}
    for name, rule in rules.items():
        if not _PLAIN_NAME.fullmatch(name):
            raise ValueError(f"field {name!r}: the body filter needs names of [A-Za-z0-9_]")
        if rule.type == "integer":
            value = _JSON_INTEGER
        else:
            empty = accepts_empty(rule, choices(name, rule, settings))
            value = _JSON_STRING % ("*" if empty else "+")
        groups.setdefault(value, []).append(name)
    member = "|".join(f'"(?:{"|".join(names)})":{value}' for value, names in groups.items())
    return rf"^\{{(?:(?:{member})(?:,(?:{member}))*)?\}}$"


def _path(name: str, rule: FieldRule) -> str:
    if rule.required:
        return f"{BODY}.{name}"
    default = rule.default
    literal = str(default) if isinstance(default, int) else f'"{default or ""}"'
    return f"[{BODY}.{name},!{literal}]|0"


def _string(path: str, *patterns: str, comparator: str | None = None) -> em.DataFilter:
    checked = [goregexp.check(pattern) for pattern in patterns]
    return em.DataFilter(path=path, type="string", value=checked, comparator=comparator)


def _free_text(path: str, rule: FieldRule, absent: tuple[str, ...]) -> list[em.DataFilter]:
    forbidden = CONTROL + (INVISIBLE if rule.printable else "")
    low, high = rule.min_length or 0, rule.max_length or MAX_STRING
    found = [_string(path, f"^[^{forbidden}]{{{low},{high}}}$", *absent)]
    if rule.no_templating:
        found.append(_string(path, TEMPLATING, comparator="!="))
    if rule.printable:
        found.append(_string(path, f"[^{SPACES}]", *absent))
    return found


def field_filters(name: str, rule: FieldRule, settings: Settings) -> list[em.DataFilter]:
    """The filters of one field (rule 2 above)."""
    path = _path(name, rule)
    absent = () if rule.required or rule.default is not None else ("^$",)
    if rule.type == "integer":
        bounds = ((">=", rule.minimum), ("<=", rule.maximum))
        return [
            em.DataFilter(path=path, type="number", comparator=op, value=[str(bound)])
            for op, bound in bounds
            if bound is not None
        ]
    allowed = choices(name, rule, settings)
    if allowed:
        return [_string(path, one_of(allowed), *absent)]
    if rule.pattern is None:
        return _free_text(path, rule, absent)
    found = [_string(path, contract_pattern(name, rule.pattern), *absent)]
    if rule.max_length and _UNBOUNDED.search(rule.pattern):
        found.append(_string(path, f"(?s)^.{{{rule.min_length or 0},{rule.max_length}}}$"))
    return found


def data_filters(model: type[RequestBase], settings: Settings) -> list[em.DataFilter]:
    """Every filter of a kind's Sensor, the body's shape first."""
    rules = field_rules(model)
    found = [_string(BODY, body_shape(rules, settings))]
    for name, rule in rules.items():
        found += field_filters(name, rule, settings)
    return found


def action_route(model: type[RequestBase], *, preview: bool) -> em.DataFilter:
    """The filter that sends an event to the preview's trigger (`preview`) or to the request's
    (not): the action, as rule 2 reads it (absent: the default), is `preview`, or is not."""
    path = _path("action", field_rules(model)["action"])
    return _string(path, one_of((PREVIEW,)), comparator=None if preview else "!=")
