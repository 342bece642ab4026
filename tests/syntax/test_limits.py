"""Hostile rule files are rejected at the limit they pass, located, in German, at once."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

import teilhabe_rules
from teilhabe_rules import limits
from teilhabe_rules.errors import RuleSyntaxError, did_you_mean
from teilhabe_rules.limits import (
    MAX_BRACKETS,
    MAX_DEPTH,
    MAX_RULE_FILE_CHARS,
    MAX_STATEMENT_TOKENS,
    MAX_WORD_LENGTH,
)
from teilhabe_rules.syntax import builder
from teilhabe_rules.syntax import hints as syntax_hints
from teilhabe_rules.syntax.builder import parse_module
from teilhabe_rules.syntax.parser import parse_text

HEAD = 'modell m "M"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
HEAD_LINES = HEAD.count("\n")


@pytest.fixture
def no_lark_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lark path would parse the whole text; a limit must be found without it."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fast path stepped aside to the lark path")

    monkeypatch.setattr(builder, "parse_text", refuse)


def rejected(text: str, filename: str = "grenze.rules") -> RuleSyntaxError:
    """The error of loading ``text``; it is a located limit error."""
    with pytest.raises(RuleSyntaxError) as raised:
        teilhabe_rules.loads(text, filename)
    diagnostic = raised.value.diagnostics[0]
    assert diagnostic.code == "grenze"
    assert diagnostic.location is not None and diagnostic.location.file == filename
    assert diagnostic.source_line is not None and diagnostic.hint
    rendered = diagnostic.render()
    where = diagnostic.location
    assert rendered.startswith(f"{filename}:{where.line}:{where.column}: fehler: ")
    assert "^" in rendered and "hinweis: " in rendered
    return raised.value


class TestNesting:
    """Deep nesting is found while parsing, not after parsing megabytes."""

    def test_nested_inline_tables_just_under_the_size_limit(self, no_lark_path: None) -> None:
        depth = (MAX_RULE_FILE_CHARS - 200) // 6
        text = HEAD + "vorlage v\n  x = " + "{a = " * depth + "1" + "}" * depth + "\nende\n"
        assert MAX_RULE_FILE_CHARS - 1000 < len(text) <= MAX_RULE_FILE_CHARS
        error = rejected(text)
        location = error.diagnostics[0].location
        assert location is not None
        assert (location.line, location.column) == (HEAD_LINES + 2, 7 + 5 * MAX_BRACKETS)
        assert f"mehr als {MAX_BRACKETS} Klammern" in error.message
        assert len(error.diagnostics[0].source_line or "") < 1000  # cut behind the caret

    def test_five_megabytes_of_nesting_stop_at_the_size_limit(self, no_lark_path: None) -> None:
        text = HEAD + "wert x = " + "(" * 2_500_000 + "1" + ")" * 2_500_000 + "\n"
        error = rejected(text)
        assert "Die Regeldatei ist zu groß: 5.000.0" in error.message
        location = error.diagnostics[0].location
        assert location is not None and location.line == HEAD_LINES + 1
        assert location.column == MAX_RULE_FILE_CHARS - len(HEAD) + 1

    def test_fifty_megabytes_stop_at_the_size_limit(self) -> None:
        text = HEAD + ("wert x = 1\n" * 4_600_000)
        assert len(text) > 50_000_000
        error = rejected(text)
        assert f"höchstens {MAX_RULE_FILE_CHARS:,}".replace(",", ".") in error.message

    def test_a_big_file_on_disk(self, tmp_path: Path) -> None:
        path = tmp_path / "gross.rules"
        path.write_text(HEAD + "wert x = " + "[" * (MAX_RULE_FILE_CHARS + 100) + "\n", "utf-8")
        with pytest.raises(RuleSyntaxError, match="zu groß") as raised:
            teilhabe_rules.load(path)
        diagnostic = raised.value.diagnostics[0]
        assert diagnostic.code == "grenze" and diagnostic.location is not None
        assert diagnostic.location.line == HEAD_LINES + 1
        # far beyond, the file is not even read whole
        path.write_text(HEAD + "wert x = " + "[" * (5 * MAX_RULE_FILE_CHARS) + "\n", "utf-8")
        with pytest.raises(RuleSyntaxError, match="groß"):
            teilhabe_rules.load(path)

    @pytest.mark.parametrize("terms", [10_000, 100_000])
    def test_a_long_chain_stops_at_its_limit(self, terms: int, no_lark_path: None) -> None:
        text = HEAD + "eingabe a: zahl\nwert x = a" + " + a" * terms + "\n"
        error = rejected(text)
        assert error.message == (
            f"Der Ausdruck ist zu lang: mehr als {MAX_DEPTH} Glieder in einer Kette von "
            "Rechenzeichen"
        )
        location = error.diagnostics[0].location
        assert location is not None and (location.line, location.column) == (HEAD_LINES + 2, 10)
        source_line = error.diagnostics[0].source_line or ""
        assert source_line.startswith("wert x = a + a") and source_line.endswith(" …")

    @pytest.mark.parametrize(
        ("prefix", "suffix"),
        [
            ("wert x = ", ""),
            ("wert x = runde(", ", 2, kaufmännisch)"),
            ("wert x = wenn a > 1 dann ", " sonst 0"),
        ],
        ids=["wert", "runde", "wenn"],
    )
    def test_a_chain_too_deep_with_its_context_is_named(self, prefix: str, suffix: str, no_lark_path: None) -> None:
        """The shortest chain that its context makes pass the limit has at most MAX_DEPTH terms
        (the context's levels count too): the message names the chain's terms and points at
        it — on the fast and the lark path alike."""

        def text(terms: int) -> str:
            return HEAD + "eingabe a: zahl\n" + prefix + " + ".join(["a"] * terms) + suffix + "\n"

        def passes(terms: int) -> bool:
            try:
                parse_module(text(terms), "grenze.rules")
            except RuleSyntaxError:
                return False
            return True

        terms = next(n for n in range(MAX_DEPTH // 2, MAX_DEPTH + 2) if not passes(n))
        assert terms <= MAX_DEPTH
        error = rejected(text(terms))
        assert error.message == (f"Der Ausdruck ist zu lang: mehr als {MAX_DEPTH} Ebenen, davon {terms - 1} aus "
                                 f"einer Kette von {terms} Gliedern (jedes Rechenzeichen ist eine Ebene)")
        location = error.diagnostics[0].location
        assert location is not None and (location.line, location.column) == (HEAD_LINES + 2, len(prefix) + 1)
        with pytest.raises(RuleSyntaxError) as slow:
            parse_text(text(terms), "grenze.rules")
        with pytest.raises(RuleSyntaxError) as fast:
            parse_module(text(terms), "grenze.rules")
        assert slow.value.diagnostics == fast.value.diagnostics
        # a chain past the limit on its own keeps its own message
        own = rejected(text(MAX_DEPTH + 1)).message
        assert own.startswith(f"Der Ausdruck ist zu lang: mehr als {MAX_DEPTH} Glieder")

    @pytest.mark.parametrize(
        "body",
        [
            "wert x = " + "-" * (MAX_DEPTH + 5) + "a + a + a",  # nesting, a short chain inside
            # a long chain, but the path too deep leaves it at its last operator (a deeper operand)
            "wert x = " + " + ".join(["a"] * (MAX_DEPTH - 20)) + " + " + "-" * (MAX_DEPTH - 1) + "a",
            # a short chain continued by a node too deep through its first operand, not its terms
            "wert x = " + "-" * (MAX_DEPTH - 1) + "a + a + a",
        ],
        ids=["verschachtelt", "kette-mit-tiefem-glied", "tiefes-erstes-glied"],
    )
    def test_deep_nesting_without_a_long_chain_keeps_its_message(self, body: str) -> None:
        text = HEAD + "eingabe a: zahl\n" + body + "\n"
        error = rejected(text)
        assert error.message == f"Zu tief verschachtelt: mehr als {MAX_DEPTH} Ebenen"
        with pytest.raises(RuleSyntaxError) as slow:
            parse_text(text, "grenze.rules")
        assert slow.value.diagnostics == error.diagnostics

    def test_a_wide_expression_stops_at_the_statement_limit(self, no_lark_path: None) -> None:
        text = HEAD + "eingabe a: zahl\nwert x = max(a" + ", a" * 100_000 + ")\n"
        error = rejected(text)
        assert f"mehr als {MAX_STATEMENT_TOKENS // 1000}.000 Bestandteile" in error.message
        location = error.diagnostics[0].location
        assert location is not None and (location.line, location.column) == (HEAD_LINES + 2, 1)

    def test_the_lark_path_enforces_the_same_limits(self) -> None:
        deep = HEAD + "parameter x: zahl = " + "[" * 200_000 + "\n"
        with pytest.raises(RuleSyntaxError, match="Klammern") as raised:
            parse_text(deep, "grenze.rules")
        with pytest.raises(RuleSyntaxError) as fast:
            parse_module(deep, "grenze.rules")
        assert raised.value.diagnostics == fast.value.diagnostics
        with pytest.raises(RuleSyntaxError, match="zu groß"):
            parse_text(HEAD + "#" * MAX_RULE_FILE_CHARS, "grenze.rules")


class TestLongWords:
    """A word of 200,000 characters is rejected at once, with no
    did-you-mean comparison over its length."""

    @pytest.fixture
    def no_edit_distance(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("an edit distance over a huge word")

        monkeypatch.setattr(syntax_hints, "_distance", refuse)
        monkeypatch.setattr(difflib, "get_close_matches", refuse)

    @pytest.mark.parametrize(
        ("body", "column"),
        [
            ("{word} = 1\n", 1),  # where a keyword is expected
            ("wert {word} = 1\n", 6),
            ("eingabe abc: zahl\nwert x = {word}\n", 10),
            ("wert x = 1 {word}\n", 12),  # as a unit
        ],
        ids=["schluesselwort", "name", "verweis", "einheit"],
    )
    def test_a_huge_word_in_a_rule_file(
        self, body: str, column: int, no_edit_distance: None
    ) -> None:
        error = rejected(HEAD + body.format(word="x" * 200_000))
        assert error.message == (
            f"Das Wort ist zu lang: 200.000 Zeichen, erlaubt sind höchstens {MAX_WORD_LENGTH}"
        )
        location = error.diagnostics[0].location
        assert location is not None and location.column == column

    def test_keyword_suggestions_skip_words_of_another_length(self, no_edit_distance: None) -> None:
        keywords = frozenset(syntax_hints.KEYWORDS)
        assert syntax_hints._closest_keyword("x" * 200_000, keywords) is None

    def test_did_you_mean_skips_huge_words(self, no_edit_distance: None) -> None:
        assert did_you_mean("x" * 200_000, ["xx", "x" * 150_000]) is None

    def test_did_you_mean_ignores_huge_candidates(self, monkeypatch: pytest.MonkeyPatch) -> None:
        seen: list[list[str]] = []
        original = difflib.get_close_matches

        def record(word: str, candidates: list[str], *args: object, **kwargs: object) -> list[str]:
            seen.append(list(candidates))
            return original(word, candidates, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(difflib, "get_close_matches", record)
        assert did_you_mean("stunden", ["stunde", "s" * 200_000]) == "meinten Sie „stunde“?"
        assert seen == [["stunde"]]

    def test_suggestions_still_work(self) -> None:
        keywords = frozenset({"parameter", "wert"})
        assert syntax_hints._closest_keyword("paramter", keywords) == "parameter"
        with pytest.raises(RuleSyntaxError, match="Unbekanntes Schlüsselwort „paramter“"):
            parse_module(HEAD + "paramter x: zahl = 1\n")


class TestTokens:
    """Numbers, texts and units have their limits; a token just within passes."""

    @pytest.mark.parametrize(
        ("within", "beyond"),
        [
            ("wert x = 1" + "0" * (limits.MAX_NUMBER_LENGTH - 1) + "\n",
             "wert x = 1" + "0" * limits.MAX_NUMBER_LENGTH + "\n"),
            ('wert x = "' + "ä" * (limits.MAX_STRING_LENGTH - 2) + '"\n',
             'wert x = "' + "ä" * (limits.MAX_STRING_LENGTH - 1) + '"\n'),
            ("wert " + "x" * MAX_WORD_LENGTH + " = 1\n",
             "wert " + "x" * (MAX_WORD_LENGTH + 1) + " = 1\n"),
            ("wert x = " + "(" * MAX_BRACKETS + "1" + ")" * MAX_BRACKETS + "\n",
             "wert x = " + "(" * (MAX_BRACKETS + 1) + "1" + ")" * (MAX_BRACKETS + 1) + "\n"),
        ],
        ids=["zahl", "text", "wort", "klammern"],
    )
    def test_limit_is_inclusive(self, within: str, beyond: str) -> None:
        parse_module(HEAD + within)
        with pytest.raises(RuleSyntaxError) as raised:
            parse_module(HEAD + beyond)
        assert raised.value.diagnostics[0].code == "grenze"

    def test_bundled_models_are_far_from_the_size_limit(self) -> None:
        for model in teilhabe_rules.bundled_models():
            assert len(Path(model.file).read_text("utf-8")) < MAX_RULE_FILE_CHARS // 4

    def test_a_long_line_is_cut_behind_the_caret_in_syntax_errors_too(self) -> None:
        with pytest.raises(RuleSyntaxError) as raised:
            parse_module(HEAD + "wert x = 1 1" + " 1" * 100_000 + "\n")
        diagnostic = raised.value.diagnostics[0]
        assert diagnostic.location is not None and diagnostic.location.column == 12
        assert diagnostic.source_line == "wert x = 1 1" + " 1" * 244 + " …"


class TestSyntaxErrorsInBigFiles:
    """A syntax error at the end of a big file costs one pass: lark resumes where the fast path
    stopped instead of parsing the file again, and reports what it reports after a full parse."""

    @pytest.mark.parametrize(
        "tail",
        ["wert z = = 1\n", "wert z = 1 @\n", "paket p\n  wert x = 1\n", "wert z = (1\n",
         "paramter x: zahl = 1\n"],
        ids=["token", "zeichen", "ende-fehlt", "klammer", "vertippt"],
    )
    def test_error_at_the_end(self, tail: str, monkeypatch: pytest.MonkeyPatch) -> None:
        from teilhabe_rules.syntax import parser

        filler = "".join(f"wert w{i} = {i} EUR\n" for i in range(2_000))
        text = HEAD + filler + tail
        with pytest.raises(RuleSyntaxError) as lark:
            parse_text(text, "gross.rules")

        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("parsed again from the start")

        monkeypatch.setattr(parser, "_parse_without_tree", refuse)
        monkeypatch.setattr(builder, "parse_text", refuse)
        with pytest.raises(RuleSyntaxError) as resumed:
            parse_module(text, "gross.rules")
        assert resumed.value.diagnostics == lark.value.diagnostics
