"""The rule query language: `@Hikvision AND (Uyghur OR Xinjiang OR "human rights") AND NOT football`.

Grammar (AND binds tighter than OR; a space between two terms is an implicit AND):

    query   := or
    or      := and ("OR" and)*
    and     := not (["AND"] not)*
    not     := "NOT" not | near
    near    := atom ("NEAR/" n atom)*          -- at most n words between them, same field
    atom    := "(" or ")" | "title:" atom | "@" name | "@" "quoted name" | "phrase" | word[*]
             | "source:" glob | "lang:" code       -- the article's source (name, * and ? allowed), language

Terms match like aliases (case- and accent-folded, whole words; CJK inside words); a trailing `*`
matches any word starting with the stem. `@Entity` is true where the matcher found that entity
(weak aliases and context already applied). `source:` and `lang:` test the article's source name
(a glob: `source:cn-*`) and language code (`lang:zh`). Parse errors name the position in the query.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence, Union

from pipeline.models import Mention
from pipeline.match.textnorm import fold, fold_term, is_cjk

FIELDS = ("title", "text")
_TOKEN = re.compile(
    r'\s*(?:(?P<lparen>\()|(?P<rparen>\))|(?P<near>NEAR/(?P<n>\d+))|(?P<title>title:)'
    r'|(?P<meta>(?:source|lang):[^\s()"]+)'
    r'|(?P<entity>@(?:"[^"]*"|[^\s()"]+))|(?P<phrase>"[^"]*")|(?P<word>[^\s()"]+))'
)
_WORDS = re.compile(r"\w+", re.UNICODE)


class QueryError(ValueError):
    """A query that cannot be parsed; says where."""

    def __init__(self, message: str, position: int, query: str):
        self.position = position
        super().__init__(f"{message} at position {position + 1}: {query[:position]}⟨here⟩{query[position:]}")


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # folded tokens
    prefix: bool
    label: str


@dataclass(frozen=True)
class Entity:
    name: str


@dataclass(frozen=True)
class Not:
    operand: "Node"


@dataclass(frozen=True)
class And:
    operands: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    operands: tuple["Node", ...]


@dataclass(frozen=True)
class Near:
    left: "Node"
    right: "Node"
    distance: int


@dataclass(frozen=True)
class Meta:
    """`source:cn-*` or `lang:zh`: a property of the article, not a word in it."""

    key: str  # source | lang
    pattern: str


@dataclass(frozen=True)
class Scoped:
    field: str
    operand: "Node"


Node = Union[Term, Entity, Not, And, Or, Near, Scoped, Meta]


@dataclass
class _Lexeme:
    kind: str
    value: str
    position: int


def _lex(query: str) -> list[_Lexeme]:
    lexemes: list[_Lexeme] = []
    position = 0
    while position < len(query):
        if query[position:].strip() == "":
            break
        match = _TOKEN.match(query, position)
        if not match or match.end() == position:
            at = len(query[:position]) + (len(query[position:]) - len(query[position:].lstrip()))
            problem = "unclosed quote" if query[at : at + 1] == '"' else "unexpected character"
            raise QueryError(problem, at, query)
        kind = match.lastgroup if match.lastgroup != "n" else "near"
        start = match.start(kind)
        value = match.group(kind)
        if kind == "near":
            value = match.group("n")
        elif kind == "word" and value in ("AND", "OR", "NOT"):
            kind = value.lower()
        lexemes.append(_Lexeme(kind, value, start))
        position = match.end()
    return lexemes


class _Parser:
    def __init__(self, query: str, entities: Iterable[str] | None):
        self.query = query
        self.lexemes = _lex(query)
        self.index = 0
        self.entities = set(entities) if entities is not None else None

    def peek(self) -> _Lexeme | None:
        return self.lexemes[self.index] if self.index < len(self.lexemes) else None

    def take(self) -> _Lexeme:
        lexeme = self.peek()
        if lexeme is None:
            raise QueryError("unexpected end of query", len(self.query), self.query)
        self.index += 1
        return lexeme

    def parse(self) -> Node:
        if not self.lexemes:
            raise QueryError("empty query", 0, self.query)
        node = self.parse_or()
        extra = self.peek()
        if extra is not None:
            raise QueryError(f"unexpected {extra.value!r}", extra.position, self.query)
        return node

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while self.peek() and self.peek().kind == "or":
            self.take()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def parse_and(self) -> Node:
        operands = [self.parse_not()]
        while (lexeme := self.peek()) and lexeme.kind not in ("or", "rparen"):
            if lexeme.kind == "and":
                self.take()
            operands.append(self.parse_not())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def parse_not(self) -> Node:
        if self.peek() and self.peek().kind == "not":
            self.take()
            return Not(self.parse_not())
        return self.parse_near()

    def parse_near(self) -> Node:
        node = self.parse_atom()
        while self.peek() and self.peek().kind == "near":
            distance = int(self.take().value)
            node = Near(node, self.parse_atom(), distance)
        return node

    def parse_atom(self) -> Node:
        lexeme = self.take()
        if lexeme.kind == "lparen":
            node = self.parse_or()
            closing = self.peek()
            if closing is None or closing.kind != "rparen":
                raise QueryError("missing ')'", closing.position if closing else len(self.query), self.query)
            self.take()
            return node
        if lexeme.kind == "title":
            return Scoped("title", self.parse_atom())
        if lexeme.kind == "entity":
            name = lexeme.value[1:].strip('"')
            if self.entities is not None and name not in self.entities:
                raise QueryError(f"no watchlist entity named {name!r}", lexeme.position, self.query)
            return Entity(name)
        if lexeme.kind == "meta":
            key, _, pattern = lexeme.value.partition(":")
            return Meta(key, pattern.lower() if key == "lang" else pattern)
        if lexeme.kind in ("phrase", "word"):
            return _term(lexeme, self.query)
        raise QueryError(f"unexpected {lexeme.value!r}", lexeme.position, self.query)


def _term(lexeme: _Lexeme, query: str) -> Term:
    raw = lexeme.value.strip('"')
    prefix = lexeme.kind == "word" and raw.endswith("*")
    words = tuple(_tokens(fold_term(raw.rstrip("*"))))
    if not words:
        raise QueryError("empty term", lexeme.position, query)
    return Term(words, prefix, raw)


def parse_query(query: str, entities: Iterable[str] | None = None) -> Node:
    """Parse a rule query; `entities` (if given) are the names `@Entity` may use."""
    return _Parser(query, entities).parse()


def _tokens(folded: str) -> list[str]:
    """Word tokens; each CJK character is a token of its own (no spaces between CJK words)."""
    return [token for m in _WORDS.finditer(folded) for _, token in _split_cjk(m.group(), m.start())]


@dataclass
class _Field:
    tokens: list[str]
    starts: list[int]  # original char offset of each token


@dataclass
class Document:
    """An article prepared for queries: tokens per field and where the entities were found."""

    fields: dict[str, _Field]
    entity_hits: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)  # source, lang

    @classmethod
    def build(cls, texts: Mapping[str, str], mentions: Sequence[Mention],
              meta: Mapping[str, str | None] | None = None) -> "Document":
        fields = {}
        for name, text in texts.items():
            folded = fold(text or "")
            tokens, starts = [], []
            for match in _WORDS.finditer(folded.text):
                for offset, token in _split_cjk(match.group(), match.start()):
                    tokens.append(token)
                    starts.append(folded.to_original(offset))
            fields[name] = _Field(tokens, starts)
        hits: dict[str, list[tuple[str, int, int]]] = {}
        for mention in mentions:
            f = fields.get(mention.field)
            first = bisect_right(f.starts, mention.position) - 1 if f else 0
            last = bisect_right(f.starts, mention.position + mention.length - 1) - 1 if f else 0
            hits.setdefault(mention.entity, []).append((mention.field, max(0, first), max(0, last)))
        return cls(fields, hits, {k: v for k, v in (meta or {}).items() if v})


def _split_cjk(word: str, start: int) -> list[tuple[int, str]]:
    """(offset, token) pieces of a \\w+ run: Latin runs stay whole, each CJK character stands alone."""
    if not any(is_cjk(c) for c in word):
        return [(start, word)]
    pieces, run, run_start = [], "", start
    for i, c in enumerate(word):
        if is_cjk(c):
            if run:
                pieces.append((run_start, run))
                run = ""
            pieces.append((start + i, c))
        else:
            if not run:
                run_start = start + i
            run += c
    if run:
        pieces.append((run_start, run))
    return pieces


Hits = list[tuple[str, int, int]]  # (field, first token, last token)
_TRUE_WITHOUT_POSITION: Hits = [("", -1, -1)]


@dataclass
class Evaluation:
    matched: bool
    terms: list[str]  # the positive terms that matched, for "why"


def evaluate(node: Node, document: Document) -> Evaluation:
    terms: list[str] = []
    hits = _eval(node, document, FIELDS, terms)
    return Evaluation(bool(hits), list(dict.fromkeys(terms)) if hits else [])


def _eval(node: Node, doc: Document, scope: Sequence[str], terms: list[str]) -> Hits:
    if isinstance(node, Term):
        hits = _term_hits(node, doc, scope)
        if hits:
            terms.append(node.label)
        return hits
    if isinstance(node, Entity):
        hits = [h for h in doc.entity_hits.get(node.name, []) if h[0] in scope]
        if hits:
            terms.append("@" + node.name)
        return hits
    if isinstance(node, Scoped):
        return _eval(node.operand, doc, [node.field], terms)
    if isinstance(node, Meta):
        value = doc.meta.get(node.key, "")
        if node.key == "lang":
            value = value.lower().split("-")[0]
        if value and fnmatchcase(value, node.pattern):
            terms.append(f"{node.key}:{node.pattern}")
            return list(_TRUE_WITHOUT_POSITION)
        return []
    if isinstance(node, Not):
        return [] if _eval(node.operand, doc, scope, []) else list(_TRUE_WITHOUT_POSITION)
    if isinstance(node, And):
        collected: Hits = []
        for operand in node.operands:
            hits = _eval(operand, doc, scope, terms)
            if not hits:
                return []
            collected += hits
        return collected
    if isinstance(node, Or):
        collected = []
        for operand in node.operands:
            collected += _eval(operand, doc, scope, terms)
        return collected
    if isinstance(node, Near):
        left = [h for h in _eval(node.left, doc, scope, terms) if h[1] >= 0]
        right = [h for h in _eval(node.right, doc, scope, terms) if h[1] >= 0]
        return [a for a in left for b in right if a[0] == b[0] and _gap(a, b) <= node.distance]
    raise TypeError(node)


def describe(node: Node) -> str:
    """A node written back as query text, for messages."""
    if isinstance(node, Term):
        return f'"{node.label}"' if " " in node.label else node.label
    if isinstance(node, Entity):
        return f'@"{node.name}"' if " " in node.name else f"@{node.name}"
    if isinstance(node, Meta):
        return f"{node.key}:{node.pattern}"
    if isinstance(node, Scoped):
        return f"title:{describe(node.operand)}"
    if isinstance(node, Not):
        return f"NOT {describe(node.operand)}"
    if isinstance(node, Near):
        return f"{describe(node.left)} NEAR/{node.distance} {describe(node.right)}"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(describe(o) for o in node.operands) + ")"


def why_not(node: Node, document: Document) -> str:
    """The clause that made a query fail, in words ('Xinjiang was not found')."""
    return _why_not(node, document, FIELDS)


def _why_not(node: Node, doc: Document, scope: Sequence[str]) -> str:
    if isinstance(node, And):
        for operand in node.operands:
            if not _eval(operand, doc, scope, []):
                return _why_not(operand, doc, scope)
    if isinstance(node, Scoped):
        return f"{_why_not(node.operand, doc, [node.field])} in the title"
    if isinstance(node, Not):
        return f"{describe(node.operand)} was found (the query says NOT)"
    if isinstance(node, Or):
        return "none of " + ", ".join(describe(o) for o in node.operands) + " was found"
    if isinstance(node, Near):
        return f"{describe(node.left)} and {describe(node.right)} are not within {node.distance} words"
    if isinstance(node, Meta):
        return f"{node.key} is {doc.meta.get(node.key) or 'unknown'}, not {node.pattern}"
    return f"{describe(node)} was not found"


def _gap(a: tuple[str, int, int], b: tuple[str, int, int]) -> int:
    """Words between two spans (0 when adjacent or overlapping)."""
    return max(0, b[1] - a[2] - 1, a[1] - b[2] - 1)


def _term_hits(term: Term, doc: Document, scope: Sequence[str]) -> Hits:
    hits: Hits = []
    size = len(term.words)
    for name in scope:
        f = doc.fields.get(name)
        if f is None:
            continue
        tokens = f.tokens
        for i in range(len(tokens) - size + 1):
            if tokens[i : i + size - 1] != list(term.words[:-1]):
                continue
            last = tokens[i + size - 1]
            if last == term.words[-1] or (term.prefix and last.startswith(term.words[-1])):
                hits.append((name, i, i + size - 1))
    return hits
