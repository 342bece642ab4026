"""The checker resolves the parts of a check's message the builder parsed (text and expressions):
the checked node holds the text and the resolved expressions, each where it is written."""

from __future__ import annotations

from decimal import Decimal

import pytest

import teilhabe_rules
from teilhabe_rules import CaseError, CheckError
from teilhabe_rules.ir import checked as c

HEAD = 'modell m "M"\n  version "1"\n  gültig ab 01.01.2024\nende\n'


def test_the_checked_node_holds_the_resolved_parts() -> None:
    text = HEAD + 'eingabe a: zahl\nprüfung "{{a}} = {a}, {a + 1}": a > 0\n'
    model = teilhabe_rules.loads(text, "m.rules")
    node = next(n for n in model.checked.nodes.values() if n.kind == "prüfung")
    assert node.label == "{{a}} = {a}, {a + 1}"
    assert node.message[0] == "{a} = " and node.message[2] == ", "
    assert isinstance(node.message[1], c.Ref) and isinstance(node.message[3], c.Arith)
    assert (node.message[3].span.line, node.message[3].span.column) == (6, 24)
    with pytest.raises(CaseError) as raised:
        model.evaluate({"a": -2})
    assert [failure.message for failure in raised.value.errors] == ["{a} = -2, -1"]


def test_a_part_the_checker_rejects_is_reported_where_it_stands() -> None:
    text = HEAD + 'eingabe a: zahl\nprüfung "Wert {a + unbekannt}": a > 0\n'
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(text, "m.rules")
    (diagnostic,) = raised.value.errors
    assert "Unbekannter Name „unbekannt“" in diagnostic.message
    assert diagnostic.location is not None and (diagnostic.location.line, diagnostic.location.column) == (6, 20)


@pytest.mark.parametrize(("rule", "message"), [
    ("wert a = 1 h als h/h", "h lässt sich nicht in eine Zahl ohne Einheit umrechnen"),
    ("wert a = 2 als h", None),  # (a bare number takes the unit: no error)
    ("eingabe n: zahl\nwert a = n als h", "Zahl ohne Einheit lässt sich nicht in h umrechnen"),
    ("eingabe n: zahl\nwert a = n + 1 h", "Einheiten passen nicht zusammen: Summe von Zahl ohne Einheit und h"),
])
def test_a_number_without_a_unit_is_named_in_unit_messages(rule: str, message: str | None) -> None:
    """A unit message never shows an empty unit („in  umrechnen“)."""
    if message is None:
        teilhabe_rules.loads(HEAD + rule + "\n", "m.rules")
        return
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(HEAD + rule + "\n", "m.rules")
    assert [d.message for d in raised.value.errors] == [message]


@pytest.mark.parametrize(("rule", "place"), [
    ("wert s: h = a + b + c + m", (9, 25, 26)),  # the last operand brings the other unit
    ("wert s: h = a + b - c - (m + a)", (9, 26, 31)),  # (m + a) disagrees in itself
    ("wert s: h = a + m + b + c", (9, 13, 18)),  # the first pair that disagrees: both
    ("wert s: h = m + a", (9, 13, 18)),
    ("wert s: h = (a + b) + m", (9, 23, 24)),
])
def test_a_sum_of_other_units_is_reported_at_the_operand_that_brings_it(rule: str,
                                                                         place: tuple[int, int, int]) -> None:
    """A long sum (MAWo's nine Lebensbereiche, one of them in min/Tag) was underlined from its first
    operand to its last; the operand whose unit does not fit the sum before it is what is shown."""
    inputs = "eingabe a: zahl h\neingabe b: zahl h\neingabe c: zahl h\neingabe m: zahl min\n"
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(HEAD + inputs + rule + "\n", "m.rules")
    (diagnostic,) = raised.value.errors
    assert diagnostic.message.startswith("Einheiten passen nicht zusammen: ")
    where = diagnostic.location
    assert where is not None and (where.line, where.column, where.end_column) == place


@pytest.mark.parametrize("declaration", ["parameter p: ganzzahl % = 50 %", "eingabe p: ganzzahl % von 0 bis 100",
                                         "tabelle t \"T\": ganzzahl -> ganzzahl % teilweise\n  1: 50 %\nende"])
def test_a_whole_share_is_a_check_error(declaration: str) -> None:
    """A share is held as a fraction (50 % is 0.5): „ganzzahl %“ would allow 0 % and 100 % only."""
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(HEAD + declaration + "\n", "m.rules")
    (error,) = raised.value.errors
    assert error.message == "Ein Anteil in % ist keine ganze Zahl: „ganzzahl %“ ließe nur 0 % und 100 % zu"
    assert error.hint == "schreibe „zahl %“; ganze Prozentpunkte: „auswahl {0, 5, 10} %“"
    # whole percentage points as a choice
    model = teilhabe_rules.loads(HEAD + "eingabe a: auswahl {0, 5, 10} %\nwert b = a * 100 EUR\n", "m.rules")
    assert str(model.evaluate({"a": 5}).value("b")) == "5.00"


def test_a_list_no_case_fits_is_a_check_error() -> None:
    text = HEAD + 'liste l "L" mindestens 5 höchstens 2\n  eingabe y: zahl h\nende\n'
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(text, "m.rules")
    (error,) = raised.value.errors
    assert error.message == "Die Liste „l“ braucht mindestens 5 und erlaubt höchstens 2 Einträge: kein Fall passt"
    assert error.location is not None and error.location.line == 5
    teilhabe_rules.loads(text.replace("mindestens 5", "mindestens 2"), "m.rules")  # exactly two: fits


@pytest.mark.parametrize(("band", "shown", "hint"), [
    ("ab 5 bis 2", "ab 5 bis 2 h",
     "die untere Grenze (5 h) liegt über der oberen (2 h); sie muss darunter liegen — "
     "ein einzelner Wert: „ab x bis x“"),
    ("über 5 unter 5", "über 5 unter 5 h",
     "beide Grenzen sind 5 h, und „über“ und „unter“ schließen diesen Wert aus: nur „ab 5 bis 5“ hält ihn, sonst "
     "muss die untere Grenze unter der oberen liegen"),
    ("ab 5 unter 5", "ab 5 unter 5 h",
     "beide Grenzen sind 5 h, und „unter“ schließt diesen Wert aus: nur „ab 5 bis 5“ hält ihn, sonst muss die "
     "untere Grenze unter der oberen liegen"),
])
def test_an_empty_band_is_warned_of_with_what_empties_it(band: str, shown: str, hint: str) -> None:
    text = HEAD + f"""eingabe x: zahl h von 0 bis 10
paket p "P"
  stufen
    0 "a"
    1 "b"
  ende
  stufe nach korridor x
    0: {band}
    1: ab 0
  ende
ende
"""
    model = teilhabe_rules.loads(text, "m.rules")
    (empty,) = [d for d in model.warnings if "ist leer" in d.message]
    assert (empty.message, empty.hint) == (f"Das Band von Stufe 0 ({shown}) ist leer: kein Wert liegt darin", hint)
    model = teilhabe_rules.loads(text.replace(band, "ab 5 bis 5").replace("1: ab 0", "1: ab 0 unter 5\n    2: über 5")
                                 .replace('1 "b"', '1 "b"\n    2 "c"'), "m.rules")
    assert not any("ist leer" in d.message for d in model.warnings)  # a single value is no empty band


EXAMPLES = HEAD + """eingabe x: zahl h von 0 bis 100
parameter satz: zahl EUR/h von 0 bis 100 = 60
liste posten "Posten"
  eingabe betrag: zahl EUR von 0 bis 100
ende
paket p "P"
  stufen
    0 "a"
  ende
  eingabe kap: zahl min/Tag von 0 bis 10
  stufe = 0
ende
wert summe: EUR = runde(x * satz, 2, kaufmännisch)
tabelle sätze: ganzzahl -> EUR/h teilweise
  1: 60 EUR/h
ende

beispiel "gut" "Eingaben, eine Liste und ein Paket"
  eingabe x = 2
  eingabe posten[1].betrag = 5
  eingabe p = {kap = 3}
  eingabe p.kap = 4
  vereinbarung satz = 70 EUR/h
  erwartet summe = 140 EUR
ende
"""


@pytest.mark.parametrize(("line", "message", "hint"), [
    ("  eingabe y = 2", "„y“ bezeichnet keine Eingabe des Modells",  # (no close name: the inputs there)
     "Eingaben auf oberster Ebene: x, p.kap, p.bewilligte_stufe, p.begründung, posten"),
    ("  eingabe p.kapp = 2", "„p.kapp“ bezeichnet keine Eingabe des Modells", "meinten Sie „p.kap“?"),
    ("  eingabe posten[1].betrg = 2", "„posten[1].betrg“ bezeichnet keine Eingabe des Modells",
     "meinten Sie „betrag“?"),
    ("  vereinbarung satx = 70 EUR/h", "Das Modell hat keinen Parameter „satx“", "meinten Sie „satz“?"),
    ("  vereinbarung sätze = 70 EUR/h", "„sätze“ ist eine Tabelle: ein Beispiel vereinbart nur Parameter",
     "die Zeilen einer Tabelle ändert eine Vereinbarungsdatei ([tabellen.sätze]) oder eine Variante des Modells"),
    ("  vereinbarung satz = 20 min", "Der vereinbarte Wert von „satz“ hat die Einheit „min“, erwartet ist EUR/h",
     "ändere die Einheit oder rechne den Wert um"),
    ("  vereinbarung satz = 200 EUR/h", "Der vereinbarte Wert von „satz“ (200) liegt außerhalb von 0 bis 100 EUR/h",
     None),
])
def test_an_example_naming_no_input_or_parameter_is_a_check_error(line: str, message: str,
                                                                  hint: str | None) -> None:
    """The checker finds what an example sets that the model does not have, at its line — not
    only ``teilhabe-rules test`` when it runs the example."""
    teilhabe_rules.loads(EXAMPLES, "m.rules")  # inputs, an element, a package table, a parameter: in order
    text = EXAMPLES.replace("  erwartet summe = 140 EUR", line + "\n  erwartet summe = 140 EUR")
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(text, "m.rules")
    (error,) = raised.value.errors
    assert (error.message, error.hint) == (message, hint)
    assert error.location is not None and error.source_line == line


@pytest.mark.parametrize(("line", "message", "hint", "column"), [
    ("  eingabe x = 200", "Die Eingabe „x“ (200) liegt außerhalb von 0 bis 100 h", None, 15),
    ("  eingabe x = 2 min/Tag", "Die Eingabe „x“ hat die Einheit „min/Tag“, erwartet ist h",
     "ändere die Einheit oder rechne den Wert um", 15),
    ("  eingabe p.kap = 11", "Die Eingabe „p.kap“ (11) liegt außerhalb von 0 bis 10 min/Tag", None, 19),
    ("  eingabe p = {kap = -1}", "Die Eingabe „p.kap“ (-1) liegt außerhalb von 0 bis 10 min/Tag", None, 22),
    ("  eingabe posten = [{betrag = 5}, {betrag = 101}]",
     "Die Eingabe „posten[2].betrag“ (101) liegt außerhalb von 0 bis 100 EUR", None, 45),
    ("  eingabe posten[2] = {betrag = ja}", "Die Eingabe „posten[2].betrag“ muss eine Zahl sein (Zahl in EUR)",
     None, 33),
])
def test_an_example_input_its_input_does_not_take_is_a_check_error_at_the_value(line: str, message: str,
                                                                                 hint: str | None,
                                                                                 column: int) -> None:
    """An example's value out of its input's range, of another unit or kind is found by the
    checker at the value, as a literal of the rule file is — not only by ``teilhabe-rules test``,
    which names its data path alone."""
    text = EXAMPLES.replace("  erwartet summe = 140 EUR", line + "\n  erwartet summe = 140 EUR")
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(text, "m.rules")
    (error,) = raised.value.errors
    assert (error.message, error.hint) == (message, hint)
    assert error.source_line == line
    assert error.location is not None and error.location.column == column


@pytest.mark.parametrize("line", ['  eingabe x = "2 h"', "  eingabe x = 2", '  eingabe p = {kap = "5 min/Tag"}'])
def test_an_example_input_the_case_loader_reads_is_taken(line: str) -> None:
    """A text the case loader reads as a quantity, a number without a unit: as the case data they are."""
    text = EXAMPLES.replace("  erwartet summe = 140 EUR", line + "\n  erwartet summe = 140 EUR")
    assert teilhabe_rules.loads(text, "m.rules").checked.examples


def test_an_example_expecting_an_error_may_give_a_value_its_input_does_not_take() -> None:
    """An example that checks an input error gives the wrong value on purpose: evaluated, not refused."""
    text = EXAMPLES + 'beispiel "zu-viel" "x über 100"\n  eingabe x = 200\n  erwartet fehler "liegt außerhalb"\nende\n'
    model = teilhabe_rules.loads(text, "m.rules")
    assert [e.id for e in model.checked.examples] == ["gut", "zu-viel"]


@pytest.mark.parametrize("used", [0, 1, 2])
def test_a_template_key_naming_no_input_is_a_check_error_at_its_line(used: int) -> None:
    """A template's keys are checked like an example's inputs, once, whether no, one or two
    examples build on it — not only by ``teilhabe-rules test``, at the example's line."""
    template = "vorlage v\n  x = 1\n  posten = [{betrag = 5}]\n  p = {kap = 3}\n  p.kapp = 2\n  x[1] = 1\nende\n"
    text = EXAMPLES + template + "".join(
        f'beispiel "b{n}"\n  basis v\n  erwartet summe = 60 EUR\nende\n' for n in range(used))
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(text, "m.rules")
    found = [(d.message, d.hint, d.source_line) for d in raised.value.errors]
    assert found == [
        ("„p.kapp“ bezeichnet keine Eingabe des Modells", "meinten Sie „p.kap“?", "  p.kapp = 2"),
        ("Index [1] folgt auf keine Liste", None, "  x[1] = 1"),
    ]


@pytest.mark.parametrize(("package", "where"), [(None, "im Modell"), ("p", "im Paket „p“")])
def test_a_duplicate_example_names_the_first_in_its_hint(package: str | None, where: str) -> None:
    examples = 'beispiel "gut"\n  eingabe x = 2\n  eingabe p.kap = 1\n  erwartet summe = 140 EUR\nende\n'
    if package is None:
        text = EXAMPLES + examples
    else:  # two examples of one id in the package; the model's own „gut“ is another test
        text = EXAMPLES.replace("  stufe = 0\nende\n", "  stufe = 0\n" + examples * 2 + "ende\n")
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(text, "m.rules")
    (error,) = raised.value.errors
    first = next(n for n, line in enumerate(text.splitlines(), 1) if line.lstrip().startswith('beispiel "gut"'))
    assert error.message == "Das Beispiel „gut“ ist doppelt"
    assert error.location is not None and error.location.line > first
    assert error.hint == (f"zuerst in Zeile {first}; die Kennung ist die Test-ID des Beispiels und darf {where} "
                          "nur einmal vorkommen — benenne eines um")


def test_a_template_written_twice_is_an_error_naming_the_first() -> None:
    """An example based on a template of two definitions would read the last one silently."""
    text = EXAMPLES + "vorlage v\n  x = 1\nende\nvorlage v\n  x = 2\nende\n"
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(text, "m.rules")
    (error,) = raised.value.errors
    first = text.splitlines().index("vorlage v") + 1
    assert error.message == "Die Vorlage „v“ ist doppelt definiert"
    assert error.location is not None and error.location.line == first + 3
    assert error.hint == f"zuerst in Zeile {first}; benenne eine der beiden um"


def test_a_partial_table_without_rows_is_a_warning() -> None:
    """Every lookup of it would fail; the model still loads (an agreement may give it rows)."""
    model = teilhabe_rules.loads(HEAD + "tabelle t: ganzzahl -> zahl h teilweise\nende\n", "m.rules")
    (warning,) = model.warnings
    assert (warning.message, warning.code, warning.is_error) == ("Die Tabelle „t“ hat keine Zeile", "tabelle-leer",
                                                                  False)
    assert warning.location is not None and warning.location.line == 5
    assert warning.hint == "jede Abfrage ist ein Auswertungsfehler, solange keine Vereinbarung ihr Zeilen gibt"


def test_an_unknown_input_of_a_list_with_no_close_name_is_told_the_inputs_there() -> None:
    path, hint = "posten[1].qqq", "Eingaben in „posten“: betrag"
    text = EXAMPLES.replace("  eingabe x = 2\n", f"  eingabe x = 2\n  eingabe {path} = 1\n", 1)
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(text, "m.rules")
    (error,) = raised.value.errors
    assert error.message == f"„{path}“ bezeichnet keine Eingabe des Modells"
    assert error.hint == hint


def test_a_misspelt_keyword_read_as_a_unit_is_suggested() -> None:
    """After a number a word is its unit: a misspelt ``annahme`` there gets the keyword as hint."""
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(HEAD + 'parameter p: h = 1 anahme "x"\n', "m.rules")
    (error,) = raised.value.errors
    assert error.message == "Unbekannte Einheit „anahme“"
    assert error.hint == "meinten Sie „annahme“? (nach einer Zahl wird ein Wort als ihre Einheit gelesen)"
    with pytest.raises(CheckError) as raised:  # a misspelt unit keeps its own suggestion
        teilhabe_rules.loads(HEAD + "parameter p: h = 1 Wcohe\n", "m.rules")
    assert raised.value.errors[0].hint == "meinten Sie „Woche“?"


def test_a_packages_level_named_without_its_package_gets_the_full_name_as_hint() -> None:
    text = HEAD + """eingabe x: zahl h von 0 bis 10
tabelle preis "P": stufe von p -> EUR/Tag
  0: 5
  1: 10
ende
paket p "P"
  stufen
    0 "a"
    1 "b"
  ende
  stufe = wenn x > 5 h dann 1 sonst 0
  wert betrag: EUR/Tag = preis[stufe]
ende
"""
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(text, "m.rules")
    (error,) = raised.value.errors
    assert (error.message, error.hint) == ("Unbekannter Name „stufe“",
                                           "die Stufe eines Pakets heißt auch darin mit dem Paket: „p.stufe“")
    model = teilhabe_rules.loads(text.replace("preis[stufe]", "preis[p.stufe]"), "m.rules")
    assert str(model.evaluate({"x": 6}).value("p.betrag")) == "10"


_GRANTED_HEAD = HEAD + 'eingabe x: zahl von 0 bis 10\npaket p "P"\n  stufen\n    0 "a"\n    1 "b"\n  ende\n'


@pytest.mark.parametrize(("body", "message", "hint"), [
    ('  stufe = 0\nende\npaket q "Q"\n  wert w = 1\nende\nwert g = q.bewilligt\n',
     "Das Paket „q“ hat keine Stufen", None),
    ("  stufe = 0\n  wert g = bewilligt\nende\n",
     "Unbekannter Name „bewilligt“", "die Stufe eines Pakets heißt auch darin mit dem Paket: „p.bewilligt“"),
    ("  stufe = 0\n  wert bewilligt = ja\nende\n", "„bewilligt“ ist in einem Paket reserviert", None),
    ("  stufe = 0\n  eingabe bewilligt: ja_nein\nende\n", "„bewilligt“ ist in einem Paket reserviert",
     "stufe, berechnete_stufe, bewilligte_stufe, bewilligt und begründung setzt die Sprache selbst"),
    ("  stufe = 0\n  wert Bewilligt = ja\nende\n",
     "„Bewilligt“ unterscheidet sich von „bewilligt“ des Pakets nur in Groß- und Kleinschreibung", None),
    ("  stufe = 0\nende\nwert g = p.bewilligtt\n", "Das Paket „p“ hat kein „bewilligtt“", "meinten Sie „bewilligt“?"),
])
def test_the_member_bewilligt_is_the_language_s(body: str, message: str, hint: str | None) -> None:
    """``PAKET.bewilligt`` is read by the package's name, only of a package with levels, and no
    name of a package may take it."""
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(_GRANTED_HEAD + body, "m.rules")
    (error,) = raised.value.errors
    assert error.message == message
    if hint is not None:
        assert error.hint == hint


def test_the_member_bewilligt_is_a_truth_value() -> None:
    model = teilhabe_rules.loads(_GRANTED_HEAD + "  stufe = 0\nende\nwert g = p.bewilligt\n"
                                 "wert h = wenn p.bewilligt dann 1 sonst 0\n", "m.rules")
    assert model.checked.nodes["g"].type.kind is c.TypeKind.JA_NEIN
    result = model.evaluate({"x": 1, "p": {"bewilligte_stufe": 0, "begründung": "gleich der berechneten"}})
    assert (result.value("p.stufe"), result.value("g"), result.value("h")) == (0, True, 1)
    with pytest.raises(CheckError, match="nicht ja/nein"):
        teilhabe_rules.loads(_GRANTED_HEAD + "  stufe = 0\nende\nwert g = p.bewilligt + 1\n", "m.rules")


def test_an_examples_agreement_naming_a_name_of_several_parameters_is_told_so() -> None:
    """As the agreement's loader: a bare name of several parameters names none of them."""
    text = HEAD + """eingabe x: zahl von 0 bis 10
paket p "P"
  stufen
    0 "a"
  ende
  parameter f: zahl = 1
  stufe = 0
ende
paket q "Q"
  stufen
    0 "a"
  ende
  parameter f: zahl = 2
  stufe = 0
ende
wert w = x * p.f

beispiel "e"
  eingabe x = 1
  vereinbarung f = 3
  erwartet w = 3
ende
"""
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(text, "m.rules")
    (error,) = raised.value.errors
    assert error.message == "„f“ heißen mehrere Parameter"
    assert error.hint == "schreibe den vollen Namen: „p.f“ oder „q.f“"
    teilhabe_rules.loads(text.replace("vereinbarung f = 3", "vereinbarung p.f = 3"), "m.rules")


def test_a_misspelt_keyword_is_suggested_for_a_unit_only_after_a_number() -> None:
    with pytest.raises(CheckError) as raised:  # a type's unit: no keyword stands there
        teilhabe_rules.loads(HEAD + 'eingabe x: zahl quele "x"\n', "m.rules")
    assert "meinten Sie" not in (raised.value.errors[0].hint or "")


def test_an_agreed_share_without_unit_in_an_example_is_read_as_the_agreement_reads_it() -> None:
    """``vereinbarung quote = 50`` for a share: the agreement's loader reads 50 %, so the
    checker takes it (it refuses such a number only as a default in the rule file)."""
    text = HEAD + """eingabe x: zahl EUR von 0 bis 100
parameter quote: zahl % von 0 bis 100 = 10 %
wert summe: EUR = runde(x * quote, 2, kaufmännisch)

beispiel "gut" "Quote"
  eingabe x = 100
  vereinbarung quote = 50
  erwartet summe = 50 EUR
ende
"""
    model = teilhabe_rules.loads(text, "m.rules")
    assert model.load_agreement({"parameter": {"quote": 50}}).parameters["quote"] == Decimal("0.5")


def test_an_example_agreeing_a_parameter_whose_declaration_is_wrong_gets_no_second_error() -> None:
    text = EXAMPLES.replace("parameter satz: zahl EUR/h von 0 bis 100 = 60",
                            "parameter satz: zahl EUR/h von 0 bis 100 = 500")
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(text, "m.rules")
    assert not any("keinen Parameter" in error.message for error in raised.value.errors)


STUFEN = '  stufen\n    0 "a"\n    1 "b"\n    2 "c"\n  ende\n'


@pytest.mark.parametrize(("text", "words"), [
    (HEAD + "wert a = xyzzy_qwert + 1\n", "Unbekannter Name „xyzzy_qwert“"),
    ('modell m "M"\n  version "1"\n  version "2"\n  gültig ab 01.01.2024\nende\n', "steht im Modellkopf doppelt"),
    (HEAD + 'eingabe x: ganzzahl von 0 bis 4\npaket p "P"\n' + STUFEN + "  stufe = x\nende\n", "kann 3, 4"),
    (HEAD + 'eingabe x: ganzzahl von 0 bis 1\npaket p "P"\n' + STUFEN + "  stufe = x\nende\n", "wird nie erreicht"),
    (HEAD + 'eingabe x: zahl von 0 bis 10\npaket p "P"\n' + STUFEN
     + "  stufe nach korridor x\n    0: ab 0 bis 5\n    1: über 5\n  ende\nende\n", "hat kein Korridorband"),
])
def test_every_finding_of_these_kinds_has_a_hint(text: str, words: str) -> None:
    """A finding says what to do about it, not only what is wrong (these had no hint line)."""
    try:
        model = teilhabe_rules.loads(text, "m.rules")
        found = list(model.checked.warnings)
    except (CheckError, teilhabe_rules.RuleSyntaxError) as exc:
        found = list(exc.diagnostics)
    (finding,) = [d for d in found if words in d.message]
    assert finding.hint


def test_an_evaluation_fault_of_a_corridor_or_an_empty_list_has_a_hint() -> None:
    from teilhabe_rules.runtime.faults import Fault, FaultKind

    model = teilhabe_rules.loads(HEAD + 'liste l "L"\n  eingabe y: zahl\nende\nwert kleinstes = min(l.y)\n', "m.rules")
    with pytest.raises(teilhabe_rules.TeilhabeError) as raised:
        model.evaluate({"l": []})
    (fault,) = [d for d in raised.value.diagnostics if "die Liste ist leer" in d.message]
    assert fault.hint and "anzahl(l) > 0" in fault.hint
    # a value in no band: the checker reports a gap for every value the declared ranges allow,
    # so an evaluation seldom meets one — its message and hint as the record gives them
    no_band = Fault(FaultKind.NO_BAND, value=Decimal(-5), unit="h", package="p")
    assert "liegt in keinem Korridorband" in no_band.message() and no_band.hint()


CORRIDOR = HEAD + """eingabe x: zahl h/Woche
paket p "P"
  stufen
    0 "a"
    1 "b"
  ende
  stufe nach korridor x
    0: BOUND
    1: über 30 h/Woche
  ende
ende
"""


@pytest.mark.parametrize(("bound", "message", "hint"), [
    ("bis 30 min/Tag", "Die Grenze hat min/Tag, der Korridor h/Woche",
     "schreibe die Grenze in h/Woche oder rechne sie mit „als h/Woche“ um"),
    ("bis 30 EUR", "Die Grenze hat EUR, der Korridor h/Woche",
     "die Grenze hat eine andere Dimension als die Menge; schreibe sie in h/Woche"),
    ('bis "x"', "Die Grenze ist Text, keine Zahl; der Korridor hat h/Woche",
     "eine Grenze ist eine Zahl in der Einheit der Menge des Korridors"),
])
def test_a_corridor_bound_of_another_unit_says_what_to_write(bound: str, message: str, hint: str) -> None:
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(CORRIDOR.replace("BOUND", bound), "m.rules")
    (error,) = raised.value.errors
    assert (error.message, error.hint) == (message, hint)
    assert error.location is not None and error.location.column == 12


def test_a_corridor_bound_converted_to_the_corridors_unit_is_taken() -> None:
    text = CORRIDOR.replace("BOUND", "bis 30 min/Tag als h/Woche").replace("über 30 h/Woche", "über 3.5 h/Woche")
    model = teilhabe_rules.loads(text, "m.rules")  # (30 min/Tag = 3.5 h/Woche)
    assert model.evaluate({"x": "3 h/Woche"}).value("p.stufe") == 0
    assert model.evaluate({"x": "4 h/Woche"}).value("p.stufe") == 1


def test_an_example_leaving_out_a_required_input_is_a_check_error_at_the_example() -> None:
    """An example (with its template) that gives no value to a required input, and expects no
    error, is told by the checker — before, only ``teilhabe-rules test`` found it, by the case
    loader's „fehlt (Pflichtangabe)“. An example expecting the refusal is not told."""
    model = HEAD + ("eingabe x: zahl h von 0 bis 100\neingabe y: zahl h von 0 bis 100\n"
                    "eingabe z: zahl h von 0 bis 100 standard 0 h\nwert s: h = x + y + z\n"
                    "vorlage v\n  x = 1\nende\n")
    text = model + ('beispiel "eins"\n  basis v\n  erwartet s = 1 h\nende\n'
                    'beispiel "zwei"\n  erwartet s = 1 h\nende\n'
                    'beispiel "gut"\n  basis v\n  eingabe y = 2\n  erwartet s = 3 h\nende\n'
                    'beispiel "abgelehnt"\n  erwartet fehler "Pflichtangabe"\nende\n')
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(text, "m.rules")
    found = [(d.message, d.location.line if d.location else None, d.hint) for d in raised.value.errors]
    first = text.splitlines().index('beispiel "eins"') + 1
    assert found == [
        ("Im Beispiel „eins“ fehlt die Pflichtangabe „y“ (auch in der Vorlage „v“): der Fall würde abgelehnt",
         first, 'gib sie an (eingabe y = WERT) oder erwarte die Ablehnung (erwartet fehler "Pflichtangabe")'),
        ("Im Beispiel „zwei“ fehlen die Pflichtangaben „x“, „y“: der Fall würde abgelehnt",
         first + 4, 'gib sie an (eingabe x = WERT) oder erwarte die Ablehnung (erwartet fehler "Pflichtangabe")'),
    ]
    # what the checker tells is what running the examples finds
    fixed = model + ('beispiel "gut"\n  basis v\n  eingabe y = 2\n  erwartet s = 3 h\nende\n'
                     'beispiel "abgelehnt"\n  erwartet fehler "Pflichtangabe"\nende\n')
    from teilhabe_rules.tools.testing import run_examples

    assert [outcome.passed for outcome in run_examples(teilhabe_rules.loads(fixed, "m.rules"))] == [True, True]


LIST = 'liste l "L"\n  eingabe y: zahl\n  eingabe z: zahl\n'


@pytest.mark.parametrize(("text", "place", "hint"), [
    (LIST + '  prüfung "Wert {l.y}": y < 50\nende\n', (8, 18, 21),
     "im Element von „l“ heißt sein eigener Wert „y“, ohne „l.“"),
    (LIST + 'ende\nprüfung "Wert {l.y}": anzahl(l) < 5\n', (9, 16, 19), None),
    (LIST + '  liste m "M"\n    eingabe w: zahl\n    prüfung "{l.z}": w > 0\n  ende\nende\n', (10, 15, 18),
     "im Element von „l“ heißt sein eigener Wert „z“, ohne „l.“"),
])
def test_a_lists_values_in_a_checks_message_are_named_as_written(text: str, place: tuple[int, int, int],
                                                                 hint: str | None) -> None:
    """``{l.y}`` in a check's message (inside the list ``l`` or over it) was named „l.…“; it is
    named as written, and inside an element the hint names the element's own value."""
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(HEAD + text, "m.rules")
    (diagnostic,) = raised.value.errors
    written = "l.z" if "{l.z}" in text else "l.y"
    assert diagnostic.message == (f"„{written}“ ist eine Liste von Werten; nutze summe(…), anzahl(…), min(…), max(…), "
                                  "erstes(…) oder letztes(…)")
    assert diagnostic.hint == hint
    where = diagnostic.location
    assert where is not None and (where.line, where.column, where.end_column) == place


def test_a_field_a_lists_element_does_not_have_is_reported_as_unknown() -> None:
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(HEAD + LIST + 'ende\nprüfung "{l.yy}": anzahl(l) < 5\n', "m.rules")
    (diagnostic,) = raised.value.errors
    assert diagnostic.message == "Unbekannter Name „yy“" and diagnostic.hint == "meinten Sie „y“?"


@pytest.mark.parametrize(("rule", "branch"), [
    ("wert s = wenn n > 5 dann 10 EUR sonst wenn n > 3 dann 5 h sonst wenn n > 1 dann 2 EUR sonst 0 EUR", "5 h"),
    ("wert s = wenn n > 5 dann 10 EUR sonst wenn n > 3 dann 5 EUR sonst wenn n > 1 dann 2 EUR sonst 3 h", "3 h"),
    ("wert s = wenn n > 5 dann 0 sonst wenn n > 3 dann 5 EUR sonst wenn n > 1 dann 2 sonst 3 h", "3 h"),
    ("wert s = wenn n > 5 dann 10 EUR sonst 3 h", "3 h"),
    ("wert s = wenn n > 5 dann 10 EUR sonst (wenn n > 3 dann 5 EUR sonst 3 h)", "3 h"),
])
def test_a_unit_clash_in_a_chain_of_conditions_is_reported_at_the_branch_that_brings_it(rule: str,
                                                                                        branch: str) -> None:
    """A long „wenn … dann … sonst wenn …“ whose one branch has another unit was underlined from
    the „wenn“ before it to the chain's end; the branch whose unit differs from the first is shown."""
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(HEAD + "eingabe n: ganzzahl von 0 bis 10\n" + rule + "\n", "m.rules")
    (diagnostic,) = raised.value.errors
    assert diagnostic.message == "Einheiten passen nicht zusammen: „dann“ und „sonst“ von EUR und h"
    assert diagnostic.hint == "die Größen haben verschiedene Dimensionen"
    where = diagnostic.location
    column = rule.index(branch) + 1
    assert where is not None and (where.line, where.column, where.end_column) == (6, column, column + len(branch))


def test_a_chain_of_conditions_of_one_unit_is_taken() -> None:
    rule = "wert s: EUR = wenn n > 5 dann 0 sonst wenn n > 3 dann 5 EUR sonst wenn n > 1 dann 2 sonst 3 EUR"
    model = teilhabe_rules.loads(HEAD + "eingabe n: ganzzahl von 0 bis 10\n" + rule + "\n", "m.rules")
    assert [model.evaluate({"n": n}).value("s") for n in (6, 4, 2, 0)] == [0, 5, 2, 3]


@pytest.mark.parametrize(("body", "written", "hint"), [
    # a value of the element whose rule reads this one: the mistake is l.s, not a cycle
    ('  wert s = r + 1\n  wert r = l.s\nende\n', "l.s", "im Element von „l“ heißt sein eigener Wert „s“, ohne „l.“"),
    ('  wert s = l.s + 1\nende\n', "l.s", "im Element von „l“ heißt sein eigener Wert „s“, ohne „l.“"),
    # a list in the list: named whole, and no hint to write „m.w“, which is again a list's values
    ('  liste m "M"\n    eingabe w: zahl\n    prüfung "{l.m.w}": w > 0\n  ende\nende\n', "l.m.w", None),
])
def test_a_lists_values_are_told_before_a_cycle_and_whole_when_nested(body: str, written: str,
                                                                         hint: str | None) -> None:
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(HEAD + LIST + body, "m.rules")
    (diagnostic,) = raised.value.errors
    assert diagnostic.message.startswith(f"„{written}“ ist eine Liste von Werten")
    assert diagnostic.hint == hint


def test_required_inputs_of_examples_of_one_id_in_two_packages_and_a_part_of_another_kind() -> None:
    """A misspelt key in one package's example does not hide the input another package's example
    of the same id leaves out; a part given as something else (``p = 5`` for a package) is no
    missing input: it is reported for its kind, as the loader refuses it."""
    text = HEAD + ('eingabe y: zahl h von 0 bis 9\npaket a "A"\n  beispiel "fall"\n    eingabe yy = 1\n'
                   '    erwartet y = 1 h\n  ende\nende\npaket b "B"\n  beispiel "fall"\n    erwartet y = 1 h\n'
                   '  ende\nende\n')
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(text, "m.rules")
    assert [d.message for d in raised.value.errors] == [
        "„yy“ bezeichnet keine Eingabe des Modells",
        "Im Beispiel „fall“ fehlt die Pflichtangabe „y“: der Fall würde abgelehnt"]
    shaped = HEAD + ('paket p "P"\n  eingabe k: zahl h von 0 bis 9\nende\nwert s: h = p.k\n'
                     'beispiel "a"\n  eingabe p = {}\n  erwartet s = 1 h\nende\n')
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(shaped, "m.rules")
    assert [d.message for d in raised.value.errors] == [
        "Im Beispiel „a“ fehlt die Pflichtangabe „p.k“: der Fall würde abgelehnt"]
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(shaped.replace("p = {}", "p = 5"), "m.rules")
    assert [d.message for d in raised.value.errors] == [
        "„p“ ist ein Paket und muss ein Datensatz mit seinen Eingaben sein: der Fall würde abgelehnt"]
