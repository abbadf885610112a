"""A small evaluator for the subset of X's search query language the core emits.

Used by the sample source and the fake X server to decide which posts a query
matches, and to reject malformed queries the way X does (with a `ValueError`
whose message reads like X's). Supported:

- keywords, `"exact phrases"`, `#hashtags`, `@mentions`, `$cashtags`;
- `from:handle`, `lang:xx`, `is:retweet|reply|quote|verified|nullcast`,
  `has:links|hashtags|mentions`;
- `min_likes:N`, `min_reposts:N` (and its old name `min_retweets:N`),
  `min_replies:N`: engagement thresholds on the post's public metrics (X re-enabled
  them in 2026; they may stand alone);
- implicit AND (space), `OR`, parentheses, `-` negation.

As on X, AND binds tighter than OR, and `lang:`/`is:`/`has:` cannot stand alone:
a query needs at least one positive keyword-like clause. Keyword matching is
tokenized and case-insensitive; a keyword also matches the same word used as a
hashtag or mention, which is close enough to X for sample data.

`is:nullcast` (promoted-only posts, i.e. ads) reads the private `_nullcast` flag
that the fake world sets on a post; X never sends such a field, and the fakes strip
keys starting with `_` before answering. `Matcher.operators` lists the operators a
query uses, so a fake server can refuse some of them the way X does for an app
whose product lacks them.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

MAX_QUERY_LENGTH = 512

_PREFIX = "There were errors processing your request: "
_WORD_RE = re.compile(r"[#@$]?\w+", re.UNICODE)
_OPERATOR_RE = re.compile(r"^([a-z_]+):(.*)$", re.IGNORECASE)
# Operators that may not be the only positive clause of a query.
_CONJUNCTION_REQUIRED = {"lang", "is", "has"}
_IS_VALUES = {"retweet", "reply", "quote", "verified", "nullcast"}
_HAS_VALUES = {"links", "hashtags", "mentions"}
# min_* operator -> the public_metrics fields it compares (first present wins)
_THRESHOLDS: dict[str, tuple[str, ...]] = {
    "min_likes": ("like_count",),
    "min_reposts": ("repost_count", "retweet_count"),
    "min_retweets": ("repost_count", "retweet_count"),
    "min_replies": ("reply_count",),
}
_OPERATORS = {"lang", "is", "has", "from", *_THRESHOLDS}


@lru_cache(maxsize=1 << 16)
def _tokens(text: str) -> tuple[tuple[str, ...], frozenset[str], frozenset[str]]:
    """(words, hashtags, mentions) of a post text, casefolded; cached, as generated
    datasets repeat texts and a server matches the same posts query after query."""
    tokens = [t.casefold() for t in _WORD_RE.findall(text)]
    return (
        tuple(t.lstrip("#@$") for t in tokens),
        frozenset(t[1:] for t in tokens if t.startswith("#")),
        frozenset(t[1:] for t in tokens if t.startswith("@")),
    )


class _Ctx:
    """One post (and its author) pre-tokenized for matching."""

    __slots__ = ("author", "hashtags", "lang", "mentions", "post", "text", "words")

    def __init__(self, post: Mapping[str, Any], author: Mapping[str, Any] | None) -> None:
        self.post = post
        self.author = author
        self.text = str(post.get("text") or "")
        self.words, self.hashtags, self.mentions = _tokens(self.text)
        self.lang = str(post.get("lang") or "").casefold()

    def has_sequence(self, seq: Sequence[str]) -> bool:
        if not seq:
            return False
        n = len(seq)
        first = seq[0]
        wanted = tuple(seq)
        return any(
            self.words[i] == first and self.words[i : i + n] == wanted
            for i in range(len(self.words) - n + 1)
        )

    def metric(self, names: Sequence[str]) -> int:
        metrics = self.post.get("public_metrics")
        if not isinstance(metrics, Mapping):
            return 0
        for name in names:
            value = metrics.get(name)
            if value is not None:
                try:
                    return int(value)
                except (TypeError, ValueError):
                    return 0
        return 0

    def entity_mentions(self) -> bool:
        entities = self.post.get("entities")
        return isinstance(entities, Mapping) and bool(entities.get("mentions"))

    def ref_types(self) -> set[str]:
        refs = self.post.get("referenced_tweets")
        if not isinstance(refs, list):
            return set()
        return {str(r.get("type")) for r in refs if isinstance(r, Mapping)}


class _Node(Protocol):
    def matches(self, ctx: _Ctx) -> bool: ...

    def standalone(self) -> bool:
        """True when this clause makes the query acceptable on its own (positive, keyword-like)."""
        ...


def _words(text: str) -> list[str]:
    return [t.casefold().lstrip("#@$") for t in _WORD_RE.findall(text)]


@dataclass(frozen=True, slots=True)
class _Keyword:
    seq: tuple[str, ...]

    def matches(self, ctx: _Ctx) -> bool:
        if len(self.seq) == 1:
            return self.seq[0] in ctx.words
        return ctx.has_sequence(self.seq)

    def standalone(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class _Tagged:
    kind: str  # "#", "@" or "$"
    value: str

    def matches(self, ctx: _Ctx) -> bool:
        if self.kind == "#":
            return self.value in ctx.hashtags
        if self.kind == "@":
            return self.value in ctx.mentions
        return f"${self.value}" in ctx.text.casefold()

    def standalone(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class _Operator:
    name: str
    value: str

    def matches(self, ctx: _Ctx) -> bool:
        if self.name == "lang":
            return ctx.lang == self.value
        if self.name == "from":
            if ctx.author is not None:
                handle = str(ctx.author.get("username") or "").casefold()
                if handle == self.value:
                    return True
            return str(ctx.post.get("author_id") or "") == self.value
        if self.name == "is":
            return self._is(ctx)
        if self.name in _THRESHOLDS:
            return ctx.metric(_THRESHOLDS[self.name]) >= int(self.value)
        return self._has(ctx)

    def _is(self, ctx: _Ctx) -> bool:
        refs = ctx.ref_types()
        if self.value == "retweet":
            return "retweeted" in refs or ctx.text.startswith("RT @")
        if self.value == "reply":
            return "replied_to" in refs or bool(ctx.post.get("in_reply_to_user_id"))
        if self.value == "quote":
            return "quoted" in refs
        if self.value == "nullcast":
            return bool(ctx.post.get("_nullcast"))
        return ctx.author is not None and bool(ctx.author.get("verified"))

    def _has(self, ctx: _Ctx) -> bool:
        if self.value == "links":
            entities = ctx.post.get("entities")
            urls = entities.get("urls") if isinstance(entities, Mapping) else None
            return bool(urls) or "http://" in ctx.text or "https://" in ctx.text
        if self.value == "hashtags":
            return bool(ctx.hashtags)
        return bool(ctx.mentions) or ctx.entity_mentions()

    def standalone(self) -> bool:
        return self.name not in _CONJUNCTION_REQUIRED


@dataclass(frozen=True, slots=True)
class _Not:
    child: _Node

    def matches(self, ctx: _Ctx) -> bool:
        return not self.child.matches(ctx)

    def standalone(self) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class _And:
    children: tuple[_Node, ...]

    def matches(self, ctx: _Ctx) -> bool:
        return all(c.matches(ctx) for c in self.children)

    def standalone(self) -> bool:
        return any(c.standalone() for c in self.children)


@dataclass(frozen=True, slots=True)
class _Or:
    children: tuple[_Node, ...]

    def matches(self, ctx: _Ctx) -> bool:
        return any(c.matches(ctx) for c in self.children)

    def standalone(self) -> bool:
        # every alternative must be able to select posts by itself
        return all(c.standalone() for c in self.children)


@dataclass(frozen=True, slots=True)
class UsedOperator:
    """An operator as written in a query: `min_likes` with value `100` at position 12."""

    name: str
    value: str
    pos: int


@dataclass(frozen=True, slots=True)
class Matcher:
    """A parsed query: call it with a v2 post object and its author's v2 user object."""

    query: str
    root: _Node
    operators: tuple[UsedOperator, ...] = ()

    def first_of(self, names: Container[str]) -> UsedOperator | None:
        """The first operator used whose `name` or `name:value` is in `names`."""
        for op in self.operators:
            if op.name in names or f"{op.name}:{op.value}" in names:
                return op
        return None

    def __call__(self, post: Mapping[str, Any], author: Mapping[str, Any] | None = None) -> bool:
        return self.root.matches(_Ctx(post, author))


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", "OR", "-", "phrase", "word"
    text: str
    pos: int  # 1-based, as X reports positions


def _error(detail: str, pos: int | None = None) -> ValueError:
    where = f" (at position {pos})" if pos is not None else ""
    return ValueError(f"{_PREFIX}{detail}{where}")


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    n = len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Token(ch, ch, i + 1))
            i += 1
        elif ch == '"':
            j = i + 1
            buf: list[str] = []
            while j < n and query[j] != '"':
                if query[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(query[j])
                j += 1
            if j >= n:
                raise _error("Unmatched quote", i + 1)
            tokens.append(_Token("phrase", "".join(buf), i + 1))
            i = j + 1
        elif ch == "-" and i + 1 < n and not query[i + 1].isspace():
            tokens.append(_Token("-", ch, i + 1))
            i += 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in '()"':
                j += 1
            word = query[i:j]
            tokens.append(_Token("OR" if word == "OR" else "word", word, i + 1))
            i = j
    return tokens


class _Parser:
    """Recursive descent: or := and ('OR' and)*; and := unary+; unary := '-'? atom."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.operators: list[UsedOperator] = []

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def parse(self) -> _Node:
        node = self.parse_or()
        tok = self.peek()
        if tok is not None:
            if tok.kind == ")":
                raise _error("Unmatched parenthesis", tok.pos)
            raise _error(f"Unexpected {tok.text!r}", tok.pos)
        return node

    def parse_or(self) -> _Node:
        children = [self.parse_and()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.i += 1
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else _Or(tuple(children))

    def parse_and(self) -> _Node:
        children: list[_Node] = []
        while (tok := self.peek()) is not None and tok.kind not in {")", "OR"}:
            children.append(self.parse_unary())
        if not children:
            tok = self.peek()
            pos = tok.pos if tok is not None else None
            what = f"{tok.text!r}" if tok is not None else "end of query"
            raise _error(f"Expected a term before {what}", pos)
        return children[0] if len(children) == 1 else _And(tuple(children))

    def parse_unary(self) -> _Node:
        tok = self.tokens[self.i]
        if tok.kind == "-":
            self.i += 1
            if self.peek() is None or self.tokens[self.i].kind in {")", "OR", "-"}:
                raise _error("Negation must be followed by a term", tok.pos)
            return _Not(self.parse_atom())
        return self.parse_atom()

    def parse_atom(self) -> _Node:
        tok = self.tokens[self.i]
        self.i += 1
        if tok.kind == "(":
            inner = self.parse_or()
            close = self.peek()
            if close is None or close.kind != ")":
                raise _error("Unmatched parenthesis", tok.pos)
            self.i += 1
            return inner
        if tok.kind == "phrase":
            seq = tuple(_words(tok.text))
            if not seq:
                raise _error("Empty quoted phrase", tok.pos)
            return _Keyword(seq)
        node = _word(tok)
        if isinstance(node, _Operator):
            self.operators.append(UsedOperator(node.name, node.value, tok.pos))
        return node


def _word(tok: _Token) -> _Node:
    text = tok.text
    if text[0] in "#@$" and len(text) > 1:
        value = text[1:].casefold()
        if not _WORD_RE.fullmatch(value):
            raise _error(f"Invalid {text[0]} value {text!r}", tok.pos)
        return _Tagged(text[0], value)
    op = _OPERATOR_RE.match(text)
    if op:
        name, value = op.group(1).lower(), op.group(2).casefold()
        if name not in _OPERATORS:
            raise _error(f"Reference to invalid operator '{name}'", tok.pos)
        if not value:
            raise _error(f"Operator '{name}' needs a value", tok.pos)
        if name in _THRESHOLDS and not (value.isascii() and value.isdigit()):
            raise _error(f"Operator '{name}' needs a non-negative integer, not '{value}'", tok.pos)
        if name == "is" and value not in _IS_VALUES:
            raise _error(f"Reference to invalid is: value '{value}'", tok.pos)
        if name == "has" and value not in _HAS_VALUES:
            raise _error(f"Reference to invalid has: value '{value}'", tok.pos)
        if name == "from":
            value = value.lstrip("@")
        return _Operator(name, value)
    seq = tuple(_words(text))
    if not seq:
        # pure punctuation, e.g. "&": X ignores it; we refuse so nothing silently matches all
        raise _error(f"Unable to use {text!r} as a keyword", tok.pos)
    return _Keyword(seq)


def parse_query(query: str) -> Matcher:
    """Parse a query; raise `ValueError` with an X-like message when X would reject it."""
    if not query or not query.strip():
        raise ValueError("The `query` query parameter can not be empty")
    if len(query) > MAX_QUERY_LENGTH:
        raise ValueError(
            f"The `query` query parameter value is {len(query)} characters long; "
            f"it must be between 1 and {MAX_QUERY_LENGTH} characters"
        )
    tokens = _tokenize(query)
    parser = _Parser(tokens)
    root = parser.parse()
    if not root.standalone():
        raise _error(
            "Rules must contain at least one positive, non-stand-alone clause "
            "(is:, has: and lang: need a keyword, hashtag, mention or from:)",
            1,
        )
    return Matcher(query=query, root=root, operators=tuple(parser.operators))
