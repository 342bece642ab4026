"""The Pygments lexer of rule files: found through its entry point, built from the grammar, lossless,
without an error token on every bundled model and documented block, and cutting text where the
parser cuts it."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from hypothesis_budget import examples
from lark.lexer import PatternStr
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import find_lexer_class_by_name, get_lexer_by_name, get_lexer_for_filename, guess_lexer
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Literal,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
    is_token_subtype,
)

from teilhabe_rules.shipped import model_files
from teilhabe_rules.syntax.hints import KEYWORDS
from teilhabe_rules.syntax.parser import make_parser
from teilhabe_rules.tools.highlight import (
    KEYWORD_TOKENS,
    TERMINAL_TOKENS,
    UNIT,
    TeilhabeRulesLexer,
    keywords,
    terminal_tokens,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```rules[ \t]*\n(?P<code>.*?)^```[ \t]*$", re.S | re.M)
DOC_BLOCKS = [
    (f"{doc.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}", m.group("code"))
    for doc in sorted((ROOT / "docs").rglob("*.md"))
    for text in [doc.read_text("utf-8")]
    for m in FENCE.finditer(text)
]
MODELS = model_files()
LEXER = TeilhabeRulesLexer()


def tokens(text: str) -> list[tuple[object, str]]:
    """The tokens as a highlighter gets them, whitespace left out."""
    return [(kind, value) for kind, value in LEXER.get_tokens(text) if value.strip()]


def errors(text: str) -> list[tuple[int, str]]:
    found = LEXER.get_tokens_unprocessed(text)
    return [(index, value) for index, kind, value in found if is_token_subtype(kind, Error)]


def lossless(text: str) -> bool:
    return "".join(value for _, _, value in LEXER.get_tokens_unprocessed(text)) == text


# ---- registration ----------------------------------------------------------------------------


def test_pygments_finds_the_lexer_through_its_entry_point() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    declared = project["project"]["entry-points"]["pygments.lexers"]
    assert declared == {"teilhabe_rules": "teilhabe_rules.tools.highlight:TeilhabeRulesLexer"}
    installed = {e.name: e.value for e in entry_points(group="pygments.lexers")}
    assert installed.get("teilhabe_rules") == declared["teilhabe_rules"]
    for found in (get_lexer_for_filename("x.rules"), get_lexer_for_filename("models/mawo.rules"),
                  get_lexer_by_name("teilhabe-rules"), get_lexer_by_name("rules")):
        assert type(found) is TeilhabeRulesLexer
    assert find_lexer_class_by_name("rules") is TeilhabeRulesLexer


def test_the_documented_commands_work() -> None:
    """docs/07_modelle_schreiben.md: pygmentize (Pygments' command line) lists the lexer and highlights a model."""
    page = (ROOT / "docs" / "07_modelle_schreiben.md").read_text("utf-8")
    assert "pip install 'teilhabe-rules[editor]'" in page
    assert "pygmentize -l teilhabe-rules models/mawo.rules" in page
    pygmentize = [sys.executable, "-m", "pygments"]
    listed = subprocess.run([*pygmentize, "-L", "lexers"], capture_output=True, text=True, timeout=120, check=True)
    assert "* teilhabe-rules, rules:\n    Teilhabe-Regeln (filenames *.rules)" in listed.stdout
    for options in (["-l", "teilhabe-rules"], []):  # by name, and by the file's name
        shown = subprocess.run([*pygmentize, *options, "-f", "html", str(ROOT / "models" / "mawo.rules")],
                               capture_output=True, text=True, encoding="utf-8", timeout=120, check=True)
        assert '<span class="k">modell</span>' in shown.stdout and 'class="err"' not in shown.stdout


def test_a_rule_file_is_recognised_by_its_header() -> None:
    text = MODELS[0].read_text("utf-8")
    assert TeilhabeRulesLexer.analyse_text(text) > 0
    assert TeilhabeRulesLexer.analyse_text("# Kopf\n\nmodell m\nende\n") > 0
    assert TeilhabeRulesLexer.analyse_text("import os\nmodell = 1\n") == 0
    model = '\nmodell demo "Demo"\n  gültig ab 01.01.2024\nende\nwert eins = 1\n'
    assert type(guess_lexer(model)) is TeilhabeRulesLexer


def test_importing_the_library_does_not_import_pygments() -> None:
    """Pygments is optional: only teilhabe_rules.tools.highlight imports it."""
    modules = sorted(
        ".".join(("teilhabe_rules", *path.relative_to(ROOT / "src" / "teilhabe_rules").with_suffix("").parts))
        .removesuffix(".__init__")
        for path in (ROOT / "src" / "teilhabe_rules").rglob("*.py")
    )
    assert "teilhabe_rules.tools.highlight" in modules
    # the pytest plugin imports pytest, which may load Pygments to colour its own output
    others = [m for m in modules if m not in ("teilhabe_rules.tools.highlight", "teilhabe_rules.tools.pytest_plugin",
                                              "teilhabe_rules.__main__")]
    probe = ("import importlib, sys\n"
             f"for name in {others!r}:\n    importlib.import_module(name)\n"
             "assert 'pygments' not in sys.modules, 'pygments imported'\n"
             "import teilhabe_rules.tools.highlight\n"
             "assert 'pygments' in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


# ---- built from the grammar ------------------------------------------------------------------


def test_the_keywords_are_the_grammars_word_terminals() -> None:
    words = {t.pattern.value for t in make_parser().terminals
             if isinstance(t.pattern, PatternStr) and re.fullmatch(r"[^\W\d]\w*", t.pattern.value)}
    assert keywords() == words == set(KEYWORDS)
    assert {"prüfung", "gültig", "höchstens", "über", "vorgänger", "einschätzung"} <= keywords()
    assert set(KEYWORD_TOKENS) <= keywords()


def test_every_terminal_of_the_grammar_has_a_token_type() -> None:
    table = terminal_tokens()
    assert set(table) == {t.name for t in make_parser().terminals}
    assert table["GÜLTIG"] is Keyword and table["UND"] is Operator.Word and table["JA"] is Keyword.Constant
    assert table["PERCENT"] is UNIT and table["LPAR"] is Punctuation and table["COMPOUND_UNIT"] is UNIT
    assert set(TERMINAL_TOKENS) <= set(table), "TERMINAL_TOKENS names terminals the grammar no longer has"


def test_a_new_terminal_without_a_token_type_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(TERMINAL_TOKENS, "DATE")
    with pytest.raises(LookupError, match="DATE"):
        terminal_tokens()


# ---- the bundled models and the documented blocks ---------------------------------------------


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.name)
def test_every_bundled_model_lexes_without_error_and_losslessly(path: Path) -> None:
    text = path.read_text("utf-8")
    assert errors(text) == []
    assert "".join(value for _, value in LEXER.get_tokens(text)) == text
    kinds = {kind for kind, _ in tokens(text)}
    assert {Keyword, Name, UNIT, Number.Integer, String.Double, Comment.Single, Operator, Punctuation} <= kinds


@pytest.mark.parametrize(("where", "code"), DOC_BLOCKS, ids=[where for where, _ in DOC_BLOCKS])
def test_every_documented_block_lexes_without_error_and_losslessly(where: str, code: str) -> None:
    assert errors(code) == []
    assert "".join(value for _, value in LEXER.get_tokens(code)) == code


def test_the_documentation_has_blocks() -> None:
    assert len(DOC_BLOCKS) >= 10


# ---- token classes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("gültig ab 01.01.2024", [(Keyword, "gültig"), (Keyword, "ab"), (Literal.Date, "01.01.2024")]),
        ('parameter fls_satz: EUR/h = 68.95 "Fachleistungsstundensatz" # verhandelt',
         [(Keyword, "parameter"), (Name, "fls_satz"), (Punctuation, ":"), (UNIT, "EUR/h"), (Operator, "="),
          (Number.Float, "68.95"), (String.Double, '"Fachleistungsstundensatz"'), (Comment.Single, "# verhandelt")]),
        ("eingabe kap4: auswahl {0, 2} min/Tag",
         [(Keyword, "eingabe"), (Name, "kap4"), (Punctuation, ":"), (Keyword, "auswahl"), (Punctuation, "{"),
          (Number.Integer, "0"), (Punctuation, ","), (Number.Integer, "2"), (Punctuation, "}"), (UNIT, "min/Tag")]),
        ("eingabe personen: ganzzahl Personen von 1 bis 10 standard 1",
         [(Keyword, "eingabe"), (Name, "personen"), (Punctuation, ":"), (Keyword, "ganzzahl"), (UNIT, "Personen"),
          (Keyword, "von"), (Number.Integer, "1"), (Keyword, "bis"), (Number.Integer, "10"), (Keyword, "standard"),
          (Number.Integer, "1")]),
        # a word after a number is its unit, known or not (the checker judges it)
        ("  3: 45 % # Anteil", [(Number.Integer, "3"), (Punctuation, ":"), (Number.Integer, "45"), (UNIT, "%"),
                                (Comment.Single, "# Anteil")]),
        ("wert w = 15 min + 2 Schichten + 1 €", [(Keyword, "wert"), (Name, "w"), (Operator, "="),
                                                  (Number.Integer, "15"), (UNIT, "min"), (Operator, "+"),
                                                  (Number.Integer, "2"), (UNIT, "Schichten"), (Operator, "+"),
                                                  (Number.Integer, "1"), (UNIT, "€")]),
        # a table row written without blanks: its key, colon and value, as the parser reads them —
        # a staff key never begins a statement (but may begin a line inside brackets)
        ("1:50 # Zeile", [(Number.Integer, "1"), (Punctuation, ":"), (Number.Integer, "50"),
                          (Comment.Single, "# Zeile")]),
        ("  1:1:48", [(Number.Integer, "1"), (Punctuation, ":"), (Number, "1:48")]),
        ("wert w = max(\n1:48, 1)", [(Keyword, "wert"), (Name, "w"), (Operator, "="), (Name.Builtin, "max"),
                                     (Punctuation, "("), (Number, "1:48"), (Punctuation, ","),
                                     (Number.Integer, "1"), (Punctuation, ")")]),
        ("parameter leitung: schlüssel = 1:28.41",
         [(Keyword, "parameter"), (Name, "leitung"), (Punctuation, ":"), (Keyword, "schlüssel"), (Operator, "="),
          (Number, "1:28.41")]),
        ("tabelle t: Pflegegrad -> %", [(Keyword, "tabelle"), (Name, "t"), (Punctuation, ":"), (Name, "Pflegegrad"),
                                        (Operator, "->"), (UNIT, "%")]),
        # a keyword after a dot is a field; a word before "(" a function
        ("erwartet bewohner[1].lp2a.stufe = 2",
         [(Keyword, "erwartet"), (Name, "bewohner"), (Punctuation, "["), (Number.Integer, "1"), (Punctuation, "]"),
          (Punctuation, "."), (Name.Attribute, "lp2a"), (Punctuation, "."), (Name.Attribute, "stufe"),
          (Operator, "="), (Number.Integer, "2")]),
        ("wert s = summe(m.h wo p > 1) als h/Jahr",
         [(Keyword, "wert"), (Name, "s"), (Operator, "="), (Name.Builtin, "summe"), (Punctuation, "("),
          (Name, "m"), (Punctuation, "."), (Name.Attribute, "h"), (Operator.Word, "wo"), (Name, "p"),
          (Operator, ">"), (Number.Integer, "1"), (Punctuation, ")"), (Operator.Word, "als"), (UNIT, "h/Jahr")]),
        ("wert m = min(a, b) als Wochen", [(Keyword, "wert"), (Name, "m"), (Operator, "="), (Name.Builtin, "min"),
                                           (Punctuation, "("), (Name, "a"), (Punctuation, ","), (Name, "b"),
                                           (Punctuation, ")"), (Operator.Word, "als"), (UNIT, "Wochen")]),
        ("wert b = wenn nicht x und ja dann -1 sonst x -1",
         [(Keyword, "wert"), (Name, "b"), (Operator, "="), (Keyword, "wenn"), (Operator.Word, "nicht"), (Name, "x"),
          (Operator.Word, "und"), (Keyword.Constant, "ja"), (Keyword, "dann"), (Number.Integer, "-1"),
          (Keyword, "sonst"), (Name, "x"), (Operator, "-"), (Number.Integer, "1")]),
        ('prüfung "Ende ({schluss}) vor Beginn": schluss >= beginn',
         [(Keyword, "prüfung"), (String.Double, '"Ende ('), (String.Interpol, "{schluss}"),
          (String.Double, ') vor Beginn"'), (Punctuation, ":"), (Name, "schluss"), (Operator, ">="),
          (Name, "beginn")]),
        ('warnung "{dauer}": dauer ≥ 182 Tage', [(Keyword, "warnung"), (String.Double, '"'),
                                                  (String.Interpol, "{dauer}"), (String.Double, '"'),
                                                  (Punctuation, ":"), (Name, "dauer"), (Operator, "≥"),
                                                  (Number.Integer, "182"), (UNIT, "Tage")]),
        # only a check's message has placeholders
        ('quelle "Anlage {3}"', [(Keyword, "quelle"), (String.Double, '"Anlage {3}"')]),
        ('beschreibung """zwei\nZeilen"""', [(Keyword, "beschreibung"), (String.Double, '"""zwei\nZeilen"""')]),
        # the decimal comma is no number of the language (the parser explains it)
        ("wert x = 68,95", [(Keyword, "wert"), (Name, "x"), (Operator, "="), (Number.Integer, "68"),
                            (Punctuation, ","), (Number.Integer, "95")]),
        # a word is read whole: no keyword inside a name
        ("wert werte_summe = ja_nein_wert", [(Keyword, "wert"), (Name, "werte_summe"), (Operator, "="),
                                              (Name, "ja_nein_wert")]),
    ],
)
def test_token_classes(line: str, expected: list[tuple[object, str]]) -> None:
    assert tokens(line + "\n") == expected


def test_a_character_outside_the_language_is_an_error_token() -> None:
    assert errors("wert x = 1 $\n") == [(11, "$")]
    assert errors('titel "offen\n') == [(6, '"')]
    assert lossless('titel "offen\n') and lossless("wert x = 1 $\n")


def test_leading_blank_lines_are_kept_for_the_line_numbers() -> None:
    text = "\n\n# Kopf\nmodell m\nende\n"
    assert "".join(value for _, value in LEXER.get_tokens(text)) == text
    assert "".join(value for _, value in TeilhabeRulesLexer(stripnl=True).get_tokens(text)) == text.lstrip("\n")


# ---- HTML ------------------------------------------------------------------------------------


class _Spans(HTMLParser):
    """The text of every span of Pygments' HTML, by CSS class, and all text inside ``<pre>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.spans: dict[str, list[str]] = {}
        self.text: list[str] = []
        self.pre = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.pre = self.pre or tag == "pre"
        if tag == "span":
            self.stack.append(dict(attrs).get("class") or "")
            self.spans.setdefault(self.stack[-1], []).append("")

    def handle_endtag(self, tag: str) -> None:
        self.pre = self.pre and tag != "pre"
        if tag == "span":
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.pre:
            self.text.append(data)
        if self.stack:
            self.spans[self.stack[-1]][-1] += data


def test_a_model_renders_to_html_with_keyword_spans() -> None:
    path = ROOT / "models" / "mawo.rules"
    text = path.read_text("utf-8")
    rendered = highlight(text, get_lexer_for_filename(path.name), HtmlFormatter())
    assert '<span class="k">modell</span>' in rendered
    assert '<span class="k">gültig</span><span class="w"> </span><span class="k">ab</span>' in rendered
    spans = _Spans()
    spans.feed(rendered)
    assert set(spans.spans["k"]) <= keywords()
    assert {"modell", "ende", "gültig", "paket", "stufe", "korridor", "prüfung"} <= set(spans.spans["k"])
    assert {"EUR/h", "min/Tag", "%"} <= set(spans.spans["kt"])  # units
    assert all(value.startswith("#") for value in spans.spans["c1"])
    assert '"MAWo – Modell für Assistenzleistungen im Wohnen"' in spans.spans["s2"]
    assert spans.spans["si"] and all(re.fullmatch(r"\{[^{}]+\}", value) for value in spans.spans["si"])
    assert "err" not in spans.spans
    assert "".join(spans.text) == text  # all of the file, nothing else


# ---- generated text --------------------------------------------------------------------------

CORPUS_LINES = sorted({line for path in MODELS for line in path.read_text("utf-8").splitlines()}
                      | {line for _, code in DOC_BLOCKS for line in code.splitlines()})


@settings(max_examples=examples(100))
@given(st.lists(st.sampled_from(CORPUS_LINES), max_size=40), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_shuffled_lines_of_the_models_lex_losslessly(lines: list[str], newline: str, final: bool) -> None:
    """Any arrangement of the lines of the models and documented blocks: lossless, and no error
    (no token of those files spans lines)."""
    text = newline.join(lines) + (newline if final else "")
    assert lossless(text)
    assert errors(text) == []
    if newline == "\n" and final:
        assert "".join(value for _, value in LEXER.get_tokens(text)) == text


@settings(max_examples=examples(100))
@given(st.text())
@example("\ufeffmodell m\nende\n")
@example('"""offen\n')
@example("\r")
def test_any_text_lexes_losslessly(text: str) -> None:
    assert lossless(text)


_NAMES = st.from_regex(r"[a-zäöüß][a-z0-9äöüß_]{0,6}", fullmatch=True).filter(lambda name: name not in KEYWORDS)


def _explicit() -> dict[str, st.SearchStrategy[str]]:
    """Values of the terminals, each followed by a blank (as tests/syntax/test_parser_fuzz.py)."""
    parser = make_parser()
    explicit: dict[str, st.SearchStrategy[str]] = {
        t.name: st.just(t.pattern.value + " ") for t in parser.terminals if isinstance(t.pattern, PatternStr)
    }
    spaced = {
        "NAME": _NAMES,
        "NUMBER": st.from_regex(r"-?[0-9]{1,3}(\.[0-9]{1,2})?", fullmatch=True),
        "STRING": st.one_of(st.sampled_from(['""', '"Text {x} und {y}"', '"a\\"b"']),
                            st.text(st.sampled_from(list("ab {}\n")), max_size=6).map(lambda s: f'"""{s}"""')),
        "DATE": st.sampled_from(["01.01.2024", "1.2.2025", "31.12.2026"]),
        "KEY": st.sampled_from(["1:48", "1:28.41"]),
        "COMPOUND_UNIT": st.sampled_from(["EUR/h", "min/Tag", "EUR/VK/Jahr", "€/Tag"]),
        "COMP_OP": st.sampled_from(["<=", ">=", "<>", "=", "<", ">", "≤", "≥", "≠"]),
        "ADD_OP": st.sampled_from(["+", "-"]),
        "MUL_OP": st.sampled_from(["*", "/"]),
        "ARROW": st.sampled_from(["->", "→"]),
    }
    explicit.update({name: strategy.map(lambda s: s + " ") for name, strategy in spaced.items()})
    explicit["_NL"] = st.sampled_from(["\n", "\n\n", "\n  # Kommentar\n", "\n\t"])
    explicit["COMMENT"] = st.just("")  # a comment drawn between symbols would swallow its line
    for name in parser.lexer_conf.ignore:
        explicit.setdefault(name, st.sampled_from(["", " ", "\t"]))
    return explicit


# hypothesis reads the grammar of a built parser (one loaded from the cache has none)
GRAMMAR_TEXT = from_lark(make_parser(strict=True), start="start", explicit=_explicit())


def _expected(terminal: str) -> tuple[object, ...]:
    """The token types the lexer may give a terminal's text (a name depends on its neighbours)."""
    if terminal == "NAME":
        return (Name, Name.Attribute, Name.Builtin, UNIT)
    if terminal == "NUMBER":
        return (Number.Integer, Number.Float)
    if terminal == "STRING":
        return (String.Double, String.Interpol)
    return (terminal_tokens()[terminal],)


@settings(max_examples=examples(100), deadline=None)
@given(GRAMMAR_TEXT)
def test_the_lexer_cuts_text_of_the_grammar_where_the_parser_does(text: str) -> None:
    """Text generated from the grammar: no error token, and every token of lark's (contextual)
    lexer is exactly covered by the lexer's tokens, each of the token type its terminal has."""
    assert errors(text) == [] and lossless(text)
    pieces = {start: (kind, value) for start, kind, value in LEXER.get_tokens_unprocessed(text)}
    parsing = make_parser().parse_interactive(text, start="start")
    for token in parsing.iter_parse():
        if token.type == "_NL":
            continue
        start, end = token.start_pos, token.end_pos
        assert start is not None and end is not None
        assert start in pieces, f"the lexer does not start a token at {token!r}"
        covered = []
        while start < end:
            kind, value = pieces[start]
            covered.append((kind, value))
            start += len(value)
        assert start == end, f"the lexer's token overlaps the end of {token!r}: {covered}"
        allowed = _expected(token.type)
        if token.type == "NUMBER" and len(covered) == 2:  # a sign after an operand
            assert covered[0] == (Operator, "-")
            covered = covered[1:]
        assert all(kind in allowed for kind, _ in covered), (token, covered)
        assert not any(is_token_subtype(kind, Whitespace) for kind, _ in covered)
