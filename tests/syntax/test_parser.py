"""The grammar builds conflict-free, parses the documented language and keeps source positions."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import lark
import pytest

from teilhabe_rules.errors import RuleSyntaxError
from teilhabe_rules.limits import MAX_BRACKETS
from teilhabe_rules.shipped import grammar_file
from teilhabe_rules.syntax import ast
from teilhabe_rules.syntax.builder import parse_module
from teilhabe_rules.syntax.parser import MAX_DEPTH, grammar_text, make_parser, parse_text

ROOT = Path(__file__).resolve().parents[2]
LANGUAGE_DOC = ROOT / "docs" / "02_language.md"
HEADER = 'modell m "M"\nende\n'


def _rules_blocks() -> list[tuple[str, str]]:
    """(id, text) of every ```rules block of the language reference, id from its model name."""
    blocks = re.findall(r"^```rules\n(.*?)^```", LANGUAGE_DOC.read_text("utf-8"), re.S | re.M)
    named = []
    for number, block in enumerate(blocks, start=1):
        name = re.match(r"\s*modell\s+(\w+)", block)
        named.append((f"{number}-{name.group(1) if name else 'ohne-modell'}", block))
    return named


RULES_BLOCKS = _rules_blocks()


class TestGrammar:
    """The grammar is LALR(1) without conflicts or collisions and is read from the package."""

    def test_builds_in_strict_mode(self) -> None:
        parser = make_parser(strict=True)
        assert isinstance(parser, lark.Lark)
        assert parser.options.parser == "lalr"

    def test_parser_is_cached(self) -> None:
        assert make_parser() is make_parser()
        assert make_parser(strict=True) is make_parser(strict=True)
        assert make_parser() is not make_parser(strict=True)

    def test_grammar_text_comes_from_package_resources(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.chdir(tmp_path)  # independent of the working directory
        shipped = grammar_file()  # the package's grammars in an installed wheel, else the checkout's
        assert shipped.is_file()
        assert grammar_text() == shipped.read_text("utf-8")
        assert grammar_text() == (ROOT / "grammars" / "teilhabe.lark").read_text("utf-8")
        assert re.search(r"^start:", grammar_text(), re.M)


def test_language_reference_has_rules_blocks() -> None:
    """The language reference contains the examples the next test parses."""
    assert len(RULES_BLOCKS) >= 5


@pytest.mark.parametrize(
    "block", [text for _, text in RULES_BLOCKS], ids=[name for name, _ in RULES_BLOCKS]
)
def test_language_reference_block_parses(block: str) -> None:
    """Every ```rules block of docs/02_language.md is valid syntax."""
    module = parse_module(block, "02_language.md")
    assert module.header.name
    assert module.items


class TestSpans:
    """Nodes carry the 1-based line and column where they are written."""

    TEXT = (
        'modell m "M"\nende\neingabe kap4: auswahl {0, 2} min/Tag\nwert summe: min/Tag = kap4 + 2\n'
    )

    def test_declarations(self) -> None:
        module = parse_module(self.TEXT)
        assert (module.header.span.line, module.header.span.column) == (1, 1)
        given, value = module.items
        assert isinstance(given, ast.Input) and isinstance(value, ast.Value)
        assert (given.span.line, given.span.column) == (3, 1)
        assert (value.span.line, value.span.column) == (4, 1)
        assert given.span.end_line in (3, 4) and value.span.end_line in (4, 5)

    def test_type_and_unit(self) -> None:
        given = parse_module(self.TEXT).items[0]
        assert given.type.span == ast.Span(3, 15, 3, 37)
        assert given.type.unit == ast.UnitText("min/Tag", ast.Span(3, 30, 3, 37))
        assert [choice.span for choice in given.type.choices] == [
            ast.Span(3, 24, 3, 25),
            ast.Span(3, 27, 3, 28),
        ]

    def test_expression(self) -> None:
        value = parse_module(self.TEXT).items[1]
        expr = value.expr
        assert isinstance(expr, ast.Binary) and expr.op == "+"
        assert expr.span == ast.Span(4, 23, 4, 31)
        assert expr.left == ast.Name("kap4", ast.Span(4, 23, 4, 27))
        assert expr.right == ast.Number(Decimal(2), None, ast.Span(4, 30, 4, 31))

    def test_positions_after_multiline_string(self) -> None:
        module = parse_module(HEADER + 'wert a = 1 """zwei\nZeilen"""\nwert b = 2\n')
        assert module.items[1].span.line == 5
        assert module.items[1].expr.span == ast.Span(5, 10, 5, 11)


class TestLineStructure:
    """Newlines end statements, except inside brackets; comments may stand anywhere."""

    def test_newlines_inside_brackets_are_ignored(self) -> None:
        module = parse_module(HEADER + "wert x = max(\n  1,\n  # Kommentar\n  2\n)\nwert y = 3\n")
        call = module.items[0].expr
        assert isinstance(call, ast.Call) and call.function == "max" and len(call.args) == 2
        assert module.items[1].span.line == 8

    def test_records_and_lists_span_lines(self) -> None:
        module = parse_module(
            HEADER
            + "vorlage v\n  bewohner = [\n    { pflegegrad = 3 },\n"
            + "    { pflegegrad = 2 }\n  ]\nende\n"
        )
        (assignment,) = module.items[0].assignments
        assert isinstance(assignment.value, ast.ListLiteral) and len(assignment.value.items) == 2

    def test_newline_outside_brackets_ends_the_statement(self) -> None:
        with pytest.raises(RuleSyntaxError, match="Die Zeile endet"):
            parse_module(HEADER + "wert x = 1 +\n  2\n")

    def test_comment_lines_and_blank_lines(self) -> None:
        module = parse_module("\n# Kopf\n" + HEADER + "\n\n# dazwischen\nwert x = 1 # danach\n\n")
        assert module.items[0].span.line == 8


class TestKeywordsAsNames:
    """A keyword is a name where the grammar cannot expect it; only a whole word is a keyword."""

    def test_keywords_as_declared_names(self) -> None:
        module = parse_module(
            HEADER + "eingabe text: text\neingabe ende: zahl\nwert von = ende + 1\n"
        )
        assert [item.name for item in module.items] == ["text", "ende", "von"]
        assert module.items[0].type.kind == "text"
        assert module.items[2].expr.left == ast.Name("ende", ast.Span(5, 12, 5, 16))

    def test_keyword_as_field_after_dot(self) -> None:
        value = parse_module(HEADER + "wert s = lp2a.stufe + lp2a.text\n").items[0]
        assert value.expr.left.name == "stufe" and value.expr.right.name == "text"

    def test_keyword_wins_where_it_is_expected(self) -> None:
        with pytest.raises(RuleSyntaxError):
            parse_module(HEADER + "vorlage v\n  ende = 3\nende\n")

    @pytest.mark.parametrize(
        "text", ["wertx = 3\n", "werte = 3\n", "paketp\nende\n", "eingabex y: zahl\n"]
    )
    def test_word_starting_like_a_keyword_is_one_name(self, text: str) -> None:
        with pytest.raises(RuleSyntaxError, match="Unbekanntes Schlüsselwort"):
            parse_module(HEADER + text)


class TestNesting:
    """Deep nesting is a syntax error, never a crash of the recursive stages behind the parser."""

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ("wert x = " + "-" * 1000 + "a\n", f"Zu tief verschachtelt: mehr als {MAX_DEPTH}"),
            ("wert x = a" + " + b" * 1000 + "\n", f"Der Ausdruck ist zu lang: mehr als {MAX_DEPTH}"),
            ("parameter x: zahl = " + "[" * 1000 + "]" * 1000 + "\n",
             f"Zu tief verschachtelt: mehr als {MAX_BRACKETS} Klammern"),
            ("wert x = " + "nicht " * 1000 + "a\n", f"Zu tief verschachtelt: mehr als {MAX_DEPTH}"),
        ],
        ids=["minus", "summe", "liste", "nicht"],
    )
    def test_too_deep(self, body: str, message: str) -> None:
        with pytest.raises(RuleSyntaxError, match=message) as info:
            parse_module(HEADER + body)
        assert info.value.diagnostics[0].location.line == 3
        assert info.value.diagnostics[0].code == "grenze"
        with pytest.raises(RuleSyntaxError) as lark_info:
            parse_text(HEADER + body, "<eingabe>")
        assert lark_info.value.diagnostics == info.value.diagnostics

    def test_realistic_depth_is_fine(self) -> None:
        module = parse_module(HEADER + "wert x = a" + " + b" * 100 + "\n")
        assert isinstance(module.items[0].expr, ast.Binary)

    def test_expression_start_is_limited_too(self) -> None:
        with pytest.raises(RuleSyntaxError, match="Zu tief"):
            parse_text("-" * 1000 + "a", start="expr")


def _lark_requirement() -> Any:
    """The requirement on lark that ``pyproject.toml`` states."""
    from packaging.requirements import Requirement

    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    (requirement,) = [r for r in map(Requirement, project["dependencies"]) if r.name == "lark"]
    return requirement


def test_lark_is_in_the_narrow_supported_range() -> None:
    """The fast path, the error resumption and the parser cache drive lark's internal parse
    tables, lexer thread and data form: the package allows one minor series of lark (each end is
    tested by ``.ci/run``), and the lark this runs under is inside it."""
    specifier = _lark_requirement().specifier
    bounds = {spec.operator: spec.version for spec in specifier}
    assert set(bounds) == {">=", "<"}
    low, high = (tuple(int(part) for part in bounds[op].split(".")) for op in (">=", "<"))
    assert high[:2] == (low[0], low[1] + 1), "one minor series"
    assert lark.__version__ in specifier
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "lark==$lark_min" in ci and "test_fastpath.py" in ci


def test_the_ci_lower_bound_is_the_one_pyproject_states() -> None:
    """``.ci/run`` reads the lowest supported lark from ``pyproject.toml`` (the same code)."""
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    script = re.search(r"lark_min=\$\(python3 - <<'PY'\n(.*?)\nPY\n\)", ci, re.S)
    assert script is not None
    completed = subprocess.run([sys.executable, "-c", script.group(1)], cwd=ROOT, capture_output=True, text=True,
                               check=True)
    lower = next(spec.version for spec in _lark_requirement().specifier if spec.operator == ">=")
    assert completed.stdout.strip() == lower
