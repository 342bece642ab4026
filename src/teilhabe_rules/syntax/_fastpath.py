"""Source text → AST in one pass, for text that parses (the fast path of the first two stages).

Takes: the text of a rule file (or of one expression). Gives: what
:func:`teilhabe_rules.syntax.builder.build_module` would give for the parse tree of
:func:`teilhabe_rules.syntax.parser.parse_text` — the same AST, node for node and span for span — or
:class:`Fallback` when the text is not plain sailing, in which case the caller runs the lark path,
which reports the error in plain words (or, should it ever accept what this refuses, gives the
result). The grammar, its LALR(1) tables and the AST-building methods are the ones of
:mod:`teilhabe_rules.syntax.parser` and :mod:`teilhabe_rules.syntax.builder`; nothing of the language is defined
here.

Why it exists: lark's LALR parser builds a ``Tree`` per rule and a ``Token`` per terminal,
propagates positions through every reduction and hands the tree to a ``Transformer`` that walks it
once more. For a 1,000-line model that is about 85 ms. This module runs the same parse table
with a lexer that scans with one regular expression per lexer state, keeps a position tuple per
stack entry instead of ``Meta`` objects, turns the chain reductions of the expression precedence
ladder (``?sum: product`` …) into a bare state change, and calls the builder's method for a rule
as soon as the rule is reduced. It reproduces the three lark behaviours the AST depends on:

- the contextual lexer (each parser state scans only the terminals it accepts, plus ``NAME`` and
  the newline, see :class:`~teilhabe_rules.syntax.parser.BracketPostLexer`), including lark's rule that a
  string terminal fully matched by a pattern terminal of the same priority is found through that
  pattern (a keyword through ``NAME``, ``=`` through ``COMP_OP``);
- the post-lexer that drops newlines inside brackets;
- lark's position propagation: a node spans from its first to its last child *as written*
  (keywords and the closing newline included), and a rule that passes its single child through
  (``?atom: "(" expr ")"``) widens the child's container, not the child's own span.

It checks the limits of :mod:`teilhabe_rules.limits` as the lark path does, at the same token
and node, and raises :class:`~teilhabe_rules.limits.LimitExceeded` at the first one passed: a word,
number or text too long, too many brackets open, a statement of too many tokens (while lexing),
a node deeper than :data:`~teilhabe_rules.limits.MAX_DEPTH` (when it is reduced). Text far beyond
a limit is therefore rejected where the limit is passed, never parsed to its end.

A character no terminal matches or a token the state does not accept raises :class:`Fallback`;
so does the builder's own error for a node it refuses (a date that does not exist, a key 1:0),
whose type the builder passes in. Nothing else steps aside: any other exception a builder method
raises is a defect and propagates as it is. For text that does not parse, it carries the parse-table states
and the place where the fast path stopped: lark's parser takes over there and reports the error it
reports after a full parse (:func:`teilhabe_rules.syntax.parser.syntax_error_at`), so a syntax error at
the end of a big file costs one pass, not two. ``tests/syntax/test_fastpath.py`` compares both paths on
every bundled model, every documented example and generated text, errors included.
"""

from __future__ import annotations

import re
from typing import Any

import attrs
import lark
from lark.grammar import Rule, Terminal
from lark.lexer import PatternRE, PatternStr, TerminalDef, Token

from ..limits import (
    MAX_BRACKETS,
    MAX_DEPTH,
    MAX_STATEMENT_TOKENS,
    SHORTEST_TOKEN_LIMIT,
    depth_exceeded,
    statement_too_long,
    telling_chain,
    token_too_long,
    too_many_brackets,
)
from . import ast

__all__ = ["Fallback", "FastParser"]

_OPEN = frozenset({"LPAR", "LSQB", "LBRACE"})
_CLOSE = frozenset({"RPAR", "RSQB", "RBRACE"})
# Builder methods whose first child of the same kind makes a chain (``a + b + c``).
_CHAIN_RULES = frozenset({"binary", "or_", "and_"})
_CHAIN_OPS = frozenset({"+", "-", "*", "/", "und", "oder"})


def _nodes(value: Any) -> list[Any]:
    """The AST nodes directly below ``value`` (a node, or the children of a reduction): its
    attrs fields' nodes and those in their tuples, in field order."""
    if isinstance(value, list):
        fields = value
    elif attrs.has(type(value)):
        fields = [getattr(value, f.name) for f in attrs.fields(type(value))]
    else:
        return []
    found: list[Any] = []
    for field in fields:
        for item in field if isinstance(field, (tuple, list)) else (field,):
            if attrs.has(type(item)) and not isinstance(item, ast.Span):
                found.append(item)
    return found


def _chain_on_path(chain_node: bool, children: list[Any]) -> tuple[ast.Binary | None, int, int] | None:
    """What :func:`teilhabe_rules.syntax.parser._chain_on_path` finds in the parse tree, found in
    the AST of a reduction too deep (``children``; ``chain_node``: the node reduced is a chain's
    operator — then it is the chain found, given as None): the first chain on the deepest
    path, its terms and the levels it adds there. Only on the way to an error."""
    heights: dict[int, int] = {}

    def height(node: Any) -> int:
        if id(node) not in heights:
            pending = [(node, False)]
            while pending:
                current, done = pending.pop()
                below = _nodes(current)
                if done:
                    heights[id(current)] = 1 + max((heights[id(b)] for b in below), default=0)
                elif id(current) not in heights:
                    pending.append((current, True))
                    pending.extend((b, False) for b in below if id(b) not in heights)
        return heights[id(node)]

    def highest(nodes: list[Any]) -> Any:
        if not nodes:
            return None
        most = max(height(n) for n in nodes)
        return next(n for n in nodes if height(n) == most)

    top: ast.Binary | None
    if chain_node:
        below = _nodes(children)
        top, terms, levels, current = None, 2, 1, below[0] if below else None
        on_path = current is not None and highest(below) is current
    else:
        found = highest(_nodes(children))
        while found is not None and not (isinstance(found, ast.Binary) and found.op in _CHAIN_OPS):
            found = highest(_nodes(found))
        if found is None:
            return None
        top, terms, levels, on_path, current = found, 1, 0, True, found
    while isinstance(current, ast.Binary) and current.op in _CHAIN_OPS:
        terms += 1
        levels += on_path
        on_path = on_path and highest(_nodes(current)) is current.left
        current = current.left
    return top, terms, levels


_TRAILING_BLANKS = re.compile(r"[\t \f]*\Z").match


class Fallback(Exception):
    """The fast path does not handle this text; use the lark path. ``syntax``: the text does not
    parse (else the builder refused a node), so lark's parser alone finds the error. Where the
    parse stopped (see :func:`teilhabe_rules.syntax.parser.syntax_error_at`): ``states``, the stack of
    parse-table states, ``offset``, where the text not yet read begins, and ``token`` — the
    terminal no action accepts, with its start, end, line and column — or None where no
    terminal matches at ``offset``."""

    def __init__(self, syntax: bool = True, states: list[int] | None = None, offset: int = 0,
                 token: tuple[str, int, int, int, int] | None = None):
        super().__init__()
        self.syntax, self.states, self.offset, self.token = syntax, states, offset, token


class _Inline(list[Any]):
    """The children of an inlined rule (``_item``, ``__start_star_0``), spliced into the parent."""

    __slots__ = ()


class _Lexer:
    """The terminals one parser state accepts, as one regular expression in lark's order."""

    __slots__ = ("match", "unless")

    def __init__(self, terminals: list[TerminalDef]) -> None:
        terminals = sorted(
            terminals,
            key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name),
        )
        embedded: set[str] = set()
        self.unless: dict[str, dict[str, str]] = {}
        for pattern_terminal in terminals:
            if not isinstance(pattern_terminal.pattern, PatternRE):
                continue
            regexp = re.compile(pattern_terminal.pattern.to_regexp())
            for string_terminal in terminals:
                if not isinstance(string_terminal.pattern, PatternStr):
                    continue
                if string_terminal.priority != pattern_terminal.priority:
                    continue
                text = string_terminal.pattern.value
                found = regexp.match(text)
                if found and found.group(0) == text:
                    # lark: found as the pattern terminal, then renamed by a whole match
                    renames = self.unless.setdefault(pattern_terminal.name, {})
                    renames.setdefault(text, string_terminal.name)
                    own, other = string_terminal.pattern.flags, pattern_terminal.pattern.flags
                    if frozenset(own) <= frozenset(other):  # lark's are frozensets already
                        embedded.add(string_terminal.name)
        alternatives = "|".join(
            f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals if t.name not in embedded
        )
        # Blanks between tokens are skipped by the same match (no terminal starts with one).
        self.match = re.compile(r"[\t \f]*(?:" + alternatives + ")").match


class FastParser:
    """lark's LALR(1) tables of the rule grammar, driven directly (see the module docstring)."""

    def __init__(self, parser: lark.Lark, builder: Any, refused: type[Exception]):
        """``builder``: an object with a method per rule (as lark's ``Transformer`` with
        ``v_args(meta=True)``); ``refused``: the builder's own error for a node it refuses, on
        which the fast path steps aside (any other exception a method raises is a defect and
        propagates)."""
        self._refused = refused
        table = parser.parser.parser.parser.parse_table  # lark's IntParseTable
        from lark.parsers.lalr_analysis import Shift

        blanks = [
            t.name
            for t in parser.terminals
            if t.name in parser.lexer_conf.ignore
            and isinstance(t.pattern, PatternRE)
            and t.pattern.value in (r"[\t \f]+", "[\t \f]+")
        ]
        if len(blanks) != 1:  # the lexer skips blanks in the same match as the next token
            raise TypeError("the grammar must ignore exactly one terminal of blanks")
        blank_ignore = blanks[0]
        self._terminals = {t.name: t for t in parser.terminals}
        self._ignore = frozenset(parser.lexer_conf.ignore)
        self._skipped = self._ignore - {blank_ignore}
        always = set(getattr(parser.options.postlex, "always_accept", ()))
        rules: list[Any] = []
        rule_index: dict[Any, int] = {}
        self.actions: list[dict[str, int]] = []
        self.gotos: list[dict[str, int]] = []
        self._accepts: list[frozenset[str]] = []
        for state in range(len(table.states)):
            actions: dict[str, int] = {}
            gotos: dict[str, int] = {}
            for symbol, (action, arg) in table.states[state].items():
                symbol = str(symbol)
                if action is Shift:
                    terminal = symbol in self._terminals or symbol == "$END"
                    (actions if terminal else gotos)[symbol] = arg
                else:
                    if arg not in rule_index:
                        rule_index[arg] = len(rules)
                        rules.append(arg)
                    actions[symbol] = ~rule_index[arg]
            self.actions.append(actions)
            self.gotos.append(gotos)
            names = {str(s) for s in table.states[state]} | self._ignore | always
            self._accepts.append(
                frozenset(n for n in names if n in self._terminals and n != blank_ignore)
            )
        self.start_states = dict(table.start_states)
        self.end_states = dict(table.end_states)
        self._lexers: list[_Lexer | None] = [None] * len(table.states)
        self._lexer_by_terminals: dict[frozenset[str], _Lexer] = {}
        kept: set[str] = set()
        self.reducers = [self._reducer(rule, builder, kept) for rule in rules]
        self._kept = frozenset(kept)

    @staticmethod
    def _reducer(rule: Rule, builder: Any, kept: set[str]) -> tuple[Any, ...]:
        """What reducing ``rule`` does, precomputed:
        ``(size, origin, chain, keep, expand1, callback)``."""
        expansion = rule.expansion
        if not expansion:
            raise TypeError(f"empty rule {rule}")  # the grammar has none; lark gives them no span
        name = rule.alias or rule.options.template_source or rule.origin.name
        keep = tuple(
            (i, (not sym.is_term) and sym.name.startswith("_"))
            for i, sym in enumerate(expansion)
            if not (isinstance(sym, Terminal) and sym.filter_out) or rule.options.keep_all_tokens
        )
        for i, _ in keep:
            if expansion[i].is_term:
                kept.add(expansion[i].name)
        expand1 = bool(rule.options.expand1 and not rule.alias)
        inline = str(name).startswith("_")
        # A rule of one kept symbol that passes it on unchanged (``?sum: product``, ``_item:
        # value_decl``) changes only the state: the value, its span and its depth stay.
        chain = (expand1 or inline) and len(expansion) == 1 and len(keep) == 1
        callback: object
        if inline:
            callback = _Inline
        else:
            method = getattr(builder, str(name), None)
            # the plain bound method, without lark's ``v_args`` wrapper around it
            callback = getattr(method, "base_func", method)
            if callback is None and not (expand1 and len(keep) == 1 and not keep[0][1]):
                # only a rule that always passes its one child on (``?atom: "(" expr ")"``)
                # needs no method; lark's transformer would leave a bare tree in the AST
                raise TypeError(f"the builder has no method for the rule {name}")
        return (len(expansion), str(rule.origin.name), chain, keep, expand1, callback)

    def _lexer(self, state: int) -> _Lexer:
        accepts = self._accepts[state]
        lexer = self._lexer_by_terminals.get(accepts)
        if lexer is None:
            lexer = _Lexer([self._terminals[name] for name in accepts])
            self._lexer_by_terminals[accepts] = lexer
        self._lexers[state] = lexer
        return lexer

    def parse(self, text: str, start: str = "start", span_file: str | None = None) -> Any:
        """The builder's value for the start rule (raises :class:`Fallback`, or
        :class:`~teilhabe_rules.limits.LimitExceeded` at the first limit passed); ``span_file``
        is the file the spans name (see :func:`teilhabe_rules.syntax.builder.parse_module`)."""
        actions, gotos, reducers, lexers = self.actions, self.gotos, self.reducers, self._lexers
        kept, skipped, refused = self._kept, self._skipped, self._refused
        new_token = getattr(Token, "_future_new", Token)
        Span = ast.Span
        end_state = self.end_states[start]
        states = [self.start_states[start]]
        values: list[Any] = []
        spans: list[tuple[int, int, int, int]] = []
        depths: list[int] = []
        pos, line, line_start, size, brackets = 0, 1, 0, len(text), 0
        count, first_token = 0, (0, 1, 1)  # tokens of the current statement, where it starts
        while True:
            # ---- the next token, in the lexer of the current state
            if pos < size:
                lexer = lexers[states[-1]] or self._lexer(states[-1])
                found = lexer.match(text, pos)
                if found is None:
                    if _TRAILING_BLANKS(text, pos):
                        pos = size
                        continue
                    raise Fallback(states=states, offset=pos)
                # every alternative of the lexer's expression is a named group
                kind: str = found.lastgroup  # type: ignore[assignment]
                begin = found.start(kind)
                pos = found.end()
                column = begin - line_start + 1
                newlines = text.count("\n", begin, pos)
                if newlines:
                    start_line = line
                    line += newlines
                    line_start = text.rindex("\n", begin, pos) + 1
                    where = (start_line, column, line, pos - line_start + 1)
                else:
                    where = (line, column, line, pos - line_start + 1)
                if kind in skipped:
                    continue
                if kind in lexer.unless:
                    kind = lexer.unless[kind].get(text[begin:pos], kind)
                if pos - begin > SHORTEST_TOKEN_LIMIT:
                    problem = token_too_long(str(kind), pos - begin, begin, where[0], where[1])
                    if problem is not None:
                        raise problem
                if kind in _OPEN:
                    brackets += 1
                    if brackets > MAX_BRACKETS:
                        raise too_many_brackets(begin, where[0], where[1])
                elif kind in _CLOSE:
                    brackets = brackets - 1 if brackets else 0
                elif kind == "_NL":
                    if brackets:
                        continue
                    count = -1
                count += 1
                if count == 1:
                    first_token = (begin, where[0], where[1])
                elif count > MAX_STATEMENT_TOKENS:
                    raise statement_too_long(*first_token)
                value = new_token(kind, text[begin:pos], begin, *where, pos) if kind in kept else None
            elif pos == size:
                kind, value, where, begin = "$END", None, None, size
                pos += 1
            else:  # pragma: no cover - the loop returns at $END
                raise Fallback
            # ---- feed it to the LALR automaton
            while True:
                action = actions[states[-1]].get(kind)
                if action is None:
                    at = (where[0], where[1]) if where is not None else (line, 1)
                    raise Fallback(states=states, offset=begin, token=(kind, begin, pos, *at))
                if action >= 0:
                    states.append(action)
                    values.append(value)
                    spans.append(where)  # type: ignore[arg-type]
                    depths.append(0)
                    break
                n, origin, chain, keep, expand1, callback = reducers[~action]
                if chain:
                    states[-1] = gotos[states[-2]][origin]
                else:
                    children = values[-n:]
                    first, last = spans[-n], spans[-1]
                    depth = max(depths[-n:])
                    del states[-n:], values[-n:], spans[-n:], depths[-n:]
                    entry = (first[0], first[1], last[2], last[3])
                    filtered: list[Any] = []
                    for index, splice in keep:
                        child = children[index]
                        if splice and child.__class__ is _Inline:
                            if filtered:
                                filtered.extend(child)
                            else:  # lark's ChildFilterLALR: grow the first spliced list
                                filtered = child
                        else:
                            filtered.append(child)
                    if expand1 and len(filtered) == 1:
                        result = filtered[0]
                        if isinstance(result, Token):  # lark widens only trees
                            # the tokens made above carry all their positions
                            entry = (
                                result.line, result.column, result.end_line, result.end_column
                            )  # type: ignore[assignment]
                    elif callback is _Inline:
                        # the spliced first child grows in place (lark does the same)
                        result = filtered if filtered.__class__ is _Inline else _Inline(filtered)
                    else:
                        depth += 1
                        if depth > MAX_DEPTH and origin != "start":  # the file holds any number
                            on_path = _chain_on_path(getattr(callback, "__name__", "") in _CHAIN_RULES, filtered)
                            links, at = None, (entry[0], entry[1])
                            if on_path is not None and telling_chain(*on_path[1:]):
                                if on_path[0] is not None:
                                    at = (on_path[0].span.line, on_path[0].span.column)
                                links = on_path[1:]
                            raise depth_exceeded(-1, *at, links)
                        try:
                            result = callback(Span(*entry, span_file), filtered)
                        except refused:  # the builder's own error: the lark path reports it
                            raise Fallback(syntax=False) from None
                    states.append(gotos[states[-1]][origin])
                    values.append(result)
                    spans.append(entry)
                    depths.append(depth)
                if kind == "$END" and states[-1] == end_state:
                    return values[-1]
