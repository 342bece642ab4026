"""The semantic diff of two checked models: what changed, and nothing for reordering or reformatting."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules.cli import main
from teilhabe_rules.ir import checked as c
from teilhabe_rules.tools.diff import WIDTH, diff_models, ir_equal, ir_key, roundings, told_apart

BASE = """\
modell tarif "Tarif"
  version "1"
  gültig ab 01.01.2024
  familie "T"
  budget betrag
ende

aufzählung Gruppe "Gruppe"
  a "Gruppe A"
  b "Gruppe B"
ende

eingabe gruppe: Gruppe "Gruppe der Person"
eingabe minuten: zahl min/Tag von 0 bis 60 "Minuten am Tag"
eingabe stunden: zahl h/Jahr von 0 bis 100

parameter satz: zahl EUR/h von 0 bis 200 = 60 EUR/h "Stundensatz" annahme "geschätzt"
parameter grenze: min/Tag = 10 min/Tag "Grenze Stufe 1"

tabelle faktor "Faktor je Gruppe": Gruppe -> %
  a: 100 %
  b: 80 %
ende

paket lp "Leistungspaket"
  stufen
    0 "kein Bedarf"
    1 "gering"
    2 "hoch"
  ende
  stufe nach korridor minuten
    0: ab 0 bis 0
    1: über 0 bis grenze
    2: über grenze
  ende
  wert zeit: min/Tag = minuten
ende

wert jahresstunden: h/Jahr = lp.zeit als h/Jahr + stunden "Stunden im Jahr"
wert betrag: EUR/Jahr = runde(jahresstunden * satz * faktor[gruppe], 2, kaufmännisch) "Betrag im Jahr"
prüfung "Zu viele Stunden ({stunden})": stunden <= 90 h/Jahr
"""

# The same model, declarations reordered, reformatted, commented, numbers written differently.
REORDERED = """\
# dieselbe Datei, anders geschrieben
modell tarif "Tarif"
  budget betrag
  familie "T"
  gültig ab 01.01.2024
  version "1"
ende

prüfung "Zu viele Stunden ({stunden})": stunden<=90.0 h/Jahr

wert betrag: EUR/Jahr = runde( jahresstunden*satz*faktor[ gruppe ], 2, kaufmännisch ) "Betrag im Jahr"

paket lp "Leistungspaket"
  wert zeit: min/Tag = minuten
  stufe nach korridor minuten
    2: über grenze
    0: ab 0.0 bis 0
    1: über 0 bis grenze
  ende
  stufen
    2 "hoch"
    0 "kein Bedarf"
    1 "gering"
  ende
ende

tabelle faktor "Faktor je Gruppe": Gruppe -> %
  b: 80.0 %
  a: 100 %
ende

parameter grenze: min/Tag = 10.00 min/Tag "Grenze Stufe 1"
parameter satz: zahl EUR/h von 0 bis 200.0 = 60.0 EUR/h "Stundensatz" annahme "geschätzt"

wert jahresstunden: h/Jahr = (lp.zeit als h/Jahr) + stunden "Stunden im Jahr"
eingabe stunden: zahl h/Jahr von 0 bis 100
eingabe minuten: zahl min/Tag von 0 bis 60 "Minuten am Tag"
eingabe gruppe: Gruppe "Gruppe der Person"

aufzählung Gruppe "Gruppe"
  b "Gruppe B"
  a "Gruppe A"
ende
"""


def checked(text: str, name: str = "tarif.rules") -> c.CheckedModel:
    return teilhabe_rules.loads(text, name).checked


def changes(old: str, new: str) -> set[tuple[str, str, str, str | None, str | None]]:
    return {(ch.section, ch.kind, ch.subject, ch.old, ch.new) for ch in diff_models(checked(old), checked(new)).changes}


def test_reordering_and_reformatting_shows_no_difference() -> None:
    """A text diff of the two files is large; the semantic diff is empty."""
    result = diff_models(checked(BASE), checked(REORDERED, "anders.rules"))
    assert result.empty, result.render_text()
    assert "Keine inhaltlichen Unterschiede." in result.render_text()


def test_a_model_against_itself_loaded_twice() -> None:
    bundled = teilhabe_rules.bundled("bei_nrw3")
    assert diff_models(bundled.checked, teilhabe_rules.load(bundled.path).checked).empty


def test_the_bundled_mawo_versions_differ_exactly_by_what_the_variant_changes() -> None:
    result = diff_models(teilhabe_rules.bundled("mawo").checked, teilhabe_rules.bundled("mawo_2025").checked)
    found = {(ch.section, ch.subject, ch.note) for ch in result.changes}
    assert found == {
        ("modell", "Name", None),
        ("modell", "Titel", None),
        ("modell", "Version", None),
        ("modell", "erweitert", None),
        ("modell", "Vorgänger", None),
        ("modell", "Beschreibung", None),
        ("modell", "Quelle", None),
        ("gültigkeit", "Modell", None),
        ("tabellen", "pflegeminuten[5]", "LP 2b – Pflegezeit je Pflegegrad"),
        ("tabellen", "pflegeminuten[5]", "Annahme"),
        ("parameter", "fls_satz", "Fachleistungsstundensatz (FLS) ab 01.01.2025"),
        ("parameter", "fls_satz", "Annahme"),
        # § 43a SGB XI: the cap of 2025 (278 EUR/Monat)
        ("parameter", "pflegekasse_hoechstbetrag", "§ 43a SGB XI: Höchstbetrag je Jahr (12 × Monatsbetrag)"),
        ("parameter", "pflegekasse_hoechstbetrag", "Annahme"),
        # the variant replaces the legal source of the cap, and its fls_satz has none of its own
        ("parameter", "fls_satz", "Quelle"),
        ("parameter", "pflegekasse_hoechstbetrag", "Quelle"),
        # the variant's texts: the new rate's description, and none for the new row 5
        ("beschreibungen", "Parameter fls_satz", "Beschreibung"),
        ("beschreibungen", "Tabelle pflegeminuten[5]", "Beschreibung"),
    }
    by_subject = {(ch.subject, ch.note): ch for ch in result.changes}
    row = by_subject[("fls_satz", "Fachleistungsstundensatz (FLS) ab 01.01.2025")]
    assert (row.old, row.new) == ("68.95 EUR/h", "70.10 EUR/h")
    row = by_subject[("pflegeminuten[5]", "LP 2b – Pflegezeit je Pflegegrad")]
    assert (row.old, row.new) == ("36 min/Tag", "40 min/Tag")
    assert by_subject[("Modell", None)].new == "ab 01.01.2025"
    assert by_subject[("fls_satz", "Quelle")].new == "—"
    source = by_subject[("pflegekasse_hoechstbetrag", "Quelle")]
    assert source.old is not None and source.old.startswith("„§ 43a Satz 2 SGB XI: 266 EUR/Monat")
    assert source.new is not None and "Dynamisierung der Leistungsbeträge um 4,5 %" in source.new


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("parameter grenze: min/Tag = 10 min/Tag", "parameter grenze: min/Tag = 12 min/Tag"),
         {("parameter", "geändert", "grenze", "10 min/Tag", "12 min/Tag"),
          ("korridore", "geändert", "lp Stufe 1, obere Grenze", "bis grenze (10 min/Tag)", "bis grenze (12 min/Tag)"),
          ("korridore", "geändert", "lp Stufe 2, untere Grenze", "über grenze (10 min/Tag)",
           "über grenze (12 min/Tag)")}),
        (("    0: ab 0 bis 0\n    1: über 0 bis grenze", "    0: ab 0 bis 1\n    1: über 1 bis grenze"),
         {("korridore", "geändert", "lp Stufe 0, obere Grenze", "bis 0 min/Tag", "bis 1 min/Tag"),
          ("korridore", "geändert", "lp Stufe 1, untere Grenze", "über 0 min/Tag", "über 1 min/Tag")}),
        (("  b: 80 %\n", "  b: 75 %\n"), {("tabellen", "geändert", "faktor[b]", "80 %", "75 %")}),
        (("runde(jahresstunden * satz * faktor[gruppe], 2, kaufmännisch)",
          "runde(jahresstunden * satz * faktor[gruppe], 0, abrunden)"),
         {("rundung", "geändert", "betrag", "runde(…, 2, kaufmännisch)", "runde(…, 0, abrunden)")}),
        (("lp.zeit als h/Jahr + stunden", "lp.zeit als h/Jahr + stunden * 2"),
         {("werte", "geändert", "jahresstunden",
           'wert jahresstunden: h/Jahr = lp.zeit als h/Jahr + stunden "Stunden im Jahr"',
           'wert jahresstunden: h/Jahr = lp.zeit als h/Jahr + stunden * 2 "Stunden im Jahr"')}),
        (("eingabe stunden: zahl h/Jahr von 0 bis 100", "eingabe stunden: zahl h/Jahr von 0 bis 120"),
         {("eingaben", "geändert", "stunden", "Zahl in h/Jahr von 0 bis 100", "Zahl in h/Jahr von 0 bis 120")}),
        (("  gültig ab 01.01.2024\n", "  gültig ab 01.01.2024\n  gültig bis 31.12.2025\n"),
         {("gültigkeit", "geändert", "Modell", "ab 01.01.2024", "ab 01.01.2024 bis 31.12.2025")}),
        (('prüfung "Zu viele Stunden ({stunden})": stunden <= 90 h/Jahr',
          'prüfung "Zu viele Stunden ({stunden})": stunden <= 95 h/Jahr'),
         {("prüfungen", "geändert", "prüfung „Zu viele Stunden ({stunden})“",
           "stunden <= 90 h/Jahr", "stunden <= 95 h/Jahr")}),
        (('annahme "geschätzt"', 'annahme "verhandelt"'),
         {("parameter", "geändert", "satz", "„geschätzt“", "„verhandelt“")}),
        (('annahme "geschätzt"', 'annahme "geschätzt" quelle "Vereinbarung 2024"'),
         {("parameter", "geändert", "satz", "—", "„Vereinbarung 2024“")}),
        (('    2 "hoch"\n', '    2 "sehr hoch"\n'), {("pakete", "geändert", "lp Stufe 2", "„hoch“", "„sehr hoch“")}),
    ],
    ids=["parametergrenze", "korridorgrenze", "tabellenzeile", "rundung", "formel", "eingabe-bereich", "gültigkeit",
         "prüfung", "annahme", "quelle", "stufenbezeichnung"],
)
def test_each_kind_of_change_is_found(change: tuple[str, str], expected: set) -> None:
    old, new = change
    assert old in BASE
    assert changes(BASE, BASE.replace(old, new)) == expected


def test_a_table_of_one_row_added_or_removed_has_one_row() -> None:
    new = BASE + 'tabelle zuschlag "Zuschlag je Gruppe": Gruppe -> % teilweise\n  a: 5 %\nende\n'
    assert ("tabellen", "hinzugefügt", "zuschlag", None, "1 Zeile") in changes(BASE, new)
    assert ("tabellen", "entfernt", "zuschlag", "1 Zeile", None) in changes(new, BASE)
    assert ("tabellen", "entfernt", "faktor", "2 Zeilen", None) in changes(new, new.replace(
        'tabelle faktor "Faktor je Gruppe": Gruppe -> %\n  a: 100 %\n  b: 80 %\nende\n', "").replace(
        " * faktor[gruppe]", ""))


def test_additions_and_removals() -> None:
    new = BASE.replace("eingabe stunden: zahl h/Jahr von 0 bis 100\n",
                       "eingabe stunden: zahl h/Jahr von 0 bis 100\neingabe tage: Tage\n")
    new = new.replace('parameter grenze: min/Tag = 10 min/Tag "Grenze Stufe 1"\n',
                      'parameter grenze: min/Tag = 10 min/Tag "Grenze Stufe 1"\n'
                      'parameter pauschale: EUR/Jahr = 50 "Pauschale"\n')
    new = new.replace("  b: 80 %\n", "")
    new = new.replace('tabelle faktor "Faktor je Gruppe": Gruppe -> %',
                      'tabelle faktor "Faktor je Gruppe": Gruppe -> % teilweise')
    new += 'paket extra "Zusatz"\n  wert summe: EUR/Jahr = pauschale\nende\n'
    found = changes(BASE, new)
    assert ("eingaben", "hinzugefügt", "tage", None, "Zahl in Tage") in found
    assert ("parameter", "hinzugefügt", "pauschale", None, "50 EUR/Jahr") in found
    assert ("tabellen", "entfernt", "faktor[b]", "80 %", None) in found
    assert ("tabellen", "geändert", "faktor", "vollständig", "teilweise") in found
    assert ("pakete", "hinzugefügt", "extra", None, "Zusatz") in found
    assert ("werte", "hinzugefügt", "extra.summe", None, "Zahl in EUR/Jahr") in found
    back = changes(new, BASE)
    assert ("eingaben", "entfernt", "tage", "Zahl in Tage", None) in back
    assert ("pakete", "entfernt", "extra", "Zusatz", None) in back


def test_values_per_period_are_a_validity_change() -> None:
    new = BASE.replace('annahme "geschätzt"\n', 'annahme "geschätzt"\n  ab 01.01.2025 = 65 EUR/h\n')
    assert changes(BASE, new) == {("gültigkeit", "geändert", "satz (Werte je Zeitraum)", "60 EUR/h ab 01.01.2024",
                                   "60 EUR/h ab 01.01.2024, 65 EUR/h ab 01.01.2025")}


class TestIrEquality:
    """Resolved expressions are compared without their source positions."""

    def test_spans_do_not_matter(self) -> None:
        a = checked(BASE).nodes["betrag"].expr
        b = checked("\n\n\n" + BASE.replace("wert betrag", "wert   betrag")).nodes["betrag"].expr
        assert a.span != b.span
        assert ir_equal(a, b) and ir_key(a) == ir_key(b)

    def test_a_different_formula_is_different(self) -> None:
        a = checked(BASE).nodes["jahresstunden"].expr
        b = checked(BASE.replace("+ stunden", "- stunden")).nodes["jahresstunden"].expr
        assert not ir_equal(a, b)

    def test_rounding_is_compared_separately(self) -> None:
        a = checked(BASE).nodes["betrag"].expr
        b = checked(BASE.replace("2, kaufmännisch", "0, aufrunden")).nodes["betrag"].expr
        assert not ir_equal(a, b) and ir_equal(a, b, ignore_rounding=True)
        assert roundings(a) == ((2, "kaufmännisch"),) and roundings(b) == ((0, "aufrunden"),)


def test_cli_diff_text_and_json() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["diff", "mawo", "mawo_2025"], out, err) == 0
    text = out.getvalue()
    assert ("Parameter\n  geändert  fls_satz (Fachleistungsstundensatz (FLS) ab 01.01.2025): 68.95 EUR/h → 70.10 EUR/h"
            in text)
    assert text.rstrip().endswith("18 Änderungen in 5 Abschnitten.")
    out = io.StringIO()
    assert main(["diff", "mawo", "mawo_2025", "--format", "json"], out, err) == 0
    data = json.loads(out.getvalue())
    assert data["anzahl"] == 18 and list(data["abschnitte"]) == ["Modell", "Gültigkeit", "Tabellen", "Parameter",
                                                                "Beschreibungen und Titel"]
    assert data["abschnitte"]["Tabellen"][0] == {"abschnitt": "tabellen", "art": "geändert",
                                                 "gegenstand": "pflegeminuten[5]", "alt": "36 min/Tag",
                                                 "neu": "40 min/Tag", "hinweis": "LP 2b – Pflegezeit je Pflegegrad"}


def test_cli_diff_of_a_broken_model_shows_no_traceback(tmp_path) -> None:
    broken = tmp_path / "kaputt.rules"
    broken.write_text(BASE.replace("wert betrag", "wert betrag: EUR/Jahr = undefiniert\nwert x"), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["diff", "mawo", str(broken)], out, err) == 1
    assert "Unbekannter Name „undefiniert“" in err.getvalue() and "Traceback" not in err.getvalue()


LISTS = """\
modell liste "Listen"
  version "1"
  gültig ab 01.01.2024
ende
liste abschnitte mindestens 1 höchstens 3
  eingabe tage: zahl Tage von 0 bis 400
  liste massnahmen mindestens 1 höchstens 30
    eingabe stunden: zahl h/Jahr von 0 bis 2000
  ende
ende
"""


def test_list_bounds_and_lists_are_compared() -> None:
    """How many elements a case's list takes is part of the model's contract with its cases."""
    looser = LISTS.replace("liste massnahmen mindestens 1 höchstens 30", "liste massnahmen mindestens 0 höchstens 30")
    assert changes(LISTS, looser) == {
        ("eingaben", "geändert", "abschnitte[].massnahmen[]", "mindestens 1, höchstens 30",
         "mindestens 0, höchstens 30")}
    unbounded = LISTS.replace("liste abschnitte mindestens 1 höchstens 3", "liste abschnitte")
    assert changes(LISTS, unbounded) == {
        ("eingaben", "geändert", "abschnitte[]", "mindestens 1, höchstens 3", "beliebig viele Einträge")}
    extra = LISTS + "liste monate höchstens 12\n  eingabe tage: zahl Tage von 0 bis 31\nende\n"
    found = changes(LISTS, extra)
    assert ("eingaben", "hinzugefügt", "monate[]", None, "Liste, höchstens 12") in found
    assert ("eingaben", "entfernt", "monate[]", "Liste, höchstens 12", None) in changes(extra, LISTS)


def test_a_new_member_of_an_enumeration_is_reported_once() -> None:
    """Not again as a change of type at every input and table that uses the aufzählung."""
    wider = (BASE.replace('  a "Gruppe A"\n', '  a "Gruppe A"\n  c "Gruppe C"\n')
             .replace("  b: 80 %\n", "  b: 80 %\n  c: 80 %\n"))
    text = BASE
    assert changes(text, wider) == {
        ("aufzählungen", "hinzugefügt", "Gruppe.c", None, "„Gruppe C“"),
        ("tabellen", "hinzugefügt", "faktor[c]", None, "80 %"),  # the row the new member needs
    }


class TestWhatIsAndIsNotAChange:
    """Found by review: order and spelling are no change; a bound's parameter and a second check
    of the same message are; a changed condition is shown where it changed."""

    def test_a_choice_set_in_another_order_is_no_change(self) -> None:
        old = BASE.replace("eingabe stunden: zahl h/Jahr von 0 bis 100", "eingabe k: auswahl {0, 2, 5} min/Tag\n"
                           "eingabe stunden: zahl h/Jahr von 0 bis 100")
        assert diff_models(checked(old), checked(old.replace("{0, 2, 5}", "{5, 0, 2}"))).empty
        assert not diff_models(checked(old), checked(old.replace("{0, 2, 5}", "{0, 2, 6}"))).empty

    def test_a_period_value_written_otherwise_is_no_change(self) -> None:
        old = BASE.replace('annahme "geschätzt"\n', 'annahme "geschätzt"\n  ab 01.01.2025 = 70.10 EUR/h\n')
        assert diff_models(checked(old), checked(old.replace("70.10 EUR/h", "70.1 EUR/h"))).empty
        found = changes(old, old.replace("70.10 EUR/h", "70.2 EUR/h"))
        assert {(s, k, subject) for s, k, subject, _, _ in found} == {
            ("gültigkeit", "geändert", "satz (Werte je Zeitraum)")}

    def test_a_bound_that_reads_another_parameter_of_the_same_value_is_a_change(self) -> None:
        old = BASE.replace('parameter grenze: min/Tag = 10 min/Tag "Grenze Stufe 1"\n',
                           'parameter grenze: min/Tag = 10 min/Tag "Grenze Stufe 1"\n'
                           'parameter grenze2: min/Tag = 10 min/Tag "gleich"\n')
        new = old.replace("    2: über grenze\n", "    2: über grenze2\n")
        assert changes(old, new) == {("korridore", "geändert", "lp Stufe 2, untere Grenze", "über grenze (10 min/Tag)",
                                      "über grenze2 (10 min/Tag)")}

    def test_a_second_check_of_the_same_message_is_added_not_the_first_changed(self) -> None:
        line = 'prüfung "Zu viele Stunden ({stunden})": stunden <= 90 h/Jahr\n'
        found = changes(BASE, BASE.replace(line, line + line.replace("<= 90", "<= 80")))
        assert [(section, kind) for section, kind, *_ in found] == [("prüfungen", "hinzugefügt")]

    def test_a_changed_condition_shows_what_changed(self) -> None:
        long_message = "Die Stunden: " + "sehr " * 40 + "viele"
        old = BASE.replace('prüfung "Zu viele Stunden ({stunden})"', f'prüfung "{long_message}"')
        (change,) = diff_models(checked(old), checked(old.replace("<= 90 h/Jahr", "< 90 h/Jahr"))).changes
        assert change.old != change.new
        assert change.old is not None and "<= 90" in change.old and change.new is not None and "< 90" in change.new


class TestSeveralBandsOfOneLevel:
    """A level may have several bands (``1`` below 50 and again from 60): each of them counts."""

    SPLIT = BASE.replace("""    0: ab 0 bis 0
    1: über 0 bis grenze
    2: über grenze
""", """    0: ab 0 bis 0
    1: über 0 unter 30 min/Tag
    2: ab 30 min/Tag unter 40 min/Tag
    1: ab 40 min/Tag unter 50 min/Tag
    2: ab 50 min/Tag
""")

    def test_a_moved_bound_between_bands_of_levels_with_several_is_found(self) -> None:
        moved = self.SPLIT.replace("1: über 0 unter 30 min/Tag\n    2: ab 30 min/Tag",
                                   "1: über 0 unter 25 min/Tag\n    2: ab 25 min/Tag")
        assert changes(self.SPLIT, moved) == {
            ("korridore", "geändert", "lp Stufe 1, Bänder",
             "über 0 min/Tag unter 30 min/Tag; ab 40 min/Tag unter 50 min/Tag",
             "über 0 min/Tag unter 25 min/Tag; ab 40 min/Tag unter 50 min/Tag"),
            ("korridore", "geändert", "lp Stufe 2, Bänder", "ab 30 min/Tag unter 40 min/Tag; ab 50 min/Tag",
             "ab 25 min/Tag unter 40 min/Tag; ab 50 min/Tag"),
        }

    def test_the_bands_of_a_level_in_another_order_are_no_change(self) -> None:
        reordered = self.SPLIT.replace("""    1: über 0 unter 30 min/Tag
    2: ab 30 min/Tag unter 40 min/Tag
    1: ab 40 min/Tag unter 50 min/Tag
    2: ab 50 min/Tag
""", """    2: ab 50 min/Tag
    1: ab 40 min/Tag unter 50 min/Tag
    2: ab 30 min/Tag unter 40 min/Tag
    1: über 0 unter 30 min/Tag
""")
        assert changes(self.SPLIT, reordered) == set()

    def test_a_band_split_in_two_is_a_change_of_the_levels_bands(self) -> None:
        assert changes(BASE, self.SPLIT) == {
            ("korridore", "geändert", "lp Stufe 1, Bänder", "über 0 min/Tag bis grenze (10 min/Tag)",
             "über 0 min/Tag unter 30 min/Tag; ab 40 min/Tag unter 50 min/Tag"),
            ("korridore", "geändert", "lp Stufe 2, Bänder", "über grenze (10 min/Tag)",
             "ab 30 min/Tag unter 40 min/Tag; ab 50 min/Tag")}


def test_an_assumption_of_a_table_or_of_a_period_is_compared() -> None:
    """Every ``annahme`` is reported when it changes — a table's, a row's, a parameter's and a
    later period's of a parameter."""
    old = BASE.replace('tabelle faktor "Faktor je Gruppe": Gruppe -> %',
                       'tabelle faktor "Faktor je Gruppe": Gruppe -> % annahme "alt"').replace(
        'parameter grenze: min/Tag = 10 min/Tag "Grenze Stufe 1"\n',
        'parameter grenze: min/Tag = 10 min/Tag "Grenze Stufe 1"\n  ab 01.07.2024 = 12 min/Tag annahme "erste"\n')
    new = old.replace('-> % annahme "alt"', '-> % annahme "neu"').replace('annahme "erste"', 'annahme "zweite"')
    assert changes(old, new) == {
        ("tabellen", "geändert", "faktor", "„alt“", "„neu“"),
        ("parameter", "geändert", "grenze ab 01.07.2024", "„erste“", "„zweite“"),
    }
    assert changes(old, old.replace(' annahme "erste"', "")) == {
        ("parameter", "geändert", "grenze ab 01.07.2024", "„erste“", "—")}


def test_a_source_of_a_parameter_a_period_or_a_table_is_compared() -> None:
    """Every ``quelle`` is reported when it changes, as every ``annahme``: both justify a figure."""
    old = BASE.replace('tabelle faktor "Faktor je Gruppe": Gruppe -> %',
                       'tabelle faktor "Faktor je Gruppe": Gruppe -> % quelle "Anlage 1"').replace(
        'parameter grenze: min/Tag = 10 min/Tag "Grenze Stufe 1"\n',
        'parameter grenze: min/Tag = 10 min/Tag "Grenze Stufe 1" quelle "LRV § 5"\n'
        '  ab 01.07.2024 = 12 min/Tag quelle "Nachtrag 1"\n')
    new = (old.replace('quelle "Anlage 1"', 'quelle "Anlage 2"').replace('quelle "LRV § 5"', 'quelle "LRV § 6"')
           .replace('quelle "Nachtrag 1"', 'quelle "Nachtrag 2"'))
    assert changes(old, new) == {
        ("tabellen", "geändert", "faktor", "„Anlage 1“", "„Anlage 2“"),
        ("parameter", "geändert", "grenze", "„LRV § 5“", "„LRV § 6“"),
        ("parameter", "geändert", "grenze ab 01.07.2024", "„Nachtrag 1“", "„Nachtrag 2“"),
    }
    assert changes(old, old.replace(' quelle "LRV § 5"', "")) == {("parameter", "geändert", "grenze", "„LRV § 5“", "—")}


def test_the_budget_of_a_list_s_element_is_compared() -> None:
    """``budget LISTE.WERT`` decides what ``compare`` sums per case: a changed, added or removed one
    is a change of the model's head."""
    head = 'modell l "L"\n  version "1"\n  gültig ab 01.01.2024\n{budget}ende\n'
    body = ('liste p "P"\n  eingabe h: zahl h von 0 bis 9\n  wert a: EUR = h * 2 EUR/h\n'
            "  wert b: EUR = h * 3 EUR/h\nende\n")

    def model(budget: str) -> c.CheckedModel:
        return teilhabe_rules.loads(head.format(budget=budget) + body).checked

    def changes(old: str, new: str) -> list[tuple[str, str, str | None, str | None]]:
        return [(ch.section, ch.subject, ch.old, ch.new) for ch in diff_models(model(old), model(new)).changes]

    assert changes("  budget p.a\n", "  budget p.a\n") == []
    assert changes("  budget p.a\n", "  budget p.b\n") == [("modell", "Budget je Element", "p.a", "p.b")]
    assert changes("", "  budget p.a\n") == [("modell", "Budget je Element", "—", "p.a")]


@pytest.mark.parametrize("name", ["mawo", "bei_nrw3"])
def test_a_model_with_windows_line_ends_is_the_same_model(name: str) -> None:
    """CRLF and LF are one line end: a bundled model, and one with a check message of several lines
    (before, its text kept the ``\\r``: the formatter, which writes LF, changed the message), saved
    with Windows line ends is the same model."""
    text = teilhabe_rules.bundled(name).path.read_text(encoding="utf-8")
    text += 'eingabe zz: zahl h von 0 bis 10 standard 0 h\nprüfung """Zeile\n{zz} über der zz-Grenze""": zz < 5\n'
    lf = teilhabe_rules.loads(text, "lf.rules")
    crlf = teilhabe_rules.loads(text.replace("\n", "\r\n"), "crlf.rules")
    assert diff_models(lf.checked, crlf.checked).empty
    (check,) = [n for n in crlf.checked.nodes.values() if isinstance(n, c.CheckNode) and "zz-Grenze" in str(n.message)]
    assert [part for part in check.message if isinstance(part, str)] == ["Zeile\n", " über der zz-Grenze"]


def test_a_text_of_several_lines_goes_on_under_its_change() -> None:
    """Each line of the text report is a change or continues the one above, indented: a message
    of several lines does not start a line of its own at the margin."""
    text = 'modell c "C"\n  version "1"\n  gültig ab 01.01.2024\nende\neingabe a: zahl h von 0 bis 10\n'
    old = teilhabe_rules.loads(text + 'prüfung """Zeile eins\nZeile {a} zwei""": a < 5\n').checked
    new = teilhabe_rules.loads(text + 'prüfung """Zeile eins\nZeile {a} drei""": a < 5\n').checked
    report = diff_models(old, new).render_text()
    body = report.split("Prüfungen\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert body == ["  neu       prüfung in Modell: „Zeile eins", "            Zeile {a} drei“",
                    "  entfällt  prüfung in Modell: war „Zeile eins", "            Zeile {a} zwei“"]


class TestLongRuleTexts:
    """A rule text longer than the text report's width is shown cut around its first difference;
    the JSON holds it whole."""

    LONG = BASE.replace("wert jahresstunden: h/Jahr = lp.zeit als h/Jahr + stunden",
                        "wert jahresstunden: h/Jahr = " + " + ".join(["lp.zeit als h/Jahr"] * 12) + " + stunden")

    def test_a_formula_changed_beyond_the_cut_shows_the_change_on_both_sides(self) -> None:
        changed = self.LONG.replace("+ stunden", "+ stunden * 2")
        (change,) = diff_models(checked(self.LONG), checked(changed)).changes
        assert change.old is not None and change.new is not None and len(change.old) > 250
        assert change.new.endswith('+ stunden * 2 "Stunden im Jahr"')  # whole, not cut
        old, new = change.shown()
        assert old != new
        assert old is not None and new is not None and old.startswith("…") and new.startswith("…")
        assert "+ stunden * 2" in new and "+ stunden * 2" not in old
        line = change.text()
        assert line.count("stunden * 2") == 1 and line == f"geändert  jahresstunden (Formel): {old} → {new}"

    def test_the_json_holds_the_whole_texts(self, tmp_path) -> None:
        (tmp_path / "alt.rules").write_text(self.LONG, encoding="utf-8")
        (tmp_path / "neu.rules").write_text(self.LONG.replace("+ stunden", "+ stunden * 2"), encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        assert main(["diff", str(tmp_path / "alt.rules"), str(tmp_path / "neu.rules"), "--format", "json"],
                    out, err) == 0
        (row,) = json.loads(out.getvalue())["abschnitte"]["Werte (Formeln)"]
        assert row["alt"] == " ".join(checked(self.LONG).nodes["jahresstunden"].source.split())
        assert row["neu"].endswith('+ stunden * 2 "Stunden im Jahr"') and "…" not in row["neu"]
        out = io.StringIO()
        assert main(["diff", str(tmp_path / "alt.rules"), str(tmp_path / "neu.rules")], out, err) == 0
        assert "+ stunden * 2" in out.getvalue()

    @settings(max_examples=examples(300), deadline=None)
    @given(prefix=st.text("ab (+)", max_size=400), old=st.text("ab (+)", max_size=40),
           new=st.text("ab (+)", max_size=40), suffix=st.text("ab (+)", max_size=400))
    def test_two_different_texts_are_always_shown_differently(self, prefix: str, old: str, new: str,
                                                             suffix: str) -> None:
        before, after = prefix + old + suffix, prefix + new + suffix
        shown_before, shown_after = told_apart(before, after)
        if before != after:
            assert shown_before != shown_after
        for whole, shown in ((before, shown_before), (after, shown_after)):
            if len(before) <= WIDTH and len(after) <= WIDTH:
                assert shown == whole
                continue
            assert len(shown) <= WIDTH + 2
            inner = shown.removeprefix("…").removesuffix("…")
            assert inner in whole
            assert shown.startswith("…") or whole.startswith(inner)  # cut only where marked
            assert shown.endswith("…") or whole.endswith(inner)


class TestNumbersSideBySide:
    """An old and a new number are shown with as many decimal places each; a whole number alone
    without its zeros, as everywhere."""

    def test_a_rate_written_with_cents(self) -> None:
        old = BASE.replace("= 60 EUR/h", "= 45.00 EUR/h")
        assert changes(old, old.replace("= 45.00 EUR/h", "= 45.50 EUR/h")) == {
            ("parameter", "geändert", "satz", "45.00 EUR/h", "45.50 EUR/h")}
        assert changes(BASE, BASE.replace("= 60 EUR/h", "= 60.5 EUR/h")) == {
            ("parameter", "geändert", "satz", "60.0 EUR/h", "60.5 EUR/h")}
        assert changes(old, old.replace("= 45.00 EUR/h", "= 46.00 EUR/h")) == {
            ("parameter", "geändert", "satz", "45 EUR/h", "46 EUR/h")}

    def test_table_rows_bounds_periods_and_defaults(self) -> None:
        assert ("tabellen", "geändert", "faktor[b]", "80.0 %", "82.5 %") in changes(
            BASE, BASE.replace("  b: 80 %\n", "  b: 82.5 %\n"))
        moved = BASE.replace("    0: ab 0 bis 0\n    1: über 0", "    0: ab 0 bis 0.5\n    1: über 0.5")
        assert changes(BASE, moved) == {
            ("korridore", "geändert", "lp Stufe 0, obere Grenze", "bis 0.0 min/Tag", "bis 0.5 min/Tag"),
            ("korridore", "geändert", "lp Stufe 1, untere Grenze", "über 0.0 min/Tag", "über 0.5 min/Tag")}
        new = BASE.replace('annahme "geschätzt"\n', 'annahme "geschätzt"\n  ab 01.01.2025 = 65.25 EUR/h\n')
        assert changes(BASE, new) == {("gültigkeit", "geändert", "satz (Werte je Zeitraum)",
                                       "60.00 EUR/h ab 01.01.2024",
                                       "60.00 EUR/h ab 01.01.2024, 65.25 EUR/h ab 01.01.2025")}
        optional = BASE.replace("eingabe stunden: zahl h/Jahr von 0 bis 100",
                                "eingabe stunden: zahl h/Jahr von 0 bis 100 standard 10 h/Jahr")
        assert changes(optional, optional.replace("standard 10 h/Jahr", "standard 12.5 h/Jahr")) == {
            ("eingaben", "geändert", "stunden", "Standard 10.0 h/Jahr", "Standard 12.5 h/Jahr")}

    @settings(max_examples=examples(40), deadline=None)
    @given(old=st.decimals(0, 200, places=2), new=st.decimals(0, 200, places=2), cut=st.booleans())
    def test_both_sides_have_as_many_places_and_read_back(self, old: Decimal, new: Decimal, cut: bool) -> None:
        def written(value: Decimal) -> str:
            return str(value.normalize()) if cut and value == value.to_integral_value() else str(value)

        before = BASE.replace("= 60 EUR/h", f"= {written(old)} EUR/h")
        found = [ch for ch in diff_models(checked(before), checked(before.replace(
            f"= {written(old)} EUR/h", f"= {written(new)} EUR/h"))).changes]
        if old == new:
            assert found == []
            return
        (change,) = found
        assert change.old is not None and change.new is not None
        shown_old, shown_new = change.old.removesuffix(" EUR/h"), change.new.removesuffix(" EUR/h")
        assert (Decimal(shown_old), Decimal(shown_new)) == (old, new)
        assert len(shown_old.partition(".")[2]) == len(shown_new.partition(".")[2])


    def test_a_large_number_beside_one_of_many_places_is_shown_whole(self) -> None:
        """Padding with zeros takes as many digits as it needs (beyond the 28 of a Decimal context)."""
        head = 'modell a "A"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
        large = head + 'parameter p: zahl = 100000000000000000000000 "P"\nwert w = p\n'
        ((_, _, _, old, new),) = changes(large, large.replace("100000000000000000000000", "1.1234567890123"))
        assert (old, new) == ("100000000000000000000000.0000000000000", "1.1234567890123")


class TestProperties:
    """``eigenschaft``: what the model's tests prove of every case is part of the model."""

    WITH = BASE + ('eigenschaft "Nie negativ": betrag >= 0 EUR/Jahr\n'
                   'eigenschaft "Mehr Stunden, nie weniger Geld": steigend betrag mit stunden\n')

    def test_a_monotonicity_turned_round_is_a_change(self) -> None:
        assert changes(self.WITH, self.WITH.replace("steigend betrag", "fallend betrag")) == {
            ("eigenschaften", "geändert", "eigenschaft „Mehr Stunden, nie weniger Geld“", "steigend betrag mit stunden",
             "fallend betrag mit stunden")}
        assert changes(self.WITH, self.WITH.replace("mit stunden", "mit minuten")) == {
            ("eigenschaften", "geändert", "eigenschaft „Mehr Stunden, nie weniger Geld“", "steigend betrag mit stunden",
             "steigend betrag mit minuten")}

    def test_a_condition_changed_added_or_removed(self) -> None:
        assert changes(self.WITH, self.WITH.replace(">= 0 EUR/Jahr", "> 0 EUR/Jahr")) == {
            ("eigenschaften", "geändert", "eigenschaft „Nie negativ“", "betrag >= 0 EUR/Jahr", "betrag > 0 EUR/Jahr")}
        assert changes(BASE, self.WITH) == {
            ("eigenschaften", "hinzugefügt", "eigenschaft „Nie negativ“", None, "betrag >= 0 EUR/Jahr"),
            ("eigenschaften", "hinzugefügt", "eigenschaft „Mehr Stunden, nie weniger Geld“", None,
             "steigend betrag mit stunden")}
        assert ("eigenschaften", "entfernt", "eigenschaft „Nie negativ“", "betrag >= 0 EUR/Jahr", None) in changes(
            self.WITH, BASE)

    def test_a_long_property_added_is_shown_cut(self) -> None:
        """An added or removed condition is a rule text too: the text report cuts one that is long."""
        from teilhabe_rules.tools.diff import WIDTH

        long = " und ".join(["betrag >= 0 EUR/Jahr"] * 12)
        added = BASE + f'eigenschaft "Lang": {long}\n'
        found = diff_models(checked(BASE), checked(added)).changes
        (change,) = [ch for ch in found if ch.section == "eigenschaften"]
        assert change.new is not None and len(change.new) > WIDTH  # whole in the JSON
        shown = change.shown()[1]
        assert shown is not None and shown.endswith("…") and len(shown) <= WIDTH + 1
        (gone,) = [ch for ch in diff_models(checked(added), checked(BASE)).changes if ch.section == "eigenschaften"]
        assert (gone.shown()[0] or "").endswith("…")

    def test_properties_reordered_or_reformatted_are_no_change(self) -> None:
        lines = self.WITH.splitlines(keepends=True)
        reordered = "".join(lines[:-2]) + lines[-1] + lines[-2].replace(">= 0 EUR/Jahr", ">=0.0 EUR/Jahr")
        assert diff_models(checked(self.WITH), checked(reordered)).empty


def test_descriptions_and_titles_are_listed_apart_from_the_figures() -> None:
    """A changed description or title is documentation, not a figure: it is listed in its own
    last section, and a model that only changes texts has no change in any other section."""
    new = (BASE.replace('"Stundensatz" annahme', '"Stundensatz der Assistenz" annahme')
           .replace('tabelle faktor "Faktor je Gruppe"', 'tabelle faktor "Faktor nach Gruppe"')
           .replace('aufzählung Gruppe "Gruppe"', 'aufzählung Gruppe "Gruppen"')
           .replace('"Minuten am Tag"', '"Minuten je Tag"')
           .replace('"Stunden im Jahr"\n', '"Jahresstunden"\n'))
    assert changes(BASE, new) == {
        ("beschreibungen", "geändert", "Parameter satz", "„Stundensatz“", "„Stundensatz der Assistenz“"),
        ("beschreibungen", "geändert", "Tabelle faktor", "„Faktor je Gruppe“", "„Faktor nach Gruppe“"),
        ("beschreibungen", "geändert", "Aufzählung Gruppe", "„Gruppe“", "„Gruppen“"),
        ("beschreibungen", "geändert", "Eingabe minuten", "„Minuten am Tag“", "„Minuten je Tag“"),
        ("beschreibungen", "geändert", "Wert jahresstunden", "„Stunden im Jahr“", "„Jahresstunden“"),
    }
    assert changes(BASE, BASE.replace('eingabe stunden: zahl h/Jahr von 0 bis 100',
                                      'eingabe stunden: zahl h/Jahr von 0 bis 100 "Stunden im Jahr"')) == {
        ("beschreibungen", "geändert", "Eingabe stunden", "—", "„Stunden im Jahr“")}
    report = diff_models(checked(BASE), checked(new)).render_text()
    assert report.endswith("\nBeschreibungen und Titel\n" + report.split("Beschreibungen und Titel\n", 1)[1])
    assert "5 Änderungen in 1 Abschnitt." in report


def test_a_parameter_s_description_or_source_alone_is_a_difference() -> None:
    """Adding ``quelle "LRV"`` to BEI_NRW 3.0's ``ua_satz``, or rewording its description, was
    „Keine inhaltlichen Unterschiede“."""
    text = teilhabe_rules.bundled("bei_nrw3").path.read_text(encoding="utf-8")
    line = '= 45.00 "Stundensatz Unterstützende Assistenz" annahme'
    assert line in text
    model = teilhabe_rules.loads(text, "bei_nrw3.rules").checked
    sourced = teilhabe_rules.loads(text.replace(line, line.replace(" annahme", ' quelle "LRV" annahme')),
                                   "quelle.rules").checked
    reworded = teilhabe_rules.loads(text.replace(line, line.replace("Assistenz", "Assistenz (UA)")),
                                    "text.rules").checked
    assert [(ch.section, ch.subject, ch.note, ch.new) for ch in diff_models(model, sourced).changes] == [
        ("parameter", "ua_satz", "Quelle", "„LRV“")]
    assert [(ch.section, ch.subject, ch.new) for ch in diff_models(model, reworded).changes] == [
        ("beschreibungen", "Parameter ua_satz", "„Stundensatz Unterstützende Assistenz (UA)“")]


def test_a_changed_formula_is_shown_without_the_comments_below_it() -> None:
    """The comment lines between a changed ``wert`` and the next statement were shown as part of
    its formula, old and new; a comment inside the formula's brackets and a text of several lines
    stay."""
    tail = ('wert t: text = """a\n# b"""\n# danach\n'
            'wert u: h/Jahr = (stunden\n  # innen\n  + stunden)\n# Ende\n')
    line = '+ stunden "Stunden im Jahr"\n'
    old = BASE.replace(line, line + "\n# Kommentar zur nächsten Regel\n\n  # noch einer\n") + tail
    (change,) = diff_models(checked(old), checked(old.replace(line, line.replace("stunden", "stunden * 2", 1)))).changes
    assert (change.section, change.old, change.new) == (
        "werte", 'wert jahresstunden: h/Jahr = lp.zeit als h/Jahr + stunden "Stunden im Jahr"',
        'wert jahresstunden: h/Jahr = lp.zeit als h/Jahr + stunden * 2 "Stunden im Jahr"')
    after = BASE.replace('"Betrag im Jahr"\n', '"Betrag im Jahr"\n  # zum Betrag\n')
    model = checked(after + tail)
    assert model.nodes["betrag"].source.endswith('"Betrag im Jahr"')
    assert model.nodes["t"].source == 'wert t: text = """a\n# b"""'
    assert model.nodes["u"].source == "wert u: h/Jahr = (stunden\n  # innen\n  + stunden)"


def test_a_changed_table_type_is_written_with_the_rule_file_s_arrow() -> None:
    """„→“ is old to new in the diff: a table's type between them takes the ``->`` of the rule file."""
    new = BASE.replace("Gruppe -> %\n  a: 100 %\n  b: 80 %", "Gruppe -> zahl\n  a: 1\n  b: 0.8")
    result = diff_models(checked(BASE), checked(new))
    (change,) = [ch for ch in result.changes if ch.note == "Typ"]
    assert (change.subject, change.old, change.new) == ("faktor", "Gruppe -> Zahl in %", "Gruppe -> Zahl")
    assert "faktor (Typ): Gruppe -> Zahl in % → Gruppe -> Zahl" in result.render_text()


def test_a_bound_of_one_day_is_in_the_singular() -> None:
    """A corridor bound and a parameter of one day say „1 Tag“, of two „2 Tage“."""
    model = ('modell m\n  version "1"\n  gültig ab 01.01.2025\nende\n'
             "parameter frist: Tage = {frist}\n"
             "eingabe tage: zahl Tage von 0 bis 100\n"
             'paket lp "LP"\n  stufen\n    0 "kein"\n    1 "eins"\n  ende\n'
             "  stufe nach korridor tage\n    0: ab 0 bis {bis}\n    1: über {bis}\n  ende\nende\n")
    assert changes(model.format(frist="1 Tage", bis="1"), model.format(frist="2 Tage", bis="2")) == {
        ("parameter", "geändert", "frist", "1 Tag", "2 Tage"),
        ("korridore", "geändert", "lp Stufe 0, obere Grenze", "bis 1 Tag", "bis 2 Tage"),
        ("korridore", "geändert", "lp Stufe 1, untere Grenze", "über 1 Tag", "über 2 Tage")}
