"""The VS Code extension under editors/vscode: its JSON files parse and fit together, the TextMate
grammar and language configuration are the generated ones (keywords from the parser's grammar),
every regex compiles, and the grammar scopes the bundled models as the Pygments lexer tokenises them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from teilhabe_rules.shipped import model_files
from teilhabe_rules.syntax.hints import KEYWORDS
from teilhabe_rules.tools import textmate
from teilhabe_rules.tools.formatter import BLOCK_KEYWORDS

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "editors" / "vscode"
MODELS = model_files()


def _load(name: str | Path) -> Any:
    return json.loads((EXTENSION / name).read_text("utf-8"))


GRAMMAR = _load(textmate.GRAMMAR_FILE)


# ---- the files -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["package.json", "language-configuration.json", str(textmate.GRAMMAR_FILE)])
def test_the_json_files_parse(name: str) -> None:
    assert isinstance(_load(name), dict)


def test_the_package_names_the_language_its_configuration_and_grammar() -> None:
    package = _load("package.json")
    (language,) = package["contributes"]["languages"]
    (grammar,) = package["contributes"]["grammars"]
    assert language["extensions"] == [".rules"] and grammar["language"] == language["id"] == "teilhabe-rules"
    assert (EXTENSION / language["configuration"]).is_file()
    assert (EXTENSION / grammar["path"]).resolve() == (EXTENSION / textmate.GRAMMAR_FILE).resolve()
    assert grammar["scopeName"] == GRAMMAR["scopeName"] == textmate.SCOPE
    assert (EXTENSION / package["main"]).is_file()
    command = package["contributes"]["configuration"]["properties"]["teilhabeRules.server.command"]["default"]
    assert command == ["teilhabe-rules", "lsp"]


@pytest.mark.parametrize(
    ("name", "generate"),
    [(textmate.GRAMMAR_FILE, textmate.grammar),
     (textmate.LANGUAGE_CONFIGURATION_FILE, textmate.language_configuration)],
    ids=["grammatik", "sprachkonfiguration"],
)
def test_the_committed_files_are_the_generated_ones(name: Path, generate: Any) -> None:
    """After a change of the grammar: python -m teilhabe_rules.tools.textmate editors/vscode"""
    assert (EXTENSION / name).read_text("utf-8") == textmate.render(generate())


def test_main_writes_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert textmate.main([str(tmp_path)]) == 0
    for name in (textmate.GRAMMAR_FILE, textmate.LANGUAGE_CONFIGURATION_FILE):
        assert (tmp_path / name).read_text("utf-8") == (EXTENSION / name).read_text("utf-8")
    assert capsys.readouterr().out.count("\n") == 2


def test_the_documentation_names_the_extensions_setting_and_the_generator() -> None:
    page = (ROOT / "docs" / "07_modelle_schreiben.md").read_text("utf-8")
    settings = _load("package.json")["contributes"]["configuration"]["properties"]
    assert all(f"`{name}`" in page for name in settings)
    assert "python -m teilhabe_rules.tools.textmate editors/vscode" in page
    assert "cp -r editors/vscode ~/.vscode/extensions/teilhabe-rules" in page
    assert "![" in page and (ROOT / "docs" / "img" / "hervorhebung_mawo.png").is_file()


def test_the_language_configuration_has_comments_and_brackets() -> None:
    configuration = _load(textmate.LANGUAGE_CONFIGURATION_FILE)
    assert configuration["comments"] == {"lineComment": "#"}
    assert ["(", ")"] in configuration["brackets"] and ["{", "}"] in configuration["brackets"]
    increase = re.compile(configuration["indentationRules"]["increaseIndentPattern"])
    decrease = re.compile(configuration["indentationRules"]["decreaseIndentPattern"])
    for opener in [*BLOCK_KEYWORDS, "stufe nach korridor summe"]:
        assert increase.match(f"  {opener} x"), opener
    assert not increase.match("  stufe = 1") and not increase.match("  wert x = 1")
    assert decrease.match("  ende") and not decrease.match("  endet")


# ---- the grammar's regexes -------------------------------------------------------------------


def _patterns(node: Any) -> Iterator[tuple[str, str]]:
    """(key, regex) of every match/begin/end of the grammar."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("match", "begin", "end") and isinstance(value, str):
                yield key, value
            else:
                yield from _patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _patterns(item)


def test_every_regex_compiles() -> None:
    """Python's re stands in for Oniguruma: the grammar uses only what both read alike (no
    possessive quantifiers, no \\h, no \\G, no variable-length lookbehind)."""
    found = list(_patterns(GRAMMAR))
    assert len(found) > 15
    for _, pattern in found:
        re.compile(pattern)
        assert not re.search(r"\\[hHGAzZK]|\(\?<[^=!]|[*+?}]\+", pattern), pattern


def test_a_table_rows_key_at_the_start_of_a_line_is_no_staff_key() -> None:
    """``1:50`` beginning a row is key 1, a colon and value 50 (as the parser reads it): the row
    key's pattern comes before the staff key's, which still takes ``1:48`` after ``=``."""
    includes = [entry["include"] for entry in GRAMMAR["patterns"]]
    assert includes.index("#row-key") < includes.index("#staff-key")
    repository = GRAMMAR["repository"]
    row = re.compile(repository["row-key"]["match"])
    found = row.match("  1:50")
    assert found is not None and (found.group(1), found.group(2)) == ("1", ":")
    assert row.match("parameter p: schlüssel = 1:48") is None
    assert re.search(repository["staff-key"]["match"], "parameter p: schlüssel = 1:48").group() == "1:48"


def test_the_keywords_are_the_grammars() -> None:
    """One source: the grammar's word terminals, as for the Pygments lexer and the syntax hints."""
    assert textmate.keywords() == set(KEYWORDS)
    assert textmate.keywords() >= textmate.CONSTANT_KEYWORDS | textmate.WORD_OPERATORS
    keyword_rules = GRAMMAR["repository"]["keyword"]["patterns"]
    covered = set()
    for word in [*KEYWORDS, "werte", "Wert", "ja_neinx", "ab1", "xende"]:
        matching = [rule["name"] for rule in keyword_rules if re.fullmatch(rule["match"], word)]
        if word in KEYWORDS:
            assert len(matching) == 1, (word, matching)
            covered.add(word)
        else:
            assert matching == [], word
    assert covered == set(KEYWORDS)


def test_the_keyword_classes_are_the_lexers() -> None:
    """ja/nein are values and und/oder/nicht/als/wo operators, in the editor as in Pygments."""
    pytest.importorskip("pygments")
    from pygments.token import Keyword, Operator

    from teilhabe_rules.tools.highlight import KEYWORD_TOKENS

    assert {word for word, kind in KEYWORD_TOKENS.items() if kind is Keyword.Constant} == textmate.CONSTANT_KEYWORDS
    assert {word for word, kind in KEYWORD_TOKENS.items() if kind is Operator.Word} == textmate.WORD_OPERATORS


# ---- scoping text as an editor does ----------------------------------------------------------


def _rules(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The rules of a pattern list, includes resolved."""
    found = []
    for rule in node.get("patterns", []):
        if "include" in rule:
            found.extend(_rules({"patterns": [GRAMMAR["repository"][rule["include"][1:]]]}))
        elif "match" in rule or "begin" in rule:
            found.append(rule)
        else:
            found.extend(_rules(rule))
    return found


def scopes(text: str) -> list[str]:
    """The innermost scope of every character of ``text`` (``""`` for none), line by line as a
    TextMate engine goes: at each position the rule matching first (earliest, then first in
    order, a block's end before its inner rules), begin/end blocks spanning lines."""
    result = [""] * len(text)
    stack: list[dict[str, Any]] = []  # open begin/end rules
    offset = 0
    for line in text.split("\n"):
        position = 0
        while position <= len(line):
            rules = _rules(stack[-1]) if stack else _rules(GRAMMAR)
            candidates = []
            if stack:
                end = re.compile(stack[-1]["end"]).search(line, position)
                if end:
                    candidates.append((end.start(), 0, "end", end, stack[-1]))
            for order, rule in enumerate(rules, start=1):
                found = re.compile(rule.get("match") or rule["begin"]).search(line, position)
                if found:
                    candidates.append((found.start(), order, "begin" if "begin" in rule else "match", found, rule))
            if not candidates:
                break
            _, _, kind, found, rule = min(candidates, key=lambda c: (c[0], c[1]))
            inside = stack[-1].get("contentName") or stack[-1].get("name", "") if stack else ""
            for index in range(position, found.start()):
                result[offset + index] = inside
            if kind == "end":
                stack.pop()
                name, captures = rule.get("name", ""), rule.get("endCaptures", {})
            elif kind == "begin":
                name, captures = rule.get("name", ""), rule.get("beginCaptures", {})
            else:
                name, captures = rule.get("name", ""), rule.get("captures", {})
            for index in range(found.start(), found.end()):
                result[offset + index] = name
            for group, capture in captures.items():
                if found.group(int(group)) is not None:
                    for index in range(found.start(int(group)), found.end(int(group))):
                        result[offset + index] = capture["name"]
            if kind == "begin":
                stack.append(rule)
            if found.end() == found.start():
                if kind == "match":
                    position += 1
                    continue
                if found.end() >= len(line):
                    break
            position = max(found.end(), position + (found.end() == position))
        if stack:
            inside = stack[-1].get("contentName") or stack[-1].get("name", "")
            for index in range(position, len(line) + 1):
                if offset + index < len(text) and not result[offset + index]:
                    result[offset + index] = inside
        offset += len(line) + 1
    return result


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("gültig ab 01.01.2024", [("gültig", "keyword.control"), ("ab", "keyword.control"),
                                  ("01.01.2024", "constant.other.date")]),
        ('parameter fls_satz: EUR/h = 68.95 "Satz" # verhandelt',
         [("parameter", "keyword.control"), ("fls_satz", "entity.name.type"), ("EUR/h", "support.type.unit"),
          ("=", "keyword.operator"), ("68.95", "constant.numeric"), ('"Satz"', "string.quoted.double"),
          ("# verhandelt", "comment.line")]),
        ("eingabe personen: ganzzahl Personen von 1 bis 10 standard 1",
         [("ganzzahl", "keyword.control"), ("von", "keyword.control"), ("1", "constant.numeric"),
          ("bis", "keyword.control"), ("standard", "keyword.control")]),
        ("  wert x: VK = 1:48 * plaetze + 45 % + 2 Schichten",
         [("1:48", "constant.numeric.staff-key"), ("45", "constant.numeric"), ("%", "support.type.unit"),
          ("Schichten", "support.type.unit"), ("plaetze", "variable.other")]),
        ("erwartet bewohner[1].lp2a.stufe = 2",
         [("erwartet", "keyword.control"), ("lp2a", "variable.other.property"), ("stufe", "variable.other.property")]),
        ("wert s = summe(m.h wo p > 1) als h/Jahr oder ja",
         [("summe", "support.function"), ("wo", "keyword.operator.word"), ("als", "keyword.operator.word"),
          ("h/Jahr", "support.type.unit"), ("oder", "keyword.operator.word"), ("ja", "constant.language")]),
        ('prüfung "Ende ({schluss}) vor Beginn": schluss >= beginn',
         [("prüfung", "keyword.control"), ("Ende", "string.quoted.double"), ("{schluss}", "meta.interpolation"),
          ("Beginn", "string.quoted.double"), (">=", "keyword.operator")]),
        ('beschreibung """zwei\nZeilen # kein Kommentar"""\nende',
         [("zwei", "string.quoted.triple"), ("# kein Kommentar", "string.quoted.triple"), ("ende", "keyword.control")]),
        ("wert werte_summe = ja_nein_wert", [("werte_summe", "entity.name.type"), ("ja_nein_wert", "variable.other")]),
    ],
)
def test_scopes_of_lines(line: str, expected: list[tuple[str, str]]) -> None:
    found = scopes(line)
    for word, scope in expected:
        start = line.index(word)
        assert all(s.startswith(scope) for s in found[start:start + len(word)]), (word, found[start:start + len(word)])


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.name)
def test_the_grammar_scopes_a_model_as_the_lexer_tokenises_it(path: Path) -> None:
    """Every keyword, comment, text, number, date and unit the Pygments lexer finds in a bundled
    model has the matching scope in the TextMate grammar."""
    pygments = pytest.importorskip("pygments")
    from pygments.token import Comment, Keyword, Literal, Number, String, is_token_subtype

    from teilhabe_rules.tools.highlight import UNIT, TeilhabeRulesLexer

    assert pygments
    text = path.read_text("utf-8")
    found = scopes(text)
    expectations = [
        (UNIT, "support.type.unit"),
        (Keyword.Constant, "constant.language"),
        (Keyword, ("keyword.", "support.function")),  # a keyword before "(" is a call (stichtag())
        (Comment, "comment.line"),
        (String, ("string.quoted", "meta.interpolation", "punctuation.definition.string")),
        (Literal.Date, "constant.other.date"),
        (Number, "constant.numeric"),
    ]
    checked = 0
    for start, kind, value in TeilhabeRulesLexer().get_tokens_unprocessed(text):
        for token_type, scope in expectations:
            if is_token_subtype(kind, token_type):
                if token_type is Number and value.startswith("-"):
                    value, start = value[1:], start + 1  # a sign is an operator in the grammar
                shown = found[start:start + len(value)]
                assert all(s.startswith(scope) for s in shown if s), (value, kind, text[start - 30:start + 30], shown)
                assert all(shown) or is_token_subtype(kind, String), (value, shown)
                checked += 1
                break
    assert checked > 100
