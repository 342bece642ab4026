"""The post-lexer of the rules language: newlines inside brackets, and the limits of a token.

Takes: lark's token stream. Gives: the same stream without the newlines inside brackets (so
formulas and records may span lines), after checking the limits one token or statement must keep
(:mod:`teilhabe_rules.limits`). The parser (:mod:`teilhabe_rules.syntax.parser`) builds lark with it, and
the cache (:mod:`teilhabe_rules.cache`) supplies it when it loads a stored parser.
"""

from __future__ import annotations

from collections.abc import Iterator

import lark

from ..limits import (
    MAX_BRACKETS,
    MAX_STATEMENT_TOKENS,
    SHORTEST_TOKEN_LIMIT,
    statement_too_long,
    token_too_long,
    too_many_brackets,
)

__all__ = ["BracketPostLexer", "token_where"]

_OPEN = {"LPAR", "LSQB", "LBRACE"}
_CLOSE = {"RPAR", "RSQB", "RBRACE"}


class BracketPostLexer:
    """Drops newlines inside brackets so formulas and records may span lines.

    ``always_accept`` also makes every lexer state recognise NAME: a word is then always read
    whole, so ``werte`` is one (unexpected) name and never the keyword ``wert`` followed by ``e``.
    A word that equals a keyword the state accepts is still that keyword.

    It also checks the limits a single token or statement must keep (raising
    :class:`~teilhabe_rules.limits.LimitExceeded` before the parser sees the token): the length of
    words, numbers and texts, the brackets open at once, the tokens of one statement.
    """

    always_accept = ("_NL", "NAME")

    def process(self, stream: Iterator[lark.Token]) -> Iterator[lark.Token]:
        depth = 0
        count = 0  # tokens of the current statement
        first = (0, 1, 1)  # its first token: offset, line, column
        for token in stream:
            kind = token.type
            if len(token) > SHORTEST_TOKEN_LIMIT:
                problem = token_too_long(kind, len(token), *token_where(token))
                if problem is not None:
                    raise problem
            if kind in _OPEN:
                depth += 1
                if depth > MAX_BRACKETS:
                    raise too_many_brackets(*token_where(token))
            elif kind in _CLOSE:
                depth = max(0, depth - 1)
            elif kind == "_NL":
                if depth:
                    continue
                count = 0
                yield token
                continue
            count += 1
            if count == 1:
                first = token_where(token)
            elif count > MAX_STATEMENT_TOKENS:
                raise statement_too_long(*first)
            yield token


def token_where(token: lark.Token) -> tuple[int, int, int]:
    """A token's offset, line and column."""
    return token.start_pos or 0, token.line or 1, token.column or 1
