"""Where a config problem is, said the way the user can find it: 'line 12: rules[ngo-team].channels[0]'.

Paths are tuples of keys and list indexes, in the schema's (new) key names. A top-level key that
was written under its old name is shown as written (`alerts[ngo-team]…`), sources and rules are
named by their `name` (an index says little in a config of 200 sources), and the line comes from
the YAML reader's key lines: the key itself, else the nearest enclosing key or list item.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from types import NoneType, UnionType
from typing import Any, Mapping

from pydantic import BaseModel

from pipeline.config.yaml_lines import KeyPath

NAMED_LISTS = ("sources", "rules", "alerts")  # entries shown by name: sources[cdt], rules[ngo-team]
# (`alerts` is the old name of `rules`)


@dataclass(frozen=True)
class Locator:
    tree: Mapping[str, Any] = field(default_factory=dict)  # as written (before renames)
    lines: Mapping[KeyPath, int] = field(default_factory=dict)  # as written
    renamed: Mapping[KeyPath, str] = field(default_factory=dict)  # new path -> the old key written there

    def as_written(self, path: KeyPath) -> KeyPath:
        parts = list(path)
        for length in range(1, len(parts) + 1):
            old = self.renamed.get(tuple(path[:length]))
            if old is not None:
                parts[length - 1] = old
        return tuple(parts)

    def line(self, path: KeyPath) -> int | None:
        written = self.as_written(path)
        for length in range(len(written), 0, -1):
            if written[:length] in self.lines:
                return self.lines[written[:length]]
        return None

    def name(self, path: KeyPath) -> str:
        """('rules', 0, 'channels', 0) -> 'rules[ngo-team].channels[0]' (or 'alerts[…]' as written)."""
        written = self.as_written(path)
        text = ""
        for position, part in enumerate(written):
            if isinstance(part, int):
                text += f"[{self._item_label(written[:position], part)}]"
            else:
                text = f"{text}.{part}" if text else str(part)
        return text or "(top)"

    def _item_label(self, holder: KeyPath, index: int) -> str:
        if len(holder) != 1 or holder[0] not in NAMED_LISTS:
            return str(index)
        items = self.tree.get(holder[0])
        if not isinstance(items, list) or index >= len(items) or not isinstance(items[index], dict):
            return str(index)
        name = items[index].get("name")
        names = [item.get("name") for item in items if isinstance(item, dict)]
        if not isinstance(name, str) or not name.strip() or names.count(name) > 1 or set("[]") & set(name):
            return str(index)
        return name

    def say(self, path: KeyPath, message: str) -> str:
        """'line 12: rules[ngo-team].channels[0]: no channel named …'."""
        line = self.line(path)
        where = f"line {line}: " if line is not None else ""
        return f"{where}{self.name(path)}: {message}"


def _unwrap(annotation: Any) -> list[Any]:
    """The types a field annotation may hold, Annotated, Optional and unions opened up."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, UnionType):
        return [t for arg in typing.get_args(annotation) if arg is not NoneType for t in _unwrap(arg)]
    return [annotation]


def fields_at(model: type[BaseModel], loc: KeyPath) -> list[str]:
    """The keys the model accepts at `loc` (a section, a list item, a mapping value), for 'did you mean'."""
    current: list[Any] = [model]
    for part in loc:
        following: list[Any] = []
        for kind in (t for option in current for t in _unwrap(option)):
            if isinstance(kind, type) and issubclass(kind, BaseModel) and isinstance(part, str):
                found = next((f for n, f in kind.model_fields.items() if part in (n, f.alias)), None)
                if found is not None:
                    following.append(found.annotation)
            elif typing.get_origin(kind) in (list, dict) and typing.get_args(kind):
                following.append(typing.get_args(kind)[-1])
        current = following
    names: list[str] = []
    for kind in (t for option in current for t in _unwrap(option)):
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            names += [f.alias or n for n, f in kind.model_fields.items() if not f.exclude]
    return names
