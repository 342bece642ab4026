"""Syntax errors are explained in plain German, pointing at the offending character or word."""

from __future__ import annotations

import re

import pytest

from teilhabe_rules.errors import Diagnostic, RuleSyntaxError
from teilhabe_rules.syntax.builder import parse_module
from teilhabe_rules.syntax.hints import KEYWORDS, MISTAKES, find_mistake
from teilhabe_rules.syntax.parser import make_parser, syntax_error_context

HEADER = 'modell m "M"\nende\n'

# Mistake name -> (pattern of the message, line, column, pattern of the hint). Written out here,
# independent of the table, so that a changed message or position fails a test.
EXPECTED: dict[str, tuple[str, int, int, str]] = {
    "zerlegter-buchstabe": (r"„e\u0301“ ist aus „e“ und dem Zeichen U\+0301 zusammengesetzt", 3, 10,
                            r"schreibe „é“ als ein Zeichen \(Unicode NFC\)"),
    "text-nicht-geschlossen": (r"Der Text ist nicht abgeschlossen", 1, 10, r'"…"'),
    "dezimalkomma": (
        r"mit Punkt geschrieben, nicht mit Komma: 68,95",
        3,
        27,
        r"schreibe 68\.95 statt 68,95",
    ),
    "datum-format": (
        r"Ein Datum wird als TT\.MM\.JJJJ geschrieben, nicht 2024-01-01",
        2,
        13,
        r"schreibe 01\.01\.2024",
    ),
    "einheit-mit-leerzeichen": (
        r"ohne Leerzeichen geschrieben: EUR / h",
        3,
        17,
        r"schreibe EUR/h statt EUR / h",
    ),
    "klammer-nicht-geschlossen": (
        r"Die Klammer „\(“ ist nicht geschlossen",
        3,
        13,
        r"es fehlt „\)“.*Zeile 4",
    ),
    "zeile-endet-im-ausdruck": (
        r"Die Zeile endet, bevor die Angabe vollständig ist",
        4,
        20,
        r"^eine Angabe endet am Zeilenende: soll sie in Zeile 5 weitergehen, setze den Ausdruck in Klammern "
        r"\( … \), in ihnen geht er über mehrere Zeilen \(erwartet hier: „dann“\)$",
    ),
    "zeile-setzt-ausdruck-fort": (
        r"„\+“ am Anfang der Zeile setzt den Ausdruck aus Zeile 4 fort, aber eine Angabe endet am Zeilenende",
        5,
        3,
        r"^setze den Ausdruck in Klammern \( … \), in ihnen geht er über mehrere Zeilen$",
    ),
    "klammer-zu-viel": (
        r"schließenden Klammer „\)“ gibt es keine öffnende",
        3,
        17,
        r"überzählige Klammer",
    ),
    "ende-fehlt": (
        r"Der Block „paket lp1“ aus Zeile 3 ist nicht mit „ende“ abgeschlossen",
        3,
        1,
        r"am Dateiende",
    ),
    "block-leer": (
        r"Der Block „stufen“ hat keinen Eintrag",
        4,
        3,
        r"jede Stufe steht vor „ende“ in einer Zeile: ihre Nummer und Bezeichnung",
    ),
    "ende-zu-viel": (
        r"Zu diesem „ende“ gibt es keinen offenen Block",
        4,
        1,
        r"doppelt geschlossen",
    ),
    "gleich-statt-doppelpunkt": (
        r"„tabelle anteil“ steht nach dem Schlüssel ein Doppelpunkt, kein „=“",
        4,
        5,
        r"„1: 100 %“",
    ),
    "doppelpunkt-statt-gleich": (r"Gleichheitszeichen „=“, kein Doppelpunkt", 4, 7, r"„kap4 = 0“"),
    "teilweise-vorne": (
        r"„teilweise“ steht am Ende der Kopfzeile einer Tabelle",
        3,
        9,
        r"„tabelle anteil \"Anteil\": ganzzahl -> % teilweise“",
    ),
    "doppelpunkt-fehlt": (
        r"Nach „eingabe stunden“ fehlt ein Doppelpunkt",
        3,
        16,
        r"„eingabe stunden: TYP“",
    ),
    "schluesselwort-als-einheit": (
        r"Unbekanntes Schlüsselwort „snst“",
        4,
        28,
        r"meinten Sie „sonst“\? \(nach einer Zahl wird ein Wort als ihre Einheit gelesen\)",
    ),
    "schluesselwort-vertippt": (
        r"Unbekanntes Schlüsselwort „paramter“",
        3,
        1,
        r"meinten Sie „parameter“\?",
    ),
}

MISTAKE_IDS = [mistake.name for mistake in MISTAKES]


def syntax_error(text: str) -> Diagnostic:
    with pytest.raises(RuleSyntaxError) as info:
        parse_module(text)
    assert len(info.value.diagnostics) == 1
    return info.value.diagnostics[0]


def caret_column(rendered: str, source_line: str) -> int:
    """The 1-based column the caret stands under in a rendered diagnostic."""
    lines = rendered.split("\n")
    index = lines.index(f"    {source_line}")
    return lines[index + 1].index("^") - 4 + 1


def test_every_mistake_has_expectations() -> None:
    """Every entry of the table is tested below, and nothing is tested that is not in the table."""
    assert set(EXPECTED) == set(MISTAKE_IDS)
    assert len(MISTAKE_IDS) == len(set(MISTAKE_IDS))


@pytest.mark.parametrize("mistake", MISTAKES, ids=MISTAKE_IDS)
def test_mistake_example_is_explained(mistake) -> None:
    """Each example raises its message at the right line and column, with source, caret and hint."""
    message, line, column, hint = EXPECTED[mistake.name]
    with pytest.raises(RuleSyntaxError, match=message) as info:
        parse_module(mistake.example)
    diagnostic = info.value.diagnostics[0]
    assert diagnostic.code == "syntax"
    assert (diagnostic.location.line, diagnostic.location.column) == (line, column)
    assert diagnostic.hint is not None and re.search(hint, diagnostic.hint)
    source_line = mistake.example.split("\n")[line - 1]
    assert diagnostic.source_line == source_line
    rendered = diagnostic.render()
    assert rendered.startswith(f"<eingabe>:{line}:{column}: fehler: ")
    assert f"\n    {source_line}\n" in rendered
    assert caret_column(rendered, source_line) == column
    assert "\n    hinweis: " in rendered


@pytest.mark.parametrize("mistake", MISTAKES, ids=MISTAKE_IDS)
def test_example_triggers_its_own_entry_only(mistake) -> None:
    """The example is recognised by its own entry, and no other entry's test claims it."""
    ctx = syntax_error_context(mistake.example)
    assert ctx is not None
    found = find_mistake(ctx)
    assert found is not None and found[0].name == mistake.name
    others = [
        other.name for other in MISTAKES if other is not mistake and other.test(ctx) is not None
    ]
    assert others == []


def test_keywords_are_the_grammars_words() -> None:
    """KEYWORDS lists exactly the word terminals of the grammar (so suggestions stay complete)."""
    words = {
        t.pattern.value
        for t in make_parser().terminals
        if type(t.pattern).__name__ == "PatternStr" and re.fullmatch(r"[^\W\d]\w*", t.pattern.value)
    }
    assert set(KEYWORDS) == words


def test_an_empty_corridor_is_named_at_its_first_line() -> None:
    """A corridor without bands is told what a band is, at the line it opens (not „erwartet: eine Zahl“)."""
    text = HEADER + 'paket p "P"\n  stufen\n    0 "a"\n  ende\n  eingabe x: zahl\n'
    text += '  stufe nach korridor x\n  ende\nende\n'
    diagnostic = syntax_error(text)
    assert diagnostic.message == "Der Block „stufe nach korridor“ hat keinen Eintrag"
    assert diagnostic.location is not None and (diagnostic.location.line, diagnostic.location.column) == (8, 3)
    assert diagnostic.hint == ("jedes Band steht vor „ende“ in einer Zeile: die Stufe, ein Doppelpunkt und die "
                               "Grenzen, z. B. „1: über 0 bis 25“")


class TestMisspeltKeyword:
    """A misspelt keyword gets a did-you-mean; a declared name in the wrong place does not."""

    @pytest.mark.parametrize(
        ("text", "word", "suggestion", "line", "column"),
        [
            ('modell m "M"\n  gueltig ab 01.01.2024\nende\n', "gueltig", "gültig", 2, 3),
            (HEADER + 'aufzaehlung Art\n  a "A"\nende\n', "aufzaehlung", "aufzählung", 3, 1),
            (HEADER + "Tabelle t: ganzzahl -> %\n  1: 100 %\nende\n", "Tabelle", "tabelle", 3, 1),
            (HEADER + "paramter satz: EUR/h = 68.95\n", "paramter", "parameter", 3, 1),
            (HEADER + 'pruefung "x": 1 > 0\n', "pruefung", "prüfung", 3, 1),
            (
                HEADER + "paket p\n  stufe nach korridr x\n    0: ab 0\n  ende\nende\n",
                "korridr",
                "korridor",
                4,
                14,
            ),
            (HEADER + "wertx = 3\n", "wertx", "wert", 3, 1),
        ],
        ids=["gueltig", "aufzaehlung", "Tabelle", "paramter", "pruefung", "korridr", "wertx"],
    )
    def test_suggestion(
        self, text: str, word: str, suggestion: str, line: int, column: int
    ) -> None:
        with pytest.raises(RuleSyntaxError, match=f"Unbekanntes Schlüsselwort „{word}“"):
            parse_module(text)
        diagnostic = syntax_error(text)
        assert diagnostic.hint == f"meinten Sie „{suggestion}“?"
        assert (diagnostic.location.line, diagnostic.location.column) == (line, column)
        assert diagnostic.location.end_column == column + len(word)

    def test_declared_name_in_wrong_place_is_not_a_keyword(self) -> None:
        diagnostic = syntax_error(HEADER + "eingabe werte: zahl\nwerte = 3\n")
        assert diagnostic.message == "Unerwartetes „werte“"
        assert "wert" in (diagnostic.hint or "")

    def test_name_mid_line_is_not_a_keyword_when_declared(self) -> None:
        diagnostic = syntax_error(HEADER + "eingabe als1: zahl\nwert x = y als1\n")
        assert diagnostic.message == "Unerwartetes „als1“"
        assert (diagnostic.location.line, diagnostic.location.column) == (4, 12)

    def test_word_far_from_every_keyword_is_unexpected(self) -> None:
        diagnostic = syntax_error(HEADER + "summe = 3\n")
        assert diagnostic.message == "Unerwartetes „summe“"
        assert "„wert“" in (diagnostic.hint or "")


class TestMissingEnde:
    """A missing ``ende`` names the open block and the line it was opened on, and points there."""

    @pytest.mark.parametrize(
        ("text", "block", "line", "column", "where"),
        [
            ('modell m "M"\n  version "1"\neingabe x: zahl\n', "modell m", 1, 1, "vor Zeile 3"),
            ('modell m "M"\n  version "1"\n', "modell m", 1, 1, "am Dateiende"),
            (
                HEADER + 'aufzählung Art\n  a "A"\neingabe x: Art\n',
                "aufzählung Art",
                3,
                1,
                "vor Zeile 5",
            ),
            (
                HEADER + "tabelle t: ganzzahl -> %\n  1: 100 %\nwert y = 3\n",
                "tabelle t",
                3,
                1,
                "vor Zeile 5",
            ),
            (
                HEADER + 'paket p\n  stufen\n    0 "keine"\n  stufe = 0\nende\n',
                "stufen",
                4,
                3,
                "vor Zeile 6",
            ),
            (HEADER + "paket p\n  wert x = 1\npaket q\nende\n", "paket p", 3, 1, "vor Zeile 5"),
            (
                HEADER + 'beispiel "a"\n  erwartet x = 1\nwert y = 2\n',
                'beispiel "a"',
                3,
                1,
                "vor Zeile 5",
            ),
            (
                HEADER + 'liste l\n  paket p\n    wert x = """\nende\n"""\n  ende\n',
                "liste l",
                3,
                1,
                "am Dateiende",
            ),
        ],
        ids=[
            "modell-mitte",
            "modell-dateiende",
            "aufzaehlung",
            "tabelle",
            "stufen",
            "paket-in-paket",
            "beispiel",
            "text-ueber-zeilen",
        ],
    )
    def test_block_and_line(
        self, text: str, block: str, line: int, column: int, where: str
    ) -> None:
        diagnostic = syntax_error(text)
        assert (
            diagnostic.message
            == f"Der Block „{block}“ aus Zeile {line} ist nicht mit „ende“ abgeschlossen"
        )
        assert diagnostic.source_line is not None and diagnostic.source_line.strip().startswith(
            block.split()[0]
        )
        assert (diagnostic.location.line, diagnostic.location.column) == (line, column)
        assert diagnostic.hint is not None and diagnostic.hint.endswith(where)

    def test_member_shaped_line_is_not_a_missing_ende(self) -> None:
        diagnostic = syntax_error(HEADER + 'aufzählung Art\n  wert "Wert" "a" "b"\nende\n')
        assert "ende" not in diagnostic.message
        assert (diagnostic.location.line, diagnostic.location.column) == (4, 19)


class TestNoFalsePositives:
    """The specific rules stay silent where their mistake is not the cause."""

    def test_comma_between_arguments_is_no_decimal_comma(self) -> None:
        diagnostic = syntax_error(HEADER + "wert x = max(1,5) +\n")
        assert "Komma" not in diagnostic.message
        assert diagnostic.message == "Die Zeile endet, bevor die Angabe vollständig ist"
        assert (diagnostic.location.line, diagnostic.location.column) == (3, 20)

    def test_division_in_literal_is_no_spaced_unit(self) -> None:
        diagnostic = syntax_error(HEADER + "parameter x: zahl = a / b\n")
        assert diagnostic.message == "Unerwartetes „/“"

    def test_equals_in_declaration_is_no_table_row(self) -> None:
        diagnostic = syntax_error(HEADER + "eingabe x = zahl\n")
        assert diagnostic.message == "Nach „eingabe x“ fehlt ein Doppelpunkt"
        assert (diagnostic.location.line, diagnostic.location.column) == (3, 10)

    def test_bracket_closed_on_same_line_is_not_unclosed(self) -> None:
        diagnostic = syntax_error(HEADER + "wert x = (a b)\n")
        assert diagnostic.message == "Unerwartetes „b“"

    def test_colon_inside_a_name_is_no_assignment(self) -> None:
        diagnostic = syntax_error(HEADER + "parameter sa:tz: zahl = 5\n")
        assert "Gleichheitszeichen" not in diagnostic.message
        assert diagnostic.location.column == 16

    def test_error_inside_multiline_bracket_is_not_an_unclosed_bracket(self) -> None:
        diagnostic = syntax_error(HEADER + "wert x = max(\n  a b,\n  c\n)\n")
        assert diagnostic.message == "Unerwartetes „b“"
        assert (diagnostic.location.line, diagnostic.location.column) == (4, 5)

    def test_valid_documents_parse(self) -> None:
        module = parse_module(HEADER + "wert x = max(1,5)\nparameter d: datum = 01.01.2024\n")
        assert len(module.items) == 2


class TestVariants:
    """Further forms of the table's mistakes are recognised with fitting words and positions."""

    @pytest.mark.parametrize(
        ("body", "message", "column", "hint"),
        [
            ("parameter d: datum = 2024-01-01\n", "nicht 2024-01-01", 22, "schreibe 01.01.2024"),
            ("parameter d: datum = 1/2/2024\n", "nicht 1/2/2024", 22, "schreibe 01.02.2024"),
            ("wert x = 1.234,56\n", "Komma: 1.234,56", 15, "schreibe 1234.56 statt 1.234,56"),
            (
                "parameter x: zahl = 5 EUR / VK / Jahr\n",
                "ohne Leerzeichen",
                23,
                "schreibe EUR/VK/Jahr",
            ),
            ("eingabe x: zahl EUR /h\n", "ohne Leerzeichen", 17, "schreibe EUR/h statt EUR /h"),
            ("wert x = max(1,\n  2\n", "Klammer „(“ ist nicht", 13, "erst am Dateiende auf"),
            ('wert x = """abc\n', 'das schließende """', 10, '"""…"""'),
            (
                "wert summe min/Tag = 3\n",
                "Nach „wert summe“ fehlt ein Doppelpunkt",
                11,
                "wert summe: TYP = AUSDRUCK",
            ),
            (
                'tabelle t "T" ganzzahl -> %\n',
                'Nach „tabelle t "T"“ fehlt',
                14,
                "SCHLÜSSELTYP -> WERTTYP",
            ),
            ('prüfung "Meldung" x > 1\n', 'Nach „prüfung "Meldung"“ fehlt', 18, "BEDINGUNG"),
            (
                'beispiel "a"\n  eingabe kap4: 16\nende\n',
                "Gleichheitszeichen",
                15,
                "eingabe kap4 = 16",
            ),
            (
                'beispiel "a"\n  erwartet b[1].x: 2\nende\n',
                "Gleichheitszeichen",
                18,
                "erwartet b[1].x = 2",
            ),
            ("vorlage v\n  b = [{ x: 1 }]\nende\n", "Gleichheitszeichen", 11, "b = [{ x = 1 }]"),
            ("paket p\n  stufe: 1\nende\n", "Gleichheitszeichen", 8, "stufe = 1"),
        ],
        ids=[
            "iso-parameter",
            "schraegstrich",
            "tausenderpunkt",
            "einheit-dreiteilig",
            "einheit-halb",
            "klammer-dateiende",
            "dreifach-text",
            "wert-mit-typ",
            "tabelle-mit-titel",
            "pruefung",
            "beispiel-eingabe",
            "beispiel-erwartet",
            "datensatz",
            "stufe",
        ],
    )
    def test_variant(self, body: str, message: str, column: int, hint: str) -> None:
        diagnostic = syntax_error(HEADER + body)
        assert message in diagnostic.message
        assert diagnostic.location.column == column
        assert hint in (diagnostic.hint or "")

    def test_band_with_equals(self) -> None:
        diagnostic = syntax_error(
            HEADER + "paket p\n  stufe nach korridor x\n    0 = ab 0\n  ende\nende\n"
        )
        assert "„stufe nach korridor“" in diagnostic.message
        assert (diagnostic.location.line, diagnostic.location.column) == (5, 7)
        assert diagnostic.hint == "schreibe „0: ab 0“"


class TestGenericMessages:
    """Errors outside the table still say what was found and what would have fitted."""

    def test_line_ends_early(self) -> None:
        diagnostic = syntax_error(HEADER + "eingabe\n")
        assert diagnostic.message == "Die Zeile endet, bevor die Angabe vollständig ist"
        assert (diagnostic.location.line, diagnostic.location.column) == (3, 8)
        assert diagnostic.hint == "erwartet: ein Name"

    @pytest.mark.parametrize("text", ["", "   \n\t\n", "# nur ein Kommentar\n\n  # und noch einer\n"])
    def test_empty_file(self, text: str) -> None:
        diagnostic = syntax_error(text)
        assert diagnostic.message == "Die Regeldatei ist leer (nur Leerzeilen und Kommentare)"
        assert (diagnostic.location.line, diagnostic.location.column) == (1, 1)
        assert diagnostic.hint is not None and "modell NAME" in diagnostic.hint

    def test_a_file_that_ends_after_its_start_is_no_empty_one(self) -> None:
        diagnostic = syntax_error("# Kopf\nmodell m\n")
        assert diagnostic.message == "Der Block „modell m“ aus Zeile 2 ist nicht mit „ende“ abgeschlossen"

    def test_unprintable_character_is_shown_as_code_point(self) -> None:
        diagnostic = syntax_error(HEADER + "wert x = a\u200b\n")
        assert diagnostic.message == "Unerwartetes Zeichen „U+200B“"
        assert diagnostic.location.column == 11

    @pytest.mark.parametrize(
        ("char", "hint"), [(";", "„;“ gibt es nicht"), ("'", "doppelten Anführungszeichen")]
    )
    def test_foreign_punctuation(self, char: str, hint: str) -> None:
        diagnostic = syntax_error(HEADER + f"wert x = 1{char}\n")
        assert diagnostic.message == f"Unerwartetes Zeichen „{char}“"
        assert hint in (diagnostic.hint or "")

    @pytest.mark.parametrize(("text", "shown", "hint"), [
        ("„Hallo“", "„", 'geraden doppelten Anführungszeichen: "…"'),
        ("“Hallo”", "“", 'geraden doppelten Anführungszeichen: "…"'),
        ("»Hallo«", "»", 'geraden doppelten Anführungszeichen: "…"'),
        ("5 – 3", "–", "das Minuszeichen ist „-“"),
        ("5 − 3", "−", "das Minuszeichen ist „-“"),
        ("5\u00a0+ 3", "U+00A0", "ein geschütztes Leerzeichen (U+00A0): schreibe ein gewöhnliches Leerzeichen"),
    ])
    def test_what_a_word_processor_writes_is_named(self, text: str, shown: str, hint: str) -> None:
        """German quotes, a dash for a minus and a no-break space, which a formula copied from a
        document brings along: the hint says what to write (before, it listed what the parser
        expected — among it „ein Text in Anführungszeichen“ for a „)."""
        diagnostic = syntax_error(HEADER + f"wert x = {text}\n")
        assert diagnostic.message == f"Unerwartetes Zeichen „{shown}“"
        assert hint in (diagnostic.hint or "")

    @pytest.mark.parametrize("line", ["wert y „Y“: zahl = 1", "eingabe x „X“: zahl"])
    def test_a_title_in_german_quotes_after_the_name(self, line: str) -> None:
        """Where a title in „…“ follows the name, the quotes are the mistake, not a missing colon."""
        diagnostic = syntax_error(HEADER + line + "\n")
        assert diagnostic.message == "Unerwartetes Zeichen „„“"
        assert 'geraden doppelten Anführungszeichen: "…"' in (diagnostic.hint or "")

    def test_expected_lists_only_what_fits(self) -> None:
        diagnostic = syntax_error(HEADER + "wert x = foo bar\n")
        assert diagnostic.message == "Unerwartetes „bar“"
        assert "„)“" not in (diagnostic.hint or "")  # no bracket is open
        assert "ein Zeilenende" in (diagnostic.hint or "")

    def test_long_token_is_shortened(self) -> None:
        diagnostic = syntax_error(HEADER + 'wert x = 1 "Doku" "' + "a" * 80 + '"\n')
        assert len(diagnostic.message) < 60
        assert diagnostic.message.endswith("…“")


@pytest.mark.parametrize(("line", "message", "hint"), [
    ('tabelle teilweise "Anteil" ganzzahl -> % teilweise', "Nach „tabelle teilweise \"Anteil\"“ fehlt ein Doppelpunkt",
     "„tabelle teilweise \"Anteil\": SCHLÜSSELTYP -> WERTTYP“"),
    ('tabelle teilweise anteil "Anteil": ganzzahl -> %  # Kommentar', "„teilweise“ steht am Ende der Kopfzeile",
     "„tabelle anteil \"Anteil\": ganzzahl -> % teilweise  # Kommentar“"),
])
def test_a_table_named_teilweise_and_a_comment_after_the_line(line: str, message: str, hint: str) -> None:
    """The hint on „teilweise“ before the name is not given for a table of that name; a comment
    stays after the line it suggests."""
    diagnostic = syntax_error('modell m "M"\nende\n' + line + "\n  1: 100 %\nende\n")
    assert message in diagnostic.message
    assert diagnostic.hint is not None and hint in diagnostic.hint


@pytest.mark.parametrize("text", [
    HEADER + 'aufzählung Art "Art"\nende\nwert x = 1\n',
    HEADER + 'aufzählung Art "Art"\nende',
    HEADER + "aufzählung Art\n  # noch keine\n\nende\n",
])
def test_an_aufzaehlung_without_a_member_is_reported_at_its_name(text: str) -> None:
    """Not its „ende“ read as a member's name and what follows as unexpected."""
    diagnostic = syntax_error(text)
    assert diagnostic.message == "Die Aufzählung „Art“ hat kein Element; sie braucht mindestens eines"
    assert (diagnostic.location.line, diagnostic.location.column) == (3, 12)
    assert diagnostic.source_line is not None and diagnostic.source_line.startswith("aufzählung Art")
    assert diagnostic.hint is not None and diagnostic.hint.startswith("schreibe je Element eine Zeile vor „ende“")


@pytest.mark.parametrize("key", ["1:0", "1:0.0"])
def test_a_staff_key_of_zero_is_refused_with_a_hint(key: str) -> None:
    diagnostic = syntax_error(HEADER + f"parameter k: schlüssel = {key}\n")
    assert diagnostic.message == "Ein Schlüssel 1:x braucht ein x größer 0"
    assert (diagnostic.location.line, diagnostic.location.column) == (3, 26)
    assert diagnostic.hint == ("1:x ist eine Vollzeitkraft je x Personen (1:48 * 24 Personen = 0,5 VK); "
                               "x = 0 teilte durch null")


class TestExpressionOverSeveralLines:
    """An expression broken over lines without brackets is told to use brackets; a line that is
    merely incomplete before a new statement keeps the plain list of what may follow."""

    @pytest.mark.parametrize(("body", "message", "where"), [
        ("wert b: h = a +\n  2 h\n", "Die Zeile endet, bevor die Angabe vollständig ist", (4, 16)),
        ('prüfung "klein": a <\n  # höchstens\n  3 h\n', "Die Zeile endet, bevor die Angabe vollständig ist",
         (4, 21)),
        ("wert b: h = a\n  + 2 h\n", "„+“ am Anfang der Zeile setzt den Ausdruck aus Zeile 4 fort, aber eine Angabe "
         "endet am Zeilenende", (5, 3)),
        ('paket p "P"\n  wert w = wenn a > 1 h dann 1\n    sonst 2\nende\n',
         "Die Zeile endet, bevor die Angabe vollständig ist", (5, 31)),
        ('paket p "P"\n  wert w = wenn a > 1 h\n    dann 1 sonst 2\nende\n',
         "Die Zeile endet, bevor die Angabe vollständig ist", (5, 24)),
        ("wert w: ja_nein = a > 1 h\n  und a < 3 h\n",
         "„und“ am Anfang der Zeile setzt den Ausdruck aus Zeile 4 fort, aber eine Angabe endet am Zeilenende",
         (5, 3)),
    ])
    def test_brackets_are_suggested(self, body: str, message: str, where: tuple[int, int]) -> None:
        diagnostic = syntax_error(HEADER + "eingabe a: zahl h\n" + body)
        assert diagnostic.message == message
        assert diagnostic.location is not None and (diagnostic.location.line, diagnostic.location.column) == where
        assert "setze den Ausdruck in Klammern ( … )" in (diagnostic.hint or "")

    @pytest.mark.parametrize("body", ["wert b: h = a +\nwert c = 1\n", "vorlage v\n  a =\n  b = 2\nende\n"])
    def test_an_incomplete_line_before_a_new_statement_is_not_a_continuation(self, body: str) -> None:
        diagnostic = syntax_error(HEADER + "eingabe a: zahl h\n" + body)
        assert diagnostic.message == "Die Zeile endet, bevor die Angabe vollständig ist"
        assert (diagnostic.hint or "").startswith("erwartet: ")
