"""Read config YAML keeping what a good error message needs: the line of every key, duplicate keys,
and where an unclosed quote opened.

PyYAML's `safe_load` keeps the last of two equal keys without a word (two `every:` in one source,
two top-level `watchlist:`: the first list is gone) and reports an unclosed quote where the scanner
gave up, often the end of the file. Here the document is composed into nodes first, the node tree is
walked for key lines and duplicates, and only then constructed, with the same safe constructors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

KeyPath = tuple[Any, ...]  # ('sources', 0, 'every'): keys and list indexes from the top


class YamlSyntaxError(Exception):
    """Not valid YAML; the message starts with the line (and column) to look at."""


@dataclass(frozen=True)
class Duplicate:
    path: KeyPath  # of the repeated key
    lines: tuple[int, ...]  # every line that gives it, first first


@dataclass
class YamlDocument:
    tree: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)  # 1-based line of each key or list item
    duplicates: list[Duplicate] = field(default_factory=list)


def read_yaml(text: str) -> YamlDocument:
    """The parsed tree with its key lines and duplicate keys; YamlSyntaxError names the line."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        document = YamlDocument(None)
        if node is not None:
            _walk(loader, node, (), document, set())
            document.tree = loader.construct_document(node)
        return document
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(describe_syntax_error(exc, text)) from None
    finally:
        loader.dispose()


def _walk(loader: yaml.SafeLoader, node: yaml.Node, path: KeyPath, document: YamlDocument,
          active: set[int]) -> None:
    if id(node) in active:  # an alias of an enclosing node: walked once is enough
        return
    active.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, list[int]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue  # the constructor reports an unhashable key itself
            line = key_node.start_mark.line + 1
            seen.setdefault(key, []).append(line)
            document.lines.setdefault((*path, key), line)
            _walk(loader, value_node, (*path, key), document, active)
        document.duplicates += [Duplicate((*path, key), tuple(lines)) for key, lines in seen.items()
                                if len(lines) > 1]
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            document.lines.setdefault((*path, index), item.start_mark.line + 1)
            _walk(loader, item, (*path, index), document, active)
    active.discard(id(node))


def _at(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def describe_syntax_error(exc: yaml.YAMLError, text: str) -> str:
    """Where to look first: an unclosed quote where it opened, else the parser's own place."""
    context = getattr(exc, "context", None) or ""
    context_mark = getattr(exc, "context_mark", None)
    problem_mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if "quoted scalar" in context and context_mark is not None:
        return f"{_at(context_mark)}: this quote is never closed (the file ends inside it)"
    runaway = _runaway_quote(text, problem_mark)
    if runaway is not None:
        start, end = runaway
        return (f"{_at(start)}: this quote is closed only on line {end.line + 1}: is its closing "
                f"quote missing? (then at {_at(problem_mark)}: {problem})")
    where = f"{_at(problem_mark)}: " if problem_mark is not None else ""
    inside = f" ({context} at line {context_mark.line + 1})" if context and context_mark is not None else ""
    return f"{where}not valid YAML: {problem}{inside}"


def _runaway_quote(text: str, before: Any) -> tuple[Any, Any] | None:
    """The first quoted string, up to the error, that runs over a line end: in a config that is
    almost always a quote left open that the next quote on a later line closed."""
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if before is not None and token.start_mark.index >= before.index:
                break
            if (isinstance(token, yaml.ScalarToken) and token.style in ('"', "'")
                    and token.end_mark.line > token.start_mark.line):
                return token.start_mark, token.end_mark
    except yaml.YAMLError:
        pass
    return None
