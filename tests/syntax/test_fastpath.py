"""The fast path gives exactly what the lark path gives, or steps aside.

For every text, :meth:`teilhabe_rules.syntax._fastpath.FastParser.parse` either builds the AST that lark's
parse tree and :class:`~teilhabe_rules.syntax.builder.AstBuilder` build — equal node for node, span for
span — or raises ``Fallback``, and then only where the lark path raises a ``RuleSyntaxError``.
A limit of :mod:`teilhabe_rules.limits` passed is reported by both paths alike, and where the
text does not parse, lark resumed where the fast path stopped reports the error lark reports.
"""

from __future__ import annotations

import ast as pyast
import functools
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples
from lark import v_args
from test_parser_fuzz import (
    _SOUP,
    FUZZ,
    GRAMMAR_TEXT,
    HEADER,
    RAW_GRAMMAR_TEXT,
    SAMPLE,
    mutated_sample,
)

from teilhabe_rules.errors import RuleSyntaxError
from teilhabe_rules.limits import MAX_BRACKETS, MAX_DEPTH, LimitExceeded, check_rule_text, limit_error
from teilhabe_rules.shipped import model_files
from teilhabe_rules.syntax import ast
from teilhabe_rules.syntax._fastpath import Fallback, FastParser
from teilhabe_rules.syntax.builder import (
    AstBuilder,
    build_expression,
    build_module,
    fast_parser,
    parse_expression,
    parse_module,
)
from teilhabe_rules.syntax.parser import make_parser, parse_text, syntax_error_at

ROOT = Path(__file__).resolve().parents[2]
RULE_FILES = sorted((ROOT / "models").glob("*.rules")) + sorted((ROOT / "tests/fixtures").rglob("*.rules"))
FENCE = re.compile(r"^```rules[ \t]*\n(?P<code>.*?)^```[ \t]*$", re.S | re.M)
DOC_BLOCKS = [
    (f"{doc.name}:{text[: m.start()].count(chr(10)) + 1}", m.group("code"))
    for doc in sorted((ROOT / "docs").rglob("*.md"))
    for text in [doc.read_text("utf-8")]
    for m in FENCE.finditer(text)
]


def lark_path(text: str) -> ast.Module | RuleSyntaxError:
    try:
        return build_module(parse_text(text, "f.rules"), "f.rules", text)
    except RuleSyntaxError as exc:
        return exc


def fast_path(text: str) -> ast.Module | RuleSyntaxError | None:
    """The fast path's module, its error for a limit passed, or None where it steps aside."""
    parser = fast_parser()
    full = text if text.endswith("\n") else text + "\n"
    try:
        check_rule_text(full)  # as parse_module does before either path
        header, items = parser.parse(full)
    except Fallback:
        return None
    except LimitExceeded as exc:
        return limit_error(exc, full, "f.rules")
    return ast.Module(header, items, "f.rules")


def resumed_error(text: str) -> RuleSyntaxError | None:
    """The error of lark resumed where the fast path stopped, for text that does not parse."""
    parser = fast_parser()
    full = text if text.endswith("\n") else text + "\n"
    try:
        parser.parse(full)
    except Fallback as fallback:
        if fallback.syntax:
            assert fallback.states is not None
            error = syntax_error_at(full, fallback.states, fallback.offset, "f.rules",
                                    token=fallback.token)
            assert error is not None, "lark resumed where the fast path stopped finds no error"
            return error
    except LimitExceeded:
        pass
    return None


def assert_same(text: str) -> Any:
    """Both paths agree; returns what the lark path gave."""
    expected = lark_path(text)
    got = fast_path(text)
    if isinstance(got, RuleSyntaxError):
        assert isinstance(expected, RuleSyntaxError), "the fast path stopped where lark parses"
        assert got.diagnostics == expected.diagnostics
    elif got is None:
        assert isinstance(expected, RuleSyntaxError), "the fast path gave up where lark parses"
        resumed = resumed_error(text)
        if resumed is not None:
            assert resumed.diagnostics == expected.diagnostics
    else:
        assert not isinstance(expected, RuleSyntaxError), f"the fast path accepted what lark rejects: {expected}"
        assert got == expected
    return expected


def assert_refused_on_the_lark_path(text: str, compared: bool = False) -> None:
    """The fast path steps aside for ``text``; the lark path's error (``compared``: checked against
    the fast path's resumption too) is the one ``parse_module`` reports."""
    assert fast_path(text) is None
    error = assert_same(text) if compared else lark_path(text)
    assert isinstance(error, RuleSyntaxError)
    with pytest.raises(RuleSyntaxError) as raised:
        parse_module(text, "f.rules")
    assert raised.value.diagnostics == error.diagnostics


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_rule_file_gives_the_same_ast(path: Path) -> None:
    assert_same(path.read_text("utf-8"))


@pytest.mark.parametrize("path", sorted((ROOT / "models").glob("*.rules")), ids=lambda p: p.name)
def test_bundled_models_take_the_fast_path(path: Path) -> None:
    assert fast_path(path.read_text("utf-8")) is not None


@pytest.mark.parametrize(("where", "code"), DOC_BLOCKS, ids=[where for where, _ in DOC_BLOCKS])
def test_documented_examples_give_the_same_ast(where: str, code: str) -> None:
    assert_same(code)


SPAN_TEXT = HEADER + "wert x: EUR = (a + b) * 2 EUR # Kommentar\n  \nwert y = max(\n  1,\n  2\n)\n"
KEYWORD_TEXT = HEADER + "eingabe stufe: zahl\nwert wert = stufe + 1\nbeispiel \"b\"\n  erwartet lp2a.stufe = 2\nende\n"


def test_spans_follow_the_text_as_written() -> None:
    """Spot checks of what the comparison relies on: keywords, closing newlines and brackets
    count towards a node's span; a parenthesised operand keeps its own."""
    text = SPAN_TEXT
    module = fast_path(text)
    assert module is not None and module == lark_path(text)
    x, y = module.items
    assert (x.span.line, x.span.column) == (3, 1)  # from the keyword „wert“ on
    assert (x.span.end_line, x.span.end_column) == (5, 1)  # through the newline and the blank line
    product = x.expr
    assert (product.span.column, product.span.end_column) == (15, 30)  # „(a + b) * 2 EUR“
    assert (product.left.span.column, product.left.span.end_column) == (16, 21)  # „a + b“
    assert (y.span.line, y.span.end_line) == (5, 9)  # newlines inside brackets are dropped


def test_a_keyword_is_a_name_where_no_keyword_fits() -> None:
    module = assert_same(KEYWORD_TEXT)
    assert isinstance(module, ast.Module) and module.items[1].name == "wert"


@pytest.mark.parametrize(
    "text",
    [
        HEADER + "wert x = 1,5\n",  # decimal comma
        HEADER + "paket p\n  stufen\n    0 \"a\"\n",  # missing ende
        HEADER + "wert x = 1 @\n",  # no terminal matches
        HEADER + "wert x = 31.02.2024\n",  # the builder rejects the date
        HEADER + "wert x = 1:0\n",  # the builder rejects the key
    ],
    ids=["komma", "ende-fehlt", "zeichen", "datum", "schluessel"],
)
def test_errors_come_from_the_lark_path(text: str) -> None:
    assert_refused_on_the_lark_path(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEADER + "wert x = " + "max(" * (MAX_BRACKETS + 5) + "1" + ")" * (MAX_BRACKETS + 5) + "\n",
         "Klammern"),
        (HEADER + "wert x = " + "-(-" * 80 + "1" + ")" * 80 + "\n", "Ebenen"),
        # deep by left recursion
        (HEADER + "wert x = " + " + ".join(["1"] * (MAX_DEPTH + 5)) + "\n", "Glieder"),
        (HEADER + "wert x = a und b" + " und c" * MAX_DEPTH + "\n", "Glieder"),
        (HEADER + "wert x = " + "-" * 600 + "1\n", "Ebenen"),
        (HEADER + "wert x = (" + "a + " * 150 + "a) < 1 + 2\n", "Glieder"),
        (HEADER + "wert x = " + "(a < 1) + " * 151 + "1\n", "Glieder"),
        (HEADER + "wert x = 1" + " + (a < b)" * 75 + " + 1" * 80 + "\n", "Glieder"),
        (HEADER + "wert x = " + "wenn a dann 1 sonst " * 200 + "1\n", "Ebenen"),
        (HEADER + "wert " + "x" * 101 + " = 1\n", "Wort"),
        (HEADER + "wert x = 1\n" + "wert y = 1 " + "EUR/h" * 30 + "\n", "Einheit"),
        (HEADER + "wert x = 1" + "0" * 50 + "\n", "Zahl"),
        (HEADER + "wert x = 1:" + "1" * 49 + "\n", "Schlüssel"),
        (HEADER + 'wert x = "' + "ä" * 9_999 + '"\n', "Text"),
        (HEADER + "wert x = max(1" + ", 1" * 5_000 + ")\n", "Anweisung"),
        # the newlines are inside brackets: one statement
        (HEADER + "wert x = max(1" + ",\n1" * 5_000 + "\n)\n", "Anweisung"),
    ],
    ids=["klammern", "ebenen", "summe", "und", "vorzeichen", "vergleich-in-klammern",
         "vergleiche", "gemischt", "wenn", "wort", "einheit", "zahl", "schluessel", "text",
         "anweisung", "anweisung-zeilen"],
)
def test_limits_are_reported_alike_by_both_paths(text: str, message: str) -> None:
    """The fast path stops at a limit itself (it does not step aside), at the same place and
    with the same diagnostic as the lark path."""
    got = fast_path(text)
    assert isinstance(got, RuleSyntaxError)
    assert message in got.message and got.diagnostics[0].code == "grenze"
    assert got.diagnostics == lark_path(text).diagnostics  # type: ignore[union-attr]
    with pytest.raises(RuleSyntaxError) as raised:
        parse_module(text, "f.rules")
    assert raised.value.diagnostics == got.diagnostics


def test_nesting_up_to_the_limit_takes_the_fast_path() -> None:
    depth = MAX_DEPTH - 10
    text = HEADER + "wert x = " + " + ".join(["1"] * depth) + "\n"
    assert fast_path(text) is not None
    assert_same(text)


EXPRESSIONS = [
    "a + b * 2",
    "wenn x > 1 dann max(a, b) sonst -1 EUR",
    "lp2a.stufe",
    "t[grad, 2]",
    "summe(m.x wo y >= 1) als h/Jahr",
    "x ",
    " x",
]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_expressions_give_the_same_ast(text: str) -> None:
    expected = build_expression(parse_text(text, "e", start="expr"), "e", text)
    assert fast_parser().parse(text, start="expr") == expected
    assert parse_expression(text) == expected


# ---- every grammar rule ------------------------------------------------------------------------


def _table_variants() -> str:
    """A ``tabelle`` with and without each optional part: title, ``teilweise``, annotations, rows."""
    out = []
    for number in range(16):
        title = ' "T"' if number & 1 else ""
        flag = " teilweise" if number & 2 else ""
        notes = ' annahme "a" quelle "q"' if number & 4 else ""
        rows = "  1: 2\n" if number & 8 else ""
        out.append(f"tabelle t{number}{title}: ganzzahl -> zahl{flag}{notes}\n{rows}ende\n")
    return "".join(out)


# Texts for the forms of the grammar that neither the bundled models nor the documentation write
# (each optional part left out or given, the rarer alternatives); with the rule files, the
# documented blocks and the texts above they reach every rule lark builds from the grammar
# (test_the_corpus_reaches_every_grammar_rule).
GRAMMAR_CORPUS = [
    "modell m\nende\n",  # no title, no header lines, no item, no leading newline
    '\n# Kommentar\nmodell m "M"\nende\n',
    'modell m\n  version "1"\nende\n',
    "modell m\nende\naufzählung E\n  a\n  1\nende\n",  # members without labels
    "modell m\nende\neingabe a: zahl EUR\neingabe b: zahl\neingabe c: auswahl {1, 2}\neingabe d: stufe\n"
    "eingabe e: zahl standard {}\neingabe f: €\n",
    'modell m\nende\nliste l1 "T" mindestens 1\nende\nliste l2 "T"\nende\nliste l3 höchstens 2\nende\n'
    "liste l4\n  eingabe x: zahl\nende\nliste l5\nende\n",
    'modell m\nende\nparameter p1: zahl = 1 annahme "a"\n  ab 01.01.2025 = 2\n'
    'parameter p2: zahl = 1 quelle "q"\nparameter p3: zahl = 1\n  ab 01.01.2025 = 2 bis 31.12.2025\n',
    'modell m\n  erweitert "basis"\nende\nparameter p1 = 1 "d" annahme "a"\n  ab 01.01.2025 = 2\n'
    'parameter p2 = 1 "d"\n  ab 01.01.2025 = 2\nparameter p3 = 1 "d"\nparameter p4 = 1\n  ab 01.01.2025 = 2\n'
    "parameter p5 = 1\ntabelle t\nende\n",
    "modell m\nende\n" + _table_variants(),
    'modell m\nende\ntabelle t: text, zahl, zahl -> zahl\n  "a", 1, 2: 3 "d" annahme "a"\n  "b", 1, 2: 4 "d"\nende\n',
    'modell m\nende\nwert a: zahl = 1 annahme "a"\nwert b = 1 "d" annahme "a"\nwert c = 1 quelle "q"\n',
    'modell m\nende\npaket p1 "T"\nende\npaket p2\n  wert x = 1\nende\npaket p3\nende\n',
    "modell m\nende\npaket p\n  stufe nach korridor x\n    0:\n    1: ab 1 unter 5\n    2: unter 9\n  ende\nende\n",
    'modell m\nende\nvorlage v\nende\nbeispiel "a" "T"\nende\nbeispiel "b"\nende\n',
    "modell m\nende\nwert a = -b\nwert c = Pflegegrad.0\nwert d = heute()\nwert e = 1:48\nwert f = ja\n"
    "wert g = nein\nwert h = 1 €\n",
]


def test_a_sign_alone_is_its_unit_on_both_paths() -> None:
    """``1 €`` and ``1 %``: literals lark leaves out of the tree, each its own unit."""
    for sign in ("€", "%"):
        module = assert_same(f"modell m\nende\nwert h = 1 {sign}\n")
        assert isinstance(module, ast.Module)
        (item,) = module.items
        assert item.expr.unit.text == sign  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", GRAMMAR_CORPUS)
def test_grammar_corpus_takes_the_fast_path(text: str) -> None:
    assert fast_path(text) is not None
    assert isinstance(assert_same(text), ast.Module)


# Check messages: the builder parses each ``{…}`` while it builds the check, on either path.
MESSAGE_TEXTS = [
    HEADER + 'eingabe a: zahl\nprüfung "x {a} y {a + 1}{a}": a > 0\n',
    HEADER + 'eingabe a: zahl\nwarnung "\\"{a}\\" \\\\ {{a}} \\n{ a }": a > 0\n',
    HEADER + 'eingabe a: zahl\nprüfung "{wenn a > 1 dann \\"}\\" sonst \\"{\\"}": a > 0\n',
    HEADER + 'eingabe a: zahl\nwarnung """zwei\nZeilen {a}""": a > 0\n',
]
MESSAGE_ERRORS = [
    HEADER + 'prüfung "x {a": a > 0\n',
    HEADER + 'prüfung "x } y": a > 0\n',
    HEADER + 'prüfung "x {} y": a > 0\n',
    HEADER + 'prüfung "x {a b}": a > 0\n',
    HEADER + 'prüfung "\\"{a +}": a > 0\n',
    HEADER + 'prüfung "{31.02.2024}": a > 0\n',
    HEADER + 'prüfung "{' + "-" * 600 + '1}": a > 0\n',
]


@pytest.mark.parametrize("text", MESSAGE_TEXTS)
def test_check_messages_take_the_fast_path(text: str) -> None:
    assert fast_path(text) is not None
    module = assert_same(text)
    assert isinstance(module, ast.Module) and any(not isinstance(p, str) for p in module.items[-1].message)


@pytest.mark.parametrize("text", MESSAGE_ERRORS)
def test_malformed_check_messages_are_reported_alike(text: str) -> None:
    """The builder refuses the message on the fast path too: it steps aside, and the lark path
    reports the error ``parse_module`` reports."""
    assert_refused_on_the_lark_path(text, compared=True)


# Declarations the grammar reads and the builder refuses where they stand (an aufzählung without
# a member: with ``enum_member+`` its „ende“ was read as a member's name).
BUILDER_ERRORS = [
    HEADER + 'aufzählung E "T"\nende\nwert x = 1\n',
    HEADER + "aufzählung E\nende",
]


@pytest.mark.parametrize("text", BUILDER_ERRORS)
def test_declarations_the_builder_refuses_are_reported_alike(text: str) -> None:
    assert_refused_on_the_lark_path(text, compared=True)


def _record(into: set[Any], rule: Any, children: list[Any]) -> None:
    into.add(rule)


def _reached(texts: list[str], start: str) -> set[Any]:
    """The rules of lark's parser (:attr:`lark.Lark.rules`) reduced while parsing those of
    ``texts`` that parse, with lark's own tables and lexer."""
    from lark.exceptions import UnexpectedInput
    from lark.parsers.lalr_parser import _Parser

    parser = make_parser()
    frontend = parser.parser
    reduced: set[Any] = set()
    callbacks = {rule: functools.partial(_record, reduced, rule) for rule in parser.rules}
    bare = _Parser(frontend.parser.parser.parse_table, callbacks, False)
    reached: set[Any] = set()
    for text in texts:
        full = text + "\n" if start == "start" and not text.endswith("\n") else text
        reduced.clear()
        try:
            bare.parse(frontend._make_lexer_thread(full), start)
        except (UnexpectedInput, LimitExceeded):
            continue  # only texts that parse count
        reached |= reduced
    return reached


def test_the_corpus_reaches_every_grammar_rule() -> None:
    """Every rule lark builds from ``grammars/teilhabe.lark`` — each alternative, with and
    without each optional part — is reduced by some text of the fixed corpus the two paths are
    compared on: the bundled models, the rule files of the tests, every documented ``rules``
    block, and the fixed texts of this file."""
    modules = [
        *(path.read_text("utf-8") for path in model_files()),
        *(path.read_text("utf-8") for path in RULE_FILES),
        *(code for _, code in DOC_BLOCKS),
        SPAN_TEXT, KEYWORD_TEXT, SAMPLE, DEFECT_TEXT, *GRAMMAR_CORPUS, *MESSAGE_TEXTS, *BUILDER_ERRORS,
    ]
    reached = _reached(modules, "start") | _reached(EXPRESSIONS, "expr")
    missing = [f"{rule}" + (f" -> {rule.alias}" if rule.alias else "") for rule in make_parser().rules
               if rule not in reached]
    assert missing == [], "no text of the corpus reaches:\n" + "\n".join(missing)
    assert len(reached) == len(make_parser().rules)


# ---- generated text --------------------------------------------------------------------------


@settings(FUZZ, max_examples=examples(150))
@given(GRAMMAR_TEXT)
def test_grammar_generated_text(text: str) -> None:
    assert_same(text)


@settings(FUZZ, max_examples=examples(50))
@given(RAW_GRAMMAR_TEXT)
def test_raw_grammar_generated_text(text: str) -> None:
    assert_same(text)


@settings(FUZZ, max_examples=examples(300))
@given(mutated_sample())
@example(SAMPLE)
@example(SAMPLE.replace("max(", "max((", 1))
def test_mutated_sample(text: str) -> None:
    assert_same(text)


@settings(FUZZ, max_examples=examples(200))
@given(_SOUP)
def test_word_soup(soup: str) -> None:
    assert_same(HEADER + soup)


@settings(FUZZ, max_examples=examples(200))
@given(st.text(st.sampled_from(list("wert x=1+-*/()[]{}.,:#\"\n \t\f\r%€abcä09")), max_size=40))
def test_character_soup(soup: str) -> None:
    assert_same(HEADER + soup)


def test_spans_name_the_base_file_on_both_paths() -> None:
    """A base model parsed for a variant: every span names its file, on either path."""
    from teilhabe_rules.syntax import builder

    text = (ROOT / "models/mawo.rules").read_text("utf-8")
    fast = parse_module(text, "mawo.rules", span_file="mawo.rules")
    reset = builder._SPAN_FILE.set("mawo.rules")
    try:
        slow = build_module(parse_text(text, "mawo.rules"), "mawo.rules", text)
    finally:
        builder._SPAN_FILE.reset(reset)
    assert fast == slow
    assert fast.header.span.file == "mawo.rules" and fast.items[0].span.file == "mawo.rules"


# ---- the module boundary ---------------------------------------------------------------------


def _imported_modules(path: Path) -> set[str]:
    """Every module an ``import`` statement of ``path`` names, relative imports resolved against
    the module's package (``from . import _fastpath`` in ``syntax/builder.py`` →
    ``teilhabe_rules.syntax._fastpath``)."""
    tree = pyast.parse(path.read_text("utf-8"))
    src = ROOT / "src"
    package = list(path.relative_to(src).parent.parts) if src in path.parents else ["teilhabe_rules"]
    found: set[str] = set()
    for node in pyast.walk(tree):
        if isinstance(node, pyast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, pyast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def test_only_the_syntax_layer_imports_the_fast_path() -> None:
    """``_fastpath`` is private to the builder and the parser: no other module of the package,
    no benchmark and no example imports it (tests do, by its module path)."""
    allowed = {"builder.py", "parser.py", "_fastpath.py"}
    package = ROOT / "src/teilhabe_rules"
    syntax = package / "syntax"
    sources = [*package.rglob("*.py"), *(ROOT / "benchmarks").rglob("*.py"), *(ROOT / "examples").rglob("*.py")]
    importers = sorted(
        str(path.relative_to(ROOT))
        for path in sources
        if not (path.parent == syntax and path.name in allowed)
        and (
            any(name.startswith("teilhabe_rules.syntax._fastpath") for name in _imported_modules(path))
            or "import_module" in path.read_text("utf-8") and "_fastpath" in path.read_text("utf-8")
        )
    )
    assert importers == []
    assert "teilhabe_rules.syntax._fastpath" in _imported_modules(syntax / "builder.py")  # the check sees imports


# ---- what the fast path steps aside on -------------------------------------------------------


class _Refused(Exception):
    """The refusal of the builders below."""


def _builder_raising(rule: str, error: Exception) -> type[AstBuilder]:
    """An :class:`AstBuilder` whose method for ``rule`` raises ``error``."""

    def method(self: AstBuilder, meta: Any, children: list[Any]) -> Any:
        raise error

    return v_args(meta=True)(type("Raising", (AstBuilder,), {rule: method}))  # type: ignore[no-any-return]


DEFECTS = [RuntimeError("kaputt"), AttributeError("x"), TypeError("y"), KeyError("z"), ValueError("w")]
DEFECT_TEXT = HEADER + "eingabe a: zahl EUR standard 0 EUR\nwert x: EUR = a + 1 EUR\n"


@pytest.mark.parametrize("rule", ["number_literal", "quantity", "binary", "value_decl", "start"])
@pytest.mark.parametrize("error", DEFECTS, ids=lambda e: type(e).__name__)
def test_a_defect_in_a_builder_method_propagates(rule: str, error: Exception) -> None:
    """Only the builder's own refusal makes the fast path step aside; any other exception from a
    builder method is a defect and surfaces as it is."""
    parser = FastParser(make_parser(), _builder_raising(rule, error)(), _Refused)
    with pytest.raises(type(error)) as raised:
        parser.parse(DEFECT_TEXT)
    assert raised.value is error


@pytest.mark.parametrize("rule", ["number_literal", "value_decl"])
def test_the_builders_refusal_steps_aside(rule: str) -> None:
    parser = FastParser(make_parser(), _builder_raising(rule, _Refused())(), _Refused)
    with pytest.raises(Fallback) as raised:
        parser.parse(DEFECT_TEXT)
    assert not raised.value.syntax


def test_a_defect_surfaces_from_parse_module_without_the_lark_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through :func:`parse_module`: the defect is raised by the fast path, and lark's parser is
    not run to hide it behind a second attempt."""
    from teilhabe_rules.syntax import builder

    lark_runs: list[str] = []
    monkeypatch.setattr(builder, "parse_text", lambda text, *args, **kwargs: lark_runs.append(text))
    monkeypatch.setattr(builder, "AstBuilder", _builder_raising("binary", RuntimeError("kaputt")))
    fast_parser.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="kaputt"):
            parse_module(DEFECT_TEXT, "f.rules")
    finally:
        fast_parser.cache_clear()
    assert lark_runs == []


def test_every_rule_has_a_builder_method() -> None:
    """A rule without a method (other than one that passes its single child on) is refused when
    the fast parser is built — lark's transformer would leave a bare tree in the AST."""
    parser = make_parser()
    missing = v_args(meta=True)(type("Missing", (AstBuilder,), {"value_decl": None}))
    with pytest.raises(TypeError, match="value_decl"):
        FastParser(parser, missing(), _Refused)
    FastParser(parser, AstBuilder(), _Refused)


@pytest.mark.parametrize("line", ["  gültig ab 31.02.2024", "  gültig bis 30.02.2025", "wert d = 31.02.2024"])
def test_a_date_that_is_none_is_shown_where_it_stands(line: str) -> None:
    """The caret under the date, on both paths (a header line's stood at its keyword), with the
    form of a date as the hint."""
    text = f'modell m "M"\n  version "1"\n{line}\nende\n' if line.startswith("  ") else HEADER + line + "\n"
    error = assert_same(text)
    assert isinstance(error, RuleSyntaxError)
    (diagnostic,) = error.diagnostics
    assert diagnostic.location is not None and diagnostic.hint == "Datumsangaben als TT.MM.JJJJ"
    assert diagnostic.location.column == line.index("3") + 1
    assert diagnostic.location.end_column == diagnostic.location.column + 10
