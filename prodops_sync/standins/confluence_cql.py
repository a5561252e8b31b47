"""A small CQL (Confluence Query Language) parser and evaluator for the stand-in.

Supported: fields ``space`` (``space.key``), ``ancestor``, ``parent``, ``id``, ``type``,
``title``, ``label``, ``text``, ``lastmodified``, ``created``; operators ``= != ~ !~ > >= < <=``
and ``in (...)`` / ``not in (...)``; ``and``, ``or``, ``not``, parentheses; date literals
``"yyyy-MM-dd"``, ``"yyyy/MM/dd"``, ``"yyyy-MM-dd HH:mm"`` (UTC) and ``now("-1d")``;
``order by lastmodified|created|title|id [asc|desc]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any


class CqlError(ValueError):
    """The query cannot be parsed (Confluence answers 400)."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|>=|<=|!~|=|~|>|<)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z0-9_.:\-+/]+)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Tok:
    """One token: kind is ``str``, ``op``, ``punct`` or ``word``."""

    kind: str
    text: str


def tokenize(cql: str) -> list[Tok]:
    """Split a CQL string into tokens."""
    pos, out = 0, []
    while pos < len(cql):
        if cql[pos:].strip() == "":
            break
        m = _TOKEN.match(cql, pos)
        if not m or m.end() == pos:
            raise CqlError(f"Could not parse cql : {cql}")
        kind = m.lastgroup or "word"
        text = m.group(kind)
        if kind == "str":
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        out.append(Tok(kind, text))
        pos = m.end()
    return out


Predicate = Callable[[dict[str, Any]], bool]
FIELDS = {
    "space",
    "space.key",
    "ancestor",
    "parent",
    "id",
    "content",
    "type",
    "title",
    "label",
    "text",
    "lastmodified",
    "created",
}


@dataclass
class Query:
    """A parsed query: a predicate plus an ordering."""

    predicate: Predicate
    order_field: str | None = None
    descending: bool = False


class _Parser:
    def __init__(
        self, cql: str, facts: Callable[[str, dict[str, Any]], Any], now: datetime
    ) -> None:
        self.cql = cql
        self.toks = tokenize(cql)
        self.i = 0
        self.facts = facts
        self.now = now

    def peek(self) -> Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def word(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "word" and tok.text.lower() in words

    def take(self) -> Tok:
        tok = self.peek()
        if tok is None:
            raise CqlError(f"Could not parse cql : {self.cql} (unexpected end)")
        self.i += 1
        return tok

    def parse(self) -> Query:
        pred: Predicate = (
            self.disjunction() if self.peek() and not self.word("order") else (lambda c: True)
        )
        query = Query(pred)
        if self.word("order"):
            self.take()
            if not self.word("by"):
                raise CqlError("expected BY after ORDER")
            self.take()
            query.order_field = self.take().text.lower()
            if self.word("asc", "desc"):
                query.descending = self.take().text.lower() == "desc"
        if self.peek() is not None:
            raise CqlError(f"Could not parse cql : {self.cql} (unexpected {self.peek()})")
        return query

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.word("or"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda c: any(p(c) for p in parts))

    def conjunction(self) -> Predicate:
        parts = [self.unary()]
        while self.word("and"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda c: all(p(c) for p in parts))

    def unary(self) -> Predicate:
        if self.word("not"):
            self.take()
            inner = self.unary()
            return lambda c: not inner(c)
        tok = self.peek()
        if tok is not None and tok.kind == "punct" and tok.text == "(":
            self.take()
            inner = self.disjunction()
            close = self.take()
            if close.text != ")":
                raise CqlError("expected )")
            return inner
        return self.clause()

    def clause(self) -> Predicate:
        field_tok = self.take()
        field = field_tok.text.lower()
        if field_tok.kind != "word" or field not in FIELDS:
            raise CqlError(f"Could not parse cql : {self.cql} (unsupported field {field_tok.text})")
        if self.word("in", "not"):
            negate = self.take().text.lower() == "not"
            if negate:
                if not self.word("in"):
                    raise CqlError("expected IN after NOT")
                self.take()
            values = self.value_list()
            return lambda c: (self._eq(field, c, values)) != negate
        op = self.take()
        if op.kind != "op":
            raise CqlError(f"Could not parse cql : {self.cql} (expected an operator after {field})")
        value = self.value()
        return self._compare(field, op.text, value)

    def value_list(self) -> list[str]:
        if self.take().text != "(":
            raise CqlError("expected (")
        values = [self.value()]
        while self.peek() is not None and self.peek() == Tok("punct", ","):
            self.take()
            values.append(self.value())
        if self.take().text != ")":
            raise CqlError("expected )")
        return values

    def value(self) -> str:
        tok = self.take()
        if tok.kind == "word" and tok.text.lower() in ("now", "now()"):
            offset = ""
            if tok.text.lower() == "now" and self.peek() == Tok("punct", "("):
                self.take()
                nxt = self.take()
                if nxt.kind == "str":
                    offset = nxt.text
                    nxt = self.take()
                if nxt.text != ")":
                    raise CqlError("expected ) after now(")
            return (self.now + _offset(offset)).strftime("%Y-%m-%d %H:%M")
        if tok.kind not in ("str", "word"):
            raise CqlError(f"Could not parse cql : {self.cql} (unexpected {tok.text})")
        return tok.text

    def _eq(self, field: str, content: dict[str, Any], values: list[str]) -> bool:
        fact = self.facts(field, content)
        if isinstance(fact, list | set):
            return any(v.lower() in {str(f).lower() for f in fact} for v in values)
        if field == "title":
            return any(str(fact) == v for v in values)
        return any(str(fact).lower() == v.lower() for v in values)

    def _compare(self, field: str, op: str, value: str) -> Predicate:
        if field in ("lastmodified", "created"):
            moment = parse_date(value)

            def date_pred(c: dict[str, Any]) -> bool:
                fact: datetime = self.facts(field, c)
                if op in ("=", "!="):
                    # a date-only literal matches the whole day, a minute literal the minute
                    span = timedelta(days=1) if len(value.strip()) <= 10 else timedelta(minutes=1)
                    inside = moment <= fact < moment + span
                    return inside if op == "=" else not inside
                return {
                    ">": fact > moment,
                    ">=": fact >= moment,
                    "<": fact < moment,
                    "<=": fact <= moment,
                }.get(op, False)

            if op in ("~", "!~"):
                raise CqlError(f"operator {op} is not supported for {field}")
            return date_pred
        if op in ("=", "!="):
            return lambda c: self._eq(field, c, [value]) == (op == "=")
        if op in ("~", "!~"):
            if field not in ("title", "text"):
                raise CqlError(f"operator {op} is not supported for {field}")
            words = [w.lower() for w in re.findall(r"\w+", value.replace("*", ""))]
            return lambda c: (
                all(w in str(self.facts(field, c)).lower() for w in words) == (op == "~")
            )
        raise CqlError(f"operator {op} is not supported for {field}")


def _offset(text: str) -> timedelta:
    if not text:
        return timedelta(0)
    m = re.fullmatch(r"([+-]?\d+)([wdhm])", text.strip())
    if not m:
        raise CqlError(f"bad now() offset {text!r}")
    amount, unit = int(m.group(1)), m.group(2)
    return {
        "w": timedelta(weeks=amount),
        "d": timedelta(days=amount),
        "h": timedelta(hours=amount),
        "m": timedelta(minutes=amount),
    }[unit]


def parse_date(value: str) -> datetime:
    """Parse a CQL date literal; times are taken as UTC."""
    text = value.strip().replace("/", "-")
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise CqlError(f"Invalid date: {value!r}; expected yyyy-MM-dd or yyyy-MM-dd HH:mm")


def parse(cql: str, facts: Callable[[str, dict[str, Any]], Any], now: datetime) -> Query:
    """Parse ``cql``; ``facts(field, content)`` supplies each field's value for a content."""
    if not cql or not cql.strip():
        raise CqlError("cql must not be empty")
    return _Parser(cql, facts, now).parse()
