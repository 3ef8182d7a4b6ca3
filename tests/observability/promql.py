"""Just enough PromQL reading to find which metrics and labels a query uses.

Not a parser: strings, Grafana variables, label matchers and grouping clauses are cut out, and
what remains that looks like an identifier and is not a function, keyword or duration is a
metric name. Good for the queries we write; the tests below it check it on tricky ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KEYWORDS = {
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "inf",
    "nan",
}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GRAFANA_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+")
_SELECTOR = re.compile(r"([a-zA-Z_:][\w:]*)?\s*\{([^}]*)\}")
_MATCHER_LABEL = re.compile(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_IDENTIFIER = re.compile(r"(?<![\w.:$])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()")
_RANGE = re.compile(r"\[[^\]]*\]")


@dataclass
class Query:
    """The metrics a query reads, the labels it matches on each, and the labels it groups by."""

    metrics: set[str] = field(default_factory=set)
    matchers: dict[str, set[str]] = field(default_factory=dict)
    grouping: set[str] = field(default_factory=set)


def read(expr: str) -> Query:
    """The metric names and labels ``expr`` refers to."""
    query = Query()
    text = _STRING.sub('""', expr)
    text = _GRAFANA_VARIABLE.sub("1m", text)
    text = _RANGE.sub(" ", text)

    def selector(match: re.Match[str]) -> str:
        name, body = match.group(1), match.group(2)
        labels = set(_MATCHER_LABEL.findall(body))
        if name and name not in KEYWORDS:
            query.metrics.add(name)
            query.matchers.setdefault(name, set()).update(labels)
        return " "

    text = _SELECTOR.sub(selector, text)

    def grouping(match: re.Match[str]) -> str:
        query.grouping.update(x.strip() for x in match.group(2).split(",") if x.strip())
        return " "

    text = _GROUPING.sub(grouping, text)
    for name in _IDENTIFIER.findall(text):
        if name not in KEYWORDS and not re.fullmatch(r"\d.*", name):
            query.metrics.add(name)
    return query


_LABEL_VALUES = re.compile(r"^\s*label_values\((?:(.*),)?\s*([a-zA-Z_]\w*)\s*\)\s*$", re.S)


def read_variable(definition: str) -> tuple[Query, str | None]:
    """A Grafana variable query: ``label_values(selector, label)`` → (its selector, the label)."""
    match = _LABEL_VALUES.match(definition)
    if match is None:
        return read(definition), None
    return read(match.group(1) or ""), match.group(2)
