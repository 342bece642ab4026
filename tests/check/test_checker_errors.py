"""The checker rejects inconsistent rule files with located, explained diagnostics."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import teilhabe_rules
from teilhabe_rules import CheckError, Diagnostic

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "checker"
HEADER = re.compile(r"^# erwartet: (?P<words>.+?) @ (?P<line>\d+):(?P<column>\d+)\s*$")

MODEL_HEAD = 'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'


class Expected:
    """What the header comments of a negative fixture promise."""

    def __init__(self, path: Path):
        lines = path.read_text(encoding="utf-8").splitlines()
        match = HEADER.match(lines[0])
        assert match, f"{path.name}: first line must be '# erwartet: <Wörter> @ <Zeile>:<Spalte>'"
        self.words = match["words"]
        self.line = int(match["line"])
        self.column = int(match["column"])
        self.hint: str | None = None
        self.code: str | None = None
        for text in lines[1:3]:
            if text.startswith("# hinweis: "):
                self.hint = text[len("# hinweis: "):]
            elif text.startswith("# code: "):
                self.code = text[len("# code: "):]
        self.source_line = lines[self.line - 1]


def _fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("*.rules"))


def _words_pattern(words: str) -> str:
    """The words of a header, in order, anywhere in the rendered report."""
    return "(?s)" + ".*".join(re.escape(w) for w in words.split())


def test_fixture_directory_holds_one_file_per_error_kind() -> None:
    """Every kind of checker error listed for the suite has its fixture (none silently removed)."""
    kinds = {
        "undefined_name", "duplicate_name", "unknown_unit", "unit_mismatch_sum", "unit_mismatch_comparison",
        "incompatible_conversion", "corridor_gap", "corridor_overlap", "band_undeclared_level",
        "table_missing_member", "table_int_key_not_partial", "cyclic_definition", "declared_type_mismatch",
        "level_outside_declared", "unknown_package_member", "unknown_function", "round_without_mode",
        "aggregate_over_non_list", "previous_outside_list", "example_unknown_path", "example_unknown_template",
        "stichtag_not_date", "default_out_of_range", "default_not_in_choice", "duplicate_table_row",
        "parameter_unit_mismatch", "corridor_gap_at_end", "corridor_values_missing", "cyclic_through_previous",
        "corridor_overlap_in_a_later_period", "percent_value_without_unit", "level_rule_in_error_names_its_level",
        "example_expects_an_empty_error", "duplicate_template", "example_date_outside_validity",
        "example_reference_date_outside_validity", "property_index_beyond_list", "template_unknown_key_in_list",
        "example_number_for_a_package",
    }
    assert kinds <= {p.stem for p in _fixtures()}


@pytest.mark.parametrize("path", _fixtures(), ids=[p.stem for p in _fixtures()])
def test_negative_fixture(path: Path) -> None:
    """Loading the fixture fails with exactly one error: the promised words at the promised place."""
    expected = Expected(path)
    with pytest.raises(CheckError, match=_words_pattern(expected.words)) as info:
        teilhabe_rules.load(path)
    errors = info.value.errors
    assert len(errors) == 1, f"the fixture should isolate one error, got:\n{info.value.render()}"
    diagnostic: Diagnostic = errors[0]
    assert diagnostic.location is not None
    assert diagnostic.location.file == str(path)
    where = (diagnostic.location.line, diagnostic.location.column)
    assert where == (expected.line, expected.column), diagnostic.render()
    for word in expected.words.split():
        assert word in diagnostic.message, diagnostic.render()
    if expected.code is not None:
        assert diagnostic.code == expected.code

    rendered = diagnostic.render().splitlines()
    assert rendered[0].startswith(f"{path}:{expected.line}:{expected.column}: fehler: ")
    # the offending source line, then a caret under the reported column
    assert rendered[1] == "    " + expected.source_line
    caret = rendered[2]
    assert caret.startswith("    " + " " * (expected.column - 1) + "^"), "\n".join(rendered)
    assert set(caret[4 + expected.column:]) <= {"~"}
    if expected.hint is not None:
        assert diagnostic.hint is not None and expected.hint in diagnostic.hint
        assert rendered[-1] == f"    hinweis: {diagnostic.hint}"


def test_all_errors_of_a_file_are_reported_in_one_run() -> None:
    """Three independent mistakes give three diagnostics, sorted by line, in one CheckError."""
    text = MODEL_HEAD + (
        "eingabe kap4: auswahl {0, 2, 5} min/Tag\n"
        "wert a = kapp4 + 1\n"  # line 6: unknown name
        "wert b = 1 EUR + 2 h\n"  # line 7: unit mismatch
        "eingabe x: zahl Stnd\n"  # line 8: unknown unit
    )
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(text, "drei.rules")
    errors = info.value.errors
    assert [d.location.line for d in errors if d.location] == [6, 7, 8]
    assert "Unbekannter Name „kapp4“" in errors[0].message
    assert "Einheiten passen nicht zusammen" in errors[1].message
    assert "Unbekannte Einheit „Stnd“" in errors[2].message
    rendered = info.value.render()
    assert rendered.count("fehler:") == 3
    assert all(d.to_dict()["datei"] == "drei.rules" for d in errors)


def test_every_unknown_name_of_one_formula_is_reported() -> None:
    """Not only the first: the operands of a formula and the parts of a „wenn“ are each checked."""
    text = MODEL_HEAD + ("eingabe kap4: zahl min/Tag\n"
                         "wert a = kapp4 + kap5 * kap4\n"
                         "wert b = wenn x dann y sonst kap4\n")
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(text, "namen.rules")
    found = [(d.message, d.location.line, d.location.column) for d in info.value.errors if d.location]
    assert found == [("Unbekannter Name „kapp4“", 6, 10), ("Unbekannter Name „kap5“", 6, 18),
                     ("Unbekannter Name „x“", 7, 15), ("Unbekannter Name „y“", 7, 22)]


def test_a_cycle_is_reported_once_however_often_its_values_are_named() -> None:
    text = MODEL_HEAD + ("wert a: h = a + a\n"
                         "wert b = wenn b > 1 dann b sonst b\n"
                         'liste l "L"\n  eingabe e: zahl\n'
                         "  wert k = wenn position = 1 dann j sonst vorher.k\n  wert j = k\nende\n")
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(text, "zyklen.rules")
    assert [d.message for d in info.value.errors] == [
        "Zyklische Definition: a → a", "Zyklische Definition: b → b", "Zyklische Definition: k → j → k"]


def test_the_level_of_a_package_whose_level_rule_is_in_error_is_not_reported_again() -> None:
    """A package with levels but no level rule still has its levels: an example or a property
    naming them is not a second error; a package without levels has none to name."""
    text = MODEL_HEAD + ("eingabe x: zahl h/Jahr von 0 bis 10\n"
                         'paket lp "LP"\n  stufen\n    0 "kein"\n    1 "eins"\n  ende\nende\n'
                         'paket ohne "Ohne Stufen"\n  wert w = x\nende\n'
                         'beispiel "e"\n  eingabe x = 1\n  erwartet lp.stufe = 0\n'
                         "  erwartet lp.berechnete_stufe = 0\n  erwartet ohne.stufe = 0\nende\n"
                         'eigenschaft "monoton": steigend lp.stufe mit x\n')
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(text, "stufen.rules")
    assert [(d.message, d.location.line if d.location else 0) for d in info.value.errors] == [
        ("Das Paket „lp“ hat Stufen, aber keine Regel „stufe …“", 6),
        ("„ohne.stufe“ bezeichnet keinen Wert des Modells", 19),
    ]


def test_warnings_do_not_stop_loading_and_are_kept_on_the_model() -> None:
    """An unreachable band and an unreachable level warn, but the model loads and evaluates."""
    text = MODEL_HEAD + (
        "eingabe kap4: auswahl {2, 5} min/Tag\n"
        "paket lp2a \"LP 2a\"\n"
        "  stufen\n"
        "    0 \"kein\"\n"
        "    1 \"gering\"\n"
        "    2 \"mittel\"\n"
        "  ende\n"
        "  stufe nach korridor kap4\n"
        "    0: bis 0\n"  # line 13: no choice is 0 → unreachable band
        "    1: über 0\n"
        "  ende\n"
        "ende\n"
    )
    model = teilhabe_rules.loads(text, "warn.rules")
    warnings = model.warnings
    assert all(w.severity == "warnung" and not w.is_error for w in warnings)
    messages = [w.message for w in warnings]
    assert any("Das Band von Stufe 0" in m and "wird von keinem möglichen Wert erreicht" in m for m in messages)
    assert any("Stufe 2 von „lp2a“ hat kein Korridorband und wird nie erreicht" in m for m in messages)
    band = next(w for w in warnings if "Das Band von Stufe 0" in w.message)
    assert band.location is not None and (band.location.line, band.location.column) == (13, 5)
    assert model.evaluate({"kap4": 5}).value("lp2a.stufe") == 1


def test_level_rule_that_misses_a_level_warns() -> None:
    """A level expression whose values never reach a declared level gives an 'unerreichbar' warning."""
    text = MODEL_HEAD + (
        "eingabe x: ganzzahl von 0 bis 1\n"
        "paket lp \"LP\"\n"
        "  stufen\n"
        "    0 \"a\"\n"
        "    1 \"b\"\n"
        "    2 \"c\"\n"
        "  ende\n"
        "  stufe = x\n"
        "ende\n"
    )
    model = teilhabe_rules.loads(text)
    assert [(w.code, w.message) for w in model.warnings] == [("unerreichbar", "Stufe 2 von „lp“ wird nie erreicht")]


def test_a_value_whose_declaration_failed_is_not_reported_again_where_it_is_named(tmp_path: Path) -> None:
    """One error in a declaration is one error: a list's budget and a property naming the value
    it fails are not reported as naming nothing (a second budget, „bezeichnet keinen Wert“)."""
    text = ('modell casc "C"\n  version "1"\n  gültig ab 01.01.2024\n  budget summe_betrag\n  budget l.betrag\nende\n'
            'parameter satz: zahl EUR/h von 0 bis 100 = 500 EUR/h "Satz"\nliste l "L"\n'
            "  eingabe stunden: zahl h von 0 bis 10\n  wert betrag: EUR = stunden * satz\nende\n"
            "wert summe_betrag: EUR = summe(l.betrag)\n"
            'eigenschaft "steigend": steigend l[1].betrag mit l[1].stunden\n')
    with pytest.raises(CheckError) as caught:
        teilhabe_rules.loads(text, "casc.rules")
    assert [d.message for d in caught.value.diagnostics] == [
        "Der Wert von „satz“ (500) liegt außerhalb von 0 bis 100 EUR/h"]
    with pytest.raises(CheckError) as caught:  # named nowhere: still reported as naming nothing
        teilhabe_rules.loads(text.replace("  budget l.betrag", "  budget l.betrg").replace("l[1].betrag mit",
                                                                                           "l[1].betrg mit"), "c.rules")
    messages = [d.message for d in caught.value.diagnostics]
    assert any("ein Modellkopf nennt ein Budget des Falls" in m for m in messages)
    assert "„l[1].betrg“ bezeichnet keinen Wert des Modells" in messages
    variant = tmp_path / "variante.rules"  # a value of the base failing by the variant's parameter
    variant.write_text('modell mawo_x "X"\n  erweitert "mawo"\n  version "x"\n  gültig ab 01.01.2025\nende\n'
                       "parameter njaz = 2500 h/VK/Jahr\n", "utf-8")
    with pytest.raises(CheckError) as caught:
        teilhabe_rules.load(variant)
    assert [d.message for d in caught.value.diagnostics] == [
        "Der Wert von „njaz“ (2500) liegt außerhalb von 1200 bis 2000 h/Jahr/VK"]


@pytest.mark.parametrize(("name", "message"), [
    ("__neu__", "„__neu__“ ist ein Name, den Python selbst verwendet"),
    ("ǅx", "„ǅx“ ist kein Name in Unicode-Normalform (NFKC)"),
    ("x\u09f4", "„x\u09f4“ enthält ein Zeichen, das in Namen nicht vorkommt"),
    ("_flag", "„_flag“ ist der Name einer Spalte der Ergebnisse"),
    ("Satz", "„Satz“ unterscheidet sich von „satz“ nur in Groß- und Kleinschreibung"),
])
def test_a_refused_name_is_one_error_however_often_it_is_named(name: str, message: str) -> None:
    """A name refused where it is defined is reported there alone: not again as an unknown name
    wherever a formula, a package's formula, a list's formula or the model's budget names it."""
    text = ('modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\n'
            f"  budget {name}\nende\n"
            "eingabe satz: zahl EUR von 0 bis 9\n"
            f"wert {name}: EUR = satz * 2\n"
            f"wert a: EUR = {name} + 1 EUR\n"
            f"wert b: EUR = wenn {name} > 1 EUR dann {name} sonst a\n"
            'paket p "P"\n  stufen\n    0 "a"\n    1 "b"\n  ende\n'
            f"  stufe = wenn {name} > 2 EUR dann 1 sonst 0\n"
            f"  wert c: EUR = {name} * 2\nende\n"
            'liste l "L"\n  eingabe e: zahl EUR von 0 bis 9\n'
            f"  wert d: EUR = e + {name}\nende\n")
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(text, "namen.rules")
    found = [(d.message, d.location.line if d.location else None) for d in info.value.errors]
    assert found == [(message, 7)]
    assert "„a“" not in str(info.value.render())  # (a value naming it is not reported either)
    # an input refused: an example giving it, a property varying it
    inputs = ('modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
              f"eingabe satz: zahl EUR von 0 bis 9\neingabe {name}: zahl EUR von 0 bis 9\n"
              f"wert a: EUR = {name} + satz\n"
              f'beispiel "b"\n  eingabe satz = 1 EUR\n  eingabe {name} = 1 EUR\n  erwartet a = 2 EUR\nende\n'
              f'eigenschaft "s": steigend a mit {name}\n')
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(inputs, "eingaben.rules")
    assert [(d.message, d.location.line if d.location else None) for d in info.value.errors] == [(message, 6)]
    if name == "Satz":  # (in the list, beside no „satz“, the name is taken)
        return
    # a name refused in one list is unknown in another scope that cannot see it: still said
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(text.replace(f"wert {name}: EUR = satz * 2\n", "", 1).replace(
            "  eingabe e: zahl EUR von 0 bis 9\n", f"  eingabe e: zahl EUR von 0 bis 9\n  eingabe {name}: zahl EUR\n"),
            "namen.rules")
    messages = [d.message for d in info.value.errors]
    assert message in messages and f"Unbekannter Name „{name}“" in messages


def test_a_misspelt_rounding_mode_is_named() -> None:
    text = MODEL_HEAD + "eingabe x: zahl h von 0 bis 9\nwert a: h = runde(x, 2, kaufmaennisch)\n"
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(text, "runden.rules")
    (found,) = info.value.errors
    assert (found.message, found.hint) == ("„kaufmaennisch“ ist keine Rundungsart: kaufmännisch, abrunden oder "
                                           "aufrunden", "meinten Sie „kaufmännisch“?")


@pytest.mark.parametrize(("formula", "message"), [
    ("wert b: h = a * a", "„b“ ist als h deklariert, ergibt aber h·h"),
    ("wert b: ja_nein = a", "„b“ ist als ja/nein deklariert, ergibt aber"),
    ("wert b: h = runde(a, 2 h, kaufmännisch)", "Die Stellen von runde(…) sind eine ganze Zahl"),
    ("wert b = runde(a, a, kaufmännisch)", "Die Stellen von runde(…) sind eine ganze Zahl"),
])
def test_a_type_the_formula_does_not_give_has_a_hint(formula: str, message: str) -> None:
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(MODEL_HEAD + f"eingabe a: zahl h von 0 bis 9\n{formula}\n", "typ.rules")
    (found,) = info.value.errors
    assert found.message.startswith(message) and found.hint, (found.message, found.hint)


def test_an_example_index_beyond_a_list_of_one_names_its_one_entry() -> None:
    text = (MODEL_HEAD + 'liste l "L"\n  eingabe x: zahl h von 0 bis 9\nende\nwert s: zahl = 1\n'
            'vorlage grund\n  l[1].x = 1\nende\nbeispiel "b"\n  basis grund\n  eingabe l[3].x = 2\n'
            '  erwartet s = 1\nende\n')
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(text, "index.rules")
    (found,) = info.value.errors
    assert found.message == "Index [3] gibt es nicht (die Liste hat 1 Eintrag)"
    # at the path, not under „eingabe“, with the index an element more would take
    assert found.location is not None and (found.location.column, found.location.end_column) == (11, 17)
    assert found.hint == ("ein weiteres Element hat den Index [2], eines nach dem letzten; oder gib die ganze "
                          "Liste an: … = [{…}, {…}]")


@pytest.mark.parametrize("formula", ["a / 0", "a / 0 h", "1 / 0", "(a + 1 h) / 0"])
def test_a_division_by_a_written_zero_is_an_error_at_the_zero(formula: str) -> None:
    """Dividing by the number 0 — with a unit or none, by an input or a constant — fails every
    case: the checker says so, with the caret at the 0."""
    text = (f'modell d "D"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
            f"eingabe a: zahl h von 0 bis 10\nwert x = {formula}\n")
    with pytest.raises(CheckError) as caught:
        teilhabe_rules.loads(text, "d.rules")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.message == "Division durch null" and diagnostic.hint
    assert diagnostic.location is not None and diagnostic.location.line == 6
    assert diagnostic.location.column == len("wert x = ") + formula.rindex("0") + 1


@pytest.mark.parametrize(("mode", "hint"), [("mathematisch", "kaufmännisch rundet die Hälfte auf"),
                                             ("kaufmänisch", "meinten Sie „kaufmännisch“?")])
def test_a_rounding_mode_that_is_none_is_named_as_such(mode: str, hint: str) -> None:
    text = (f'modell r "R"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
            f"eingabe a: zahl h von 0 bis 10\nwert w: h = runde(a, 2, {mode})\n")
    with pytest.raises(CheckError) as caught:
        teilhabe_rules.loads(text, "r.rules")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.message == f"„{mode}“ ist keine Rundungsart: kaufmännisch, abrunden oder aufrunden"
    assert hint in (diagnostic.hint or "")
    assert diagnostic.location is not None and (diagnostic.location.line, diagnostic.location.column) == (6, 25)


def test_a_level_is_named_once_as_a_level() -> None:
    """A package's levels are a type „Stufe von lp“: a message naming it says so once."""
    text = (MODEL_HEAD + 'eingabe minuten: zahl min/Tag von 0 bis 100\npaket lp "P"\n  stufen\n    0 "kein"\n'
            '    1 "Bedarf"\n  ende\n  stufe nach korridor minuten\n    0: ab 0 min/Tag bis 5 min/Tag\n'
            '    1: über 5 min/Tag\n  ende\nende\nwert x: ja_nein = lp.stufe und ja\n')
    with pytest.raises(CheckError) as caught:
        teilhabe_rules.loads(text, "stufe.rules")
    assert [d.message for d in caught.value.diagnostics] == ["„und“ verbindet ja/nein-Werte, nicht Stufe von lp"]


def test_an_example_s_own_reference_date_outside_the_validity_is_shown_at_its_value() -> None:
    """A date the example gives its ``stichtag`` input is checked against the model's validity at
    the value; one the case loader reads from a text, and a model without a validity start, are
    left to evaluation."""
    head = ('modell s "S"\n  version "1"\n  gültig ab 01.01.2025\n  stichtag beginn\nende\n'
            "eingabe beginn: datum\n")
    text = head + 'beispiel "vorher"\n  eingabe beginn = 31.12.2024\n  erwartet beginn = 31.12.2024\nende\n'
    with pytest.raises(CheckError) as caught:
        teilhabe_rules.loads(text, "s.rules")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.message.startswith("Das Beispiel „vorher“ wird am 31.12.2024 ausgewertet (Stichtag „beginn“)")
    assert diagnostic.location is not None and (diagnostic.location.line, diagnostic.location.column) == (8, 20)
    as_text = head + 'beispiel "als-text"\n  eingabe beginn = "2024-12-31"\n  erwartet fehler "außerhalb"\nende\n'
    assert teilhabe_rules.loads(as_text, "t.rules").checked.examples


def test_a_key_inside_a_record_given_whole_that_names_no_input_is_an_error_at_the_key() -> None:
    """In an example's ``eingabe`` of an element or a package's table given whole too — also in an
    example that expects an error (it may give a wrong value on purpose, not a key the model lacks)."""
    text = (MODEL_HEAD + 'liste l "L" mindestens 1\n  eingabe x: zahl h von 0 bis 5\n  paket p "P"\n'
            "    eingabe y: zahl h von 0 bis 5\n  ende\nende\n"
            'beispiel "b"\n  eingabe l = [{x = 1, p = {y = 9}}]\n  eingabe l[1].p = {yy = 3}\n'
            '  erwartet fehler "zu groß"\nende\n')
    with pytest.raises(CheckError) as caught:
        teilhabe_rules.loads(text, "k.rules")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.message == "„l[1].p.yy“ bezeichnet keine Eingabe des Modells"
    assert diagnostic.hint == "meinten Sie „y“?"
    assert diagnostic.location is not None and (diagnostic.location.line, diagnostic.location.column) == (13, 21)


def test_a_package_list_or_element_given_as_a_number_is_an_error_at_the_value_or_its_template_line() -> None:
    """The case loader refuses a package, a list or an element not given as a record (a list); the
    checker reports it at the value — for a template's line once, where an example that expects
    no error keeps it; an example expecting an error, and one that gives the part itself, not."""
    text = (MODEL_HEAD + 'paket p "P"\n  eingabe y: zahl h von 0 bis 5 standard 1\n  wert z: h = y\nende\n'
            'liste l "L"\n  eingabe x: zahl h von 0 bis 5\n'
            '  paket q "Q"\n    eingabe w: zahl h standard 1\n  ende\nende\n'
            "vorlage grund\n  p = 3\nende\n"  # line 16: p = 3
            'beispiel "abgelehnt"\n  basis grund\n  erwartet fehler "Datensatz"\nende\n'
            'beispiel "ersetzt"\n  basis grund\n  eingabe p = {y = 2}\n  erwartet p.z = 2 h\nende\n'
            'beispiel "a"\n  basis grund\n  erwartet p.z = 1 h\nende\n'
            'beispiel "b"\n  basis grund\n  erwartet p.z = 1 h\nende\n'
            'beispiel "liste"\n  eingabe l = 4\n  erwartet p.z = 1 h\nende\n'  # line 36
            'beispiel "element"\n  eingabe l = [3, {x = 1, q = ja}, "l.toml"]\n  erwartet p.z = 1 h\nende\n')
    with pytest.raises(CheckError) as caught:
        teilhabe_rules.loads(text, "formen.rules")
    found = [(d.location.line, d.location.column, d.message) for d in caught.value.diagnostics if d.location]
    assert found == [
        (16, 7, "„p“ ist ein Paket und muss ein Datensatz mit seinen Eingaben sein: der Fall würde abgelehnt"),
        (36, 15, "„l“ ist eine Liste und muss als Liste von Datensätzen gegeben sein: der Fall würde abgelehnt"),
        (40, 16, "„l[1]“ ist ein Element der Liste „l“ und muss ein Datensatz sein: der Fall würde abgelehnt"),
        (40, 31, "„l[2].q“ ist ein Paket und muss ein Datensatz mit seinen Eingaben sein: der Fall würde abgelehnt"),
    ]
    assert caught.value.diagnostics[0].hint == ("gib seine Eingaben als Datensatz an, z. B. p = {y = WERT}, "
                                                "oder einzeln: p.y = WERT")


def test_a_list_given_as_one_record_is_one_error_at_its_form_not_one_for_its_keys() -> None:
    """``l = {x = 1}`` for the list ``l``: the checker says it must be a list of records — and
    does not also call ``l.x`` no input (``x`` is an input of the list's elements)."""
    text = (MODEL_HEAD + 'liste l "L"\n  eingabe x: zahl h von 0 bis 5\nende\n'
            'wert n: zahl = anzahl(l)\n'
            'beispiel "a"\n  eingabe l = {x = 1}\n  erwartet n = 1\nende\n')
    with pytest.raises(CheckError) as caught:
        teilhabe_rules.loads(text, "liste.rules")
    assert [d.message for d in caught.value.diagnostics] == [
        "„l“ ist eine Liste und muss als Liste von Datensätzen gegeben sein: der Fall würde abgelehnt"]
