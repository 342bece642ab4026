"""Variants: a model that extends a base model, merged before checking."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

import teilhabe_rules
from teilhabe_rules import CaseError, CheckError, EvaluationError
from teilhabe_rules.inputs.cases import read_data
from teilhabe_rules.tools.testing import run_examples

ROOT = Path(__file__).resolve().parents[2]
MAWO = ROOT / "models" / "mawo.rules"

HEAD = """\
modell haus_2025 "Haus 2025"
  erweitert "mawo"
  version "2025-H"
  gültig ab 01.01.2025
ende
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with a copy of the MAWo model, the base of the variants written there."""
    shutil.copy(MAWO, tmp_path / "mawo.rules")
    return tmp_path


def write(folder: Path, body: str, name: str = "haus_2025.rules", head: str = HEAD) -> Path:
    path = folder / name
    path.write_text(head + body, encoding="utf-8")
    return path


def person(day: str = "2025-03-01", **changes: object) -> dict:
    data = read_data(ROOT / "examples/mawo/person_grundfall.toml")
    data["zeitraum_ab"] = day
    data["bewohner"][0].update(changes)
    return copy.deepcopy(data)


def errors(path: Path) -> list:
    with pytest.raises(CheckError) as caught:
        teilhabe_rules.load(path)
    return list(caught.value.errors)


class TestBundledVariant:
    """``models/mawo_2025.rules`` is MAWo with a new FLS rate and Pflegegrad-5 minutes."""

    def test_it_inherits_the_base_and_changes_two_values(self) -> None:
        base, variant = teilhabe_rules.bundled("mawo"), teilhabe_rules.bundled("mawo_2025")
        assert variant.checked.parameters["fls_satz"].default == Decimal("70.10")
        assert base.checked.parameters["fls_satz"].default == Decimal("68.95")
        assert variant.checked.tables["pflegeminuten"].mapping()[5] == Decimal(40)
        assert variant.checked.tables["pflegeminuten"].mapping()[4] == Decimal(32)
        def rules(model: teilhabe_rules.Model) -> set[str]:
            return {nid for nid, node in model.checked.nodes.items() if node.kind not in ("prüfung", "warnung")}

        def checks(model: teilhabe_rules.Model) -> set[str | None]:
            return {node.label for node in model.checked.nodes.values() if node.kind in ("prüfung", "warnung")}

        assert rules(variant) == rules(base) and checks(variant) == checks(base)
        assert variant.info.family == "MAWo" and variant.info.reference_date == ("zeitraum_ab",)
        assert variant.info.extends == "mawo" and variant.info.base_files[0].endswith("mawo.rules")

    def test_its_own_examples_pass_and_the_base_examples_are_not_inherited(self) -> None:
        outcomes = run_examples(teilhabe_rules.bundled("mawo_2025"))
        assert [o.id for o in outcomes if not o.passed] == []
        own = (ROOT / "models" / "mawo_2025.rules").read_text(encoding="utf-8").count('\nbeispiel "')
        assert len(outcomes) == own >= 5

    def test_the_same_case_costs_more_under_the_new_version(self) -> None:
        massnahmen = [{"bezeichnung": "Freizeit", "stunden": 10, "personen": 1}]
        old = teilhabe_rules.bundled("mawo").evaluate(person(massnahmen=massnahmen, pflegegrad=5))
        new = teilhabe_rules.bundled("mawo_2025").evaluate(person(massnahmen=massnahmen, pflegegrad=5))
        assert old.value("bewohner[1].ilb4.budget") == Decimal("689.50")
        assert new.value("bewohner[1].ilb4.budget") == Decimal("701.00")
        assert new.value("bewohner[1].lp2b.zeit") - old.value("bewohner[1].lp2b.zeit") == Decimal(4)

    def test_explanations_name_the_file_of_each_rule(self) -> None:
        result = teilhabe_rules.bundled("mawo_2025").evaluate(person(), explain=True)
        assert result.explain("bewohner[1].lp2a.stufe").rule.split(":")[0].endswith("mawo.rules")


class TestOverrides:
    """New values of parameters and rows of tables; every target must exist and fit."""

    def test_parameter_and_rows(self, folder: Path) -> None:
        path = write(folder, "parameter fls_satz = 80 EUR/h\ntabelle poolanteil\n  4: 35 %\n  2: 60 %\nende\n"
                             "parameter lp2a_grenze_1 = 9 min/Tag\n")
        model = teilhabe_rules.load(path)
        assert model.checked.tables["poolanteil"].mapping() == {
            Decimal(1): Decimal(1), Decimal(2): Decimal("0.60"),
            Decimal(3): Decimal("0.45"), Decimal(4): Decimal("0.35"),
        }
        result = model.evaluate(person(massnahmen=[{"bezeichnung": "x", "stunden": 10, "personen": 4}]))
        assert result.value("bewohner[1].ilb4.budget") == Decimal("280.00")  # 10 h × 35 % × 80 EUR/h
        # corridor bound moved through its parameter: 0 + 2 + 7 = 9 min/Tag is now level 1
        assert model.evaluate(person(lp2a={"kap4": 0, "kap5": 2, "kap6": 7})).value("bewohner[1].lp2a.stufe") == 1
        assert teilhabe_rules.load(folder / "mawo.rules").evaluate(
            person("2024-03-01", lp2a={"kap4": 0, "kap5": 2, "kap6": 7})).value("bewohner[1].lp2a.stufe") == 2

    def test_the_override_keeps_the_declaration_and_takes_its_own_notes(self, folder: Path) -> None:
        model = teilhabe_rules.load(write(folder, 'parameter njaz = 1600 h/VK/Jahr annahme "neu verhandelt"\n'))
        spec = model.checked.parameters["njaz"]
        assert spec.default == Decimal(1600) and spec.assumptions == ("neu verhandelt",)
        assert spec.doc is not None and spec.doc.startswith("Netto-Jahresarbeitszeit")
        assert spec.type.low == Decimal(1200)

    def test_a_parameter_override_may_have_values_per_period(self, folder: Path) -> None:
        model = teilhabe_rules.load(write(folder, "parameter fls_satz = 70 EUR/h\n  ab 01.07.2025 = 72 EUR/h\n"))
        cases = [{"bezeichnung": "x", "stunden": 10}]
        budget = "bewohner[1].ilb4.budget"
        assert model.evaluate(person("2025-03-01", massnahmen=cases)).value(budget) == Decimal("700.00")
        assert model.evaluate(person("2025-08-01", massnahmen=cases)).value(budget) == Decimal("720.00")

    def test_an_unknown_override_and_the_variant_s_other_errors_are_reported_together(self, folder: Path) -> None:
        """A model author fixes them in one go: the merge's errors and those of checking the rest."""
        body = "parameter fls_sats = 72 EUR/h\nparameter lp3b_grenze_1 = 12 min\ntabelle poolanteil\n  4: 35\nende\n"
        found = [(d.location.line if d.location else 0, d.message) for d in errors(write(folder, body))]
        assert [line for line, _ in found] == [6, 7, 9], found
        assert "keinen Parameter „fls_sats“" in found[0][1] and "„lp3b_grenze_1“ hat die Einheit „min“" in found[1][1]
        assert "ohne Einheit steht für einen Prozentwert" in found[2][1]

    @pytest.mark.parametrize(
        ("body", "words", "where", "hint"),
        [
            ("parameter fls_sats = 70 EUR/h\n",
             "Das Basismodell „mawo“ hat keinen Parameter „fls_sats“",
             (6, 11), "meinten Sie „fls_satz“?"),
            ("tabelle pflegeminutn\n  5: 40 min/Tag\nende\n",
             "Das Basismodell „mawo“ hat keine Tabelle „pflegeminutn“",
             (6, 9), "meinten Sie „pflegeminuten“?"),
            ("parameter bewohner.lp2a.kap4 = 3\n",
             "„bewohner.lp2a.kap4“ ist im Basismodell eine Eingabe, kein Parameter",
             (6, 11), None),
            ("parameter pflegeminuten = 3\n",
             "„pflegeminuten“ ist im Basismodell eine Tabelle, kein Parameter",
             (6, 11), None),
            ("wert fls_satz = 3 EUR/h\n",
             "„fls_satz“ ist im Basismodell ein Parameter und lässt sich nicht durch einen Wert ersetzen",
             (6, 1), "parameter fls_satz = WERT"),
            ("parameter fls_satz: EUR/Tag = 3 EUR/Tag\n",
             "„fls_satz“ ändert den Typ: im Basismodell Zahl in EUR/h, hier Zahl in EUR/Tag",
             (6, 21), "mawo.rules:"),
        ],
        ids=["parameter-unbekannt", "tabelle-unbekannt", "eingabe-statt-parameter", "tabelle-statt-parameter", "art",
             "einheit-der-ersetzung"],
    )
    def test_bad_targets_are_reported_in_the_variant(self, folder: Path, body: str, words: str, where: tuple[int, int],
                                                     hint: str | None) -> None:
        path = write(folder, body)
        found = errors(path)
        diagnostic = next((d for d in found if words in d.message), None)
        assert diagnostic is not None, [d.message for d in found]
        assert diagnostic.location is not None
        assert (diagnostic.location.file, diagnostic.location.line, diagnostic.location.column) == (str(path), *where)
        assert diagnostic.source_line == body.splitlines()[0]
        if hint is not None:
            assert hint in (diagnostic.hint or "")

    @pytest.mark.parametrize(
        ("body", "words", "column"),
        [
            ("parameter fls_satz = 70 EUR/Tag\n",
             "Der Wert von „fls_satz“ hat die Einheit „EUR/Tag“, erwartet ist EUR/h", 22),
            ("parameter fls_satz = 700\n", "Der Wert von „fls_satz“ (700) liegt außerhalb von 0 bis 500 EUR/h", 22),
            ("tabelle pflegeminuten\n  6: 40 min/Tag\nende\n", "„6“ gehört nicht zu Pflegegrad", 3),
            ("tabelle pflegeminuten\n  5: 1500 min/Tag\nende\n",
             "Der Tabellenwert der Zeile 5 (1500) liegt außerhalb von 0 bis 1440 min/Tag", 6),
        ],
        ids=["einheit", "bereich", "zeilenschluessel", "tabellenwert"],
    )
    def test_values_are_checked_like_the_base(self, folder: Path, body: str, words: str, column: int) -> None:
        path = write(folder, body)
        diagnostic = next(d for d in errors(path) if words in d.message)
        assert diagnostic.location is not None and diagnostic.location.file == str(path)
        assert diagnostic.location.column == column

    def test_an_override_without_a_base_is_an_error(self, tmp_path: Path) -> None:
        path = tmp_path / "ohne.rules"
        path.write_text('modell ohne "Ohne"\n  gültig ab 01.01.2024\nende\nparameter satz = 5\n', encoding="utf-8")
        (diagnostic,) = errors(path)
        assert diagnostic.message == (
            "„satz“ ohne Typ setzt einen neuen Wert eines Parameters eines Basismodells; dieses Modell erweitert keines"
        )
        assert "parameter NAME: TYP = WERT" in (diagnostic.hint or "")
        assert diagnostic.location is not None and diagnostic.location.line == 4


class TestReplacements:
    """Whole declarations with a base name replace it; new names are added."""

    LP3B = """\
liste bewohner
  paket lp3b "LP 3b – Arzt- und Therapiebesuche (neu: drei Stufen)"
    stufen
      0 "kein Bedarf"
      1 "bis 25 h"
      2 "über 25 h"
    ende
    eingabe stunden: zahl h/Jahr von 0 bis 50 "Stunden im Jahr"
    stufe nach korridor stunden
      0: ab 0 bis 0
      1: über 0 bis 25
      2: über 25
    ende
    wert zeit: h/Jahr = stunden
    wert vk: VK = zeit / njaz
    wert vk_fachkraft: VK = vk
    wert vk_assistenz: VK = 0 VK
    wert kosten_jahr: EUR/Jahr = vk * pk_fachkraft
    wert eur_tag: EUR/Tag = kosten_jahr als EUR/Tag
  ende
ende
"""

    def test_a_package_in_a_list_is_replaced(self, folder: Path) -> None:
        model = teilhabe_rules.load(write(folder, self.LP3B))
        package = model.checked.packages["bewohner.lp3b"]
        assert [lv.number for lv in package.levels] == [0, 1, 2]
        result = model.evaluate(person(lp3b={"stunden": 30}))
        assert result.value("bewohner[1].lp3b.stufe") == 2
        assert result.value("bewohner[1].lp3b.zeit") == Decimal(30)

    def test_an_error_caused_in_the_base_points_into_the_base_file(self, folder: Path) -> None:
        broken = self.LP3B.replace("    wert vk_assistenz: VK = 0 VK\n", "")
        found = errors(write(folder, broken))
        in_base = [d for d in found if d.location is not None and d.location.file == str(folder / "mawo.rules")]
        assert in_base, [d.render() for d in found]
        diagnostic = in_base[0]
        assert "vk_assistenz" in diagnostic.message
        lines = (folder / "mawo.rules").read_text(encoding="utf-8").splitlines()
        assert diagnostic.source_line == lines[diagnostic.location.line - 1]

    def test_a_new_name_close_to_a_base_name_is_a_warning(self, folder: Path) -> None:
        model = teilhabe_rules.load(write(folder, 'parameter fls_saetze: EUR/h = 70 "neu"\n'))
        warning = next(w for w in model.warnings if "fls_saetze" in w.message)
        assert warning.message == "Parameter „fls_saetze“ ist neu; das Basismodell hat „fls_satz“"
        assert not warning.is_error

    def test_a_check_of_the_base_fails_with_the_base_file_as_location(self, folder: Path) -> None:
        model = teilhabe_rules.load(write(folder, ""))
        data = person()
        data["plaetze"] = 1
        data["bewohner"].append(copy.deepcopy(data["bewohner"][0]))
        with pytest.raises(CaseError) as caught:
            model.evaluate(data)
        diagnostic = next(d for d in caught.value.diagnostics if "als Plätze" in d.message)
        assert diagnostic.location is not None and diagnostic.location.file == str(folder / "mawo.rules")
        assert diagnostic.source_line is not None and diagnostic.source_line.startswith("prüfung")

    @pytest.mark.parametrize(("body", "name", "what"), [
        ('wert regie_kosten_jahr: EUR/Jahr = 1 EUR/Jahr\nwert regie_kosten_jahr: EUR/Jahr = 2 EUR/Jahr\n',
         "regie_kosten_jahr", "definiert"),  # a replacement of a base declaration
        ("wert neu: h = 1 h\nwert neu: h = 2 h\n", "neu", "definiert"),  # a new one
        ("vorlage v\n  plaetze = 1\nende\nvorlage v\n  plaetze = 2\nende\n", "v", "definiert"),
        ("parameter fls_satz = 70 EUR/h\nparameter fls_satz = 71 EUR/h\n", "fls_satz", "überschrieben"),
    ])
    def test_a_name_written_twice_in_the_variant_is_an_error(self, folder: Path, body: str, name: str,
                                                              what: str) -> None:
        """The second of two would silently win over the first."""
        (error,) = errors(write(folder, body))
        lines = (HEAD + body).splitlines()
        first = next(n for n, line in enumerate(lines, 1) if line.split(":")[0].split(" =")[0].endswith(f" {name}"))
        assert error.message == f"„{name}“ ist in der Variante doppelt {what}"
        assert error.location is not None and error.location.line > first
        assert error.hint == f"zuerst in Zeile {first}; eine Variante ersetzt oder ergänzt jede Deklaration einmal"

    @pytest.mark.parametrize("body", [
        "tabelle lp1a_zeit\n  1: 10 min/Tag\nende\ntabelle lp1a_zeit\n  1: 20 min/Tag\nende\n",
        "tabelle lp1a_zeit\n  1: 10 min/Tag\n  1: 20 min/Tag\nende\n",
    ])
    def test_a_table_row_overridden_twice_is_an_error(self, folder: Path, body: str) -> None:
        (error,) = errors(write(folder, body))
        lines = (HEAD + body).splitlines()
        first = lines.index("  1: 10 min/Tag") + 1
        assert error.message == "Die Zeile 1 von „lp1a_zeit“ ist in der Variante doppelt überschrieben"
        assert error.location is not None and error.location.line == lines.index("  1: 20 min/Tag") + 1
        assert error.hint == f"zuerst in Zeile {first}; die spätere ersetzte die frühere"

    def test_two_blocks_of_a_list_or_of_other_rows_of_a_table_are_merged(self, folder: Path) -> None:
        body = ("tabelle lp1a_zeit\n  1: 10 min/Tag\nende\ntabelle lp1a_zeit\n  2: 20 min/Tag\nende\n"
                "liste bewohner\n  eingabe notiz_a: text standard \"\" \"A\"\nende\n"
                "liste bewohner\n  eingabe notiz_b: text standard \"\" \"B\"\nende\n")
        model = teilhabe_rules.load(write(folder, body))
        rows = dict(model.tables["lp1a_zeit"])
        assert (rows[1], rows[2]) == (Decimal(10), Decimal(20))
        inputs = {spec.key for spec in model.checked.scopes["bewohner"].inputs}
        assert {"notiz_a", "notiz_b"} <= inputs

    def test_header_lines_are_inherited_but_not_the_version(self, folder: Path) -> None:
        model = teilhabe_rules.load(write(folder, "", head='modell ohne_version "X"\n  erweitert "mawo"\nende\n'))
        assert model.info.version is None
        assert model.info.valid_from == dt.date(2024, 1, 1) and model.info.budget == ("budget_jahr",)
        assert model.info.title == "X"


class TestBaseResolution:
    """The base is found next to the variant, else among the bundled models."""

    def test_a_missing_base(self, tmp_path: Path) -> None:
        path = write(tmp_path, "", head=HEAD.replace('"mawo"', '"mawoo"'))
        (diagnostic,) = errors(path)
        assert diagnostic.message == "Das Basismodell „mawoo“ wurde nicht gefunden"
        assert diagnostic.hint == "meinten Sie „mawo“?"
        assert diagnostic.location is not None and (diagnostic.location.line, diagnostic.location.column) == (2, 13)

    def test_an_empty_base_name_is_told_what_to_write(self, tmp_path: Path) -> None:
        path = write(tmp_path, "", head=HEAD.replace('"mawo"', '""'))
        (diagnostic,) = errors(path)
        assert diagnostic.message == "Das Basismodell „“ wurde nicht gefunden"
        assert diagnostic.hint is not None and diagnostic.hint.startswith("„erweitert“ nennt das Basismodell, etwa")
        assert "gesucht:" not in diagnostic.hint

    def test_a_bundled_base(self, tmp_path: Path) -> None:
        model = teilhabe_rules.load(write(tmp_path, "parameter fls_satz = 75 EUR/h\n"))
        assert Path(model.info.base_files[0]).name == "mawo.rules"
        assert model.checked.parameters["fls_satz"].default == Decimal(75)

    def test_a_cycle(self, tmp_path: Path) -> None:
        write(tmp_path, "", name="a.rules", head='modell a "A"\n  erweitert "b"\n  gültig ab 01.01.2024\nende\n')
        b = write(tmp_path, "", name="b.rules", head='modell b "B"\n  erweitert "a"\n  gültig ab 01.01.2024\nende\n')
        (diagnostic,) = errors(b)
        assert diagnostic.message == "Die Varianten erweitern sich im Kreis: b.rules → a.rules → b.rules"
        assert diagnostic.location is not None and (diagnostic.location.line, diagnostic.location.column) == (2, 13)
        assert "erweitert" in (diagnostic.hint or "")

    def test_a_file_extending_its_own_name_is_told_why(self, tmp_path: Path) -> None:
        """A local mawo.rules with „erweitert "mawo"“ (meant: the bundled one) finds itself first."""
        own = write(tmp_path, "", name="mawo.rules",
                    head='modell mawo "M"\n  erweitert "mawo"\n  gültig ab 01.01.2024\nende\n')
        (diagnostic,) = errors(own)
        assert diagnostic.message == "Die Varianten erweitern sich im Kreis: mawo.rules → mawo.rules"
        assert diagnostic.location is not None and diagnostic.location.line == 2
        assert "mitgelieferten Modellen" in (diagnostic.hint or "")

    def test_a_variant_of_a_variant(self, folder: Path) -> None:
        write(folder, "parameter fls_satz = 75 EUR/h\n")
        second = write(folder, "tabelle pflegeminuten\n  5: 45 min/Tag\nende\n", name="haus_2026.rules",
                       head='modell haus_2026 "Haus 2026"\n  erweitert "haus_2025"\n  gültig ab 01.01.2026\nende\n')
        model = teilhabe_rules.load(second)
        assert model.checked.parameters["fls_satz"].default == Decimal(75)
        assert model.checked.tables["pflegeminuten"].mapping()[5] == Decimal(45)
        assert [Path(f).name for f in model.info.base_files] == ["haus_2025.rules", "mawo.rules"]

    def test_loads_finds_a_bundled_base(self) -> None:
        model = teilhabe_rules.loads(HEAD + "parameter fls_satz = 71 EUR/h\n", "text.rules")
        assert model.checked.parameters["fls_satz"].default == Decimal(71)


def test_an_agreement_for_the_base_fits_the_variant() -> None:
    """An agreement written for mawo applies to mawo_2025; one for another model does not."""
    variant = teilhabe_rules.bundled("mawo_2025")
    agreed = variant.load_agreement(ROOT / "examples/mawo/vereinbarung_haus_linde.toml")
    assert agreed.parameters["njaz"] == Decimal(1620) != variant.checked.parameters["njaz"].default
    with pytest.raises(teilhabe_rules.AgreementError, match="gilt für das Modell „bei_nrw3“, nicht für „mawo_2025“"):
        variant.load_agreement({"vereinbarung": {"modell": "bei_nrw3"}})


def test_evaluation_errors_of_a_base_rule_name_the_base_file(folder: Path) -> None:
    """A table without a row for a key, looked up in a rule of the base, points at that rule."""
    model = teilhabe_rules.load(write(folder, ""))
    with pytest.raises(EvaluationError) as caught:
        model.evaluate(person(massnahmen=[{"bezeichnung": "x", "stunden": 10, "personen": 5}]))
    diagnostic = caught.value.diagnostics[-1]
    assert diagnostic.location is not None and diagnostic.location.file == str(folder / "mawo.rules")
    assert "poolanteil" in (diagnostic.source_line or "")


def _spans(node: object) -> list[object]:
    """Every span inside an AST node."""
    import attrs

    from teilhabe_rules.syntax import ast

    if isinstance(node, ast.Span):
        return [node]
    if isinstance(node, tuple):
        return [span for item in node for span in _spans(item)]
    if attrs.has(type(node)):
        return [span for field in attrs.fields(type(node)) for span in _spans(getattr(node, field.name))]
    return []


def test_inherited_declarations_name_the_base_file_in_every_span(tmp_path: Path) -> None:
    """Spans of what a variant takes from its base (through a middle variant, too) name the
    file they were written in; the variant's own spans name none (the module's own file)."""
    from teilhabe_rules.check.variants import load_variant

    shutil.copy(MAWO, tmp_path / "mawo.rules")
    (tmp_path / "mitte.rules").write_text(HEAD + "parameter fls_satz = 70.10 EUR/h\n", encoding="utf-8")
    text = HEAD.replace("\"mawo\"", "\"mitte\"") + 'wert neu: EUR/h = fls_satz * 2 "neu"\n'
    module, _ = load_variant(text, str(tmp_path / "aussen.rules"))
    by_name = {getattr(item, "name", None): item for item in module.items}
    for inherited in ("bewohner", "schluessel_leitung", "poolanteil"):
        assert {span.file for span in _spans(by_name[inherited])} == {str(tmp_path / "mawo.rules")}
    assert {span.file for span in _spans(by_name["fls_satz"].value)} == {str(tmp_path / "mitte.rules")}
    assert {span.file for span in _spans(by_name["neu"])} == {None}
    assert module.header.span.file is None


RATE_BASE = """\
modell satz_basis "Satz"
  version "1"
  gültig ab 01.01.2024
ende

eingabe stunden: zahl h von 0 bis 1000
parameter satz: zahl EUR/h von 0 bis 200 = 68.95 EUR/h "Satz" quelle "Vereinbarung 2024"
  ab 01.01.2025 = 70.10 EUR/h quelle "Vereinbarung 2025"
  ab 01.01.2026 = 71.50 EUR/h bis 30.06.2026 annahme "offen"
paket p "P"
  parameter zuschlag: zahl % von 0 % bis 50 % = 10 % "Zuschlag"
    ab 01.07.2025 = 12 %
ende
wert betrag: EUR = stunden * satz * (100 % + p.zuschlag)
"""


def rate_variant(folder: Path, head: str, body: str = "", name: str = "neu.rules",
                 base: str = "satz_basis") -> Path:
    (folder / "satz_basis.rules").write_text(RATE_BASE, encoding="utf-8")
    head = f'modell {Path(name).stem} "Neu"\n  erweitert "{base}"\n  version "2"\n{head}ende\n'
    return write(folder, body, name, head)


class TestValuesPerPeriodOfTheBase:
    """A variant valid from a later day, or up to an earlier one, than its base takes the base's
    values per period that fall in its own validity: a new tariff version need not repeat them."""

    def test_a_later_start_takes_the_value_in_force_on_its_first_day(self, tmp_path: Path) -> None:
        model = teilhabe_rules.load(rate_variant(tmp_path, "  gültig ab 01.07.2025\n"))
        assert model.parameters_on(dt.date(2025, 7, 1))["satz"] == Decimal("70.10")
        assert model.parameters_on(dt.date(2025, 7, 1))["p.zuschlag"] == Decimal("0.12")
        assert model.parameters_on(dt.date(2026, 1, 1))["satz"] == Decimal("71.50")
        spec = model.checked.parameters["satz"]
        assert spec.default == Decimal("70.10") and spec.sources == ("Vereinbarung 2025",)
        assert [p.valid_from for p in spec.periods] == [dt.date(2026, 1, 1)]
        with pytest.raises(teilhabe_rules.ValidityError, match="hat am 01.07.2026 keinen Wert"):
            model.parameters_on(dt.date(2026, 7, 1))

    def test_a_variant_of_a_variant_starting_later_still(self, tmp_path: Path) -> None:
        rate_variant(tmp_path, "  gültig ab 01.01.2025\n", "parameter satz = 70 EUR/h\n  ab 01.07.2025 = 72 EUR/h\n",
                     name="mitte.rules")
        model = teilhabe_rules.load(rate_variant(tmp_path, "  gültig ab 01.01.2026\n", base="mitte"))
        assert model.parameters_on(dt.date(2026, 3, 1))["satz"] == Decimal(72)
        assert model.checked.parameters["satz"].periods == ()

    def test_an_earlier_end_leaves_the_later_values_out(self, tmp_path: Path) -> None:
        model = teilhabe_rules.load(rate_variant(tmp_path, "  gültig bis 31.12.2025\n"))
        assert [p.valid_from for p in model.checked.parameters["satz"].periods] == [dt.date(2025, 1, 1)]
        assert model.parameters_on(dt.date(2025, 12, 31))["satz"] == Decimal("70.10")

    def test_a_start_after_the_last_value_ended_is_an_error_at_the_variant_s_start(self, tmp_path: Path) -> None:
        path = rate_variant(tmp_path, "  gültig ab 01.01.2027\n")
        (diagnostic,) = errors(path)
        assert diagnostic.message == (
            "„satz“ hat am 01.01.2027, dem Beginn der Gültigkeit der Variante, keinen Wert: sein letzter Wert "
            f"im Basismodell „satz_basis“ endet am 30.06.2026 ({tmp_path / 'satz_basis.rules'}:9)")
        assert diagnostic.location is not None and diagnostic.location.file == str(path)
        assert (diagnostic.location.line, diagnostic.location.column) == (4, 3)
        assert diagnostic.hint == "gib ihn in der Variante an: parameter satz = WERT"
        model = teilhabe_rules.load(rate_variant(tmp_path, "  gültig ab 01.01.2027\n", "parameter satz = 75 EUR/h\n"))
        assert model.parameters_on(dt.date(2027, 1, 1))["satz"] == Decimal(75)

    def test_a_value_the_base_itself_misplaces_is_still_reported_in_the_base(self, tmp_path: Path) -> None:
        wrong = RATE_BASE.replace("satz_basis", "falsch").replace("ab 01.01.2025 = 70.10", "ab 01.01.2023 = 70.10")
        (tmp_path / "falsch.rules").write_text(wrong, encoding="utf-8")
        head = 'modell neu "Neu"\n  erweitert "falsch"\n  gültig ab 01.07.2025\nende\n'
        path = write(tmp_path, "", "neu.rules", head)
        (diagnostic,) = errors(path)
        assert diagnostic.message.startswith("„ab 01.01.2023“ von „satz“ liegt nicht nach dem Beginn")
        assert diagnostic.location is not None and diagnostic.location.file == str(tmp_path / "falsch.rules")


def test_a_replaced_package_lacking_what_a_base_rule_reads_is_told_so(tmp_path: Path) -> None:
    """The base's rule is not the variant author's to change: the hint names the package the
    variant declares anew, not a did-you-mean for the base's rule."""
    (tmp_path / "basis.rules").write_text(
        'modell basis "B"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
        'eingabe h: zahl h von 0 bis 10\npaket p "P"\n  wert vk: h = h\n  wert vk_fach: h = h\nende\n'
        "wert summe: h = p.vk + p.vk_fach\n", encoding="utf-8")
    path = write(tmp_path, 'paket p "P neu"\n  wert vk: h = h * 2\nende\n', name="neu.rules",
                 head='modell neu "N"\n  erweitert "basis"\n  gültig ab 01.01.2025\nende\n')
    (diagnostic,) = errors(path)
    assert diagnostic.message == "Das Paket „p“ hat kein „vk_fach“"
    assert diagnostic.location is not None and diagnostic.location.file == str(tmp_path / "basis.rules")
    assert diagnostic.hint == (f"das Paket „p“ ist in {path}:5 neu deklariert und ersetzt das des Basismodells, "
                               "dessen Regeln „p.vk_fach“ lesen: deklariere „vk_fach“ auch im neuen Paket")


TEMPLATE_BASE = """\
modell basis "Basis"
  version "1"
  gültig ab 01.01.2024
ende

eingabe stunden: zahl h von 0 bis 100
parameter satz: EUR/h = 60 "Satz"
wert betrag: EUR = runde(stunden * satz, 2, kaufmännisch)
liste bewohner "Bewohner"
  paket lp "Paket"
    eingabe minuten: zahl min/Tag von 0 bis 100
    wert summe: min/Tag = minuten
  ende
ende

vorlage grundfall
  stunden = 10
  bewohner = [{lp = {minuten = 10}}, {lp = {minuten = 20}}]
ende
"""


class TestInheritedTemplates:
    """A required input a variant declares that a template of its base does not give is found
    by the checker where an example builds on that template, not only when the example runs."""

    HEAD = 'modell variante "Variante"\n  erweitert "basis"\n  version "2"\n  gültig ab 01.01.2025\nende\n'

    def variant(self, folder: Path, body: str) -> Path:
        (folder / "basis.rules").write_text(TEMPLATE_BASE, encoding="utf-8")
        return write(folder, body, "variante.rules", self.HEAD)

    def test_a_new_required_input_is_reported_at_its_line_naming_the_template(self, tmp_path: Path) -> None:
        path = self.variant(tmp_path, "eingabe zuschlag: zahl EUR von 0 bis 100\n"
                                      'beispiel "zehn"\n  basis grundfall\n  erwartet betrag = 600.00 EUR\nende\n'
                                      'beispiel "auch"\n  basis grundfall\n  erwartet betrag = 600.00 EUR\nende\n')
        (diagnostic,) = errors(path)
        assert diagnostic.message == (f"Die Pflichtangabe „zuschlag“ fehlt in der Vorlage „grundfall“ des Basismodells "
                                      f"({tmp_path / 'basis.rules'}:16): die Beispiele „zehn“, „auch“ würden abgelehnt")
        assert diagnostic.location is not None
        assert (diagnostic.location.file, diagnostic.location.line, diagnostic.location.column) == (str(path), 6, 1)
        assert diagnostic.hint == ("gib „zuschlag“ im Beispiel an (eingabe zuschlag = WERT), ersetze die Vorlage in "
                                   "der Variante (vorlage grundfall … ende, mit „zuschlag“) oder gib der Eingabe einen "
                                   "Standardwert (standard WERT)")

    def test_an_example_left_out_in_several_elements_is_named_once(self, tmp_path: Path) -> None:
        path = self.variant(tmp_path, 'liste bewohner\n  eingabe pflege: zahl min/Tag von 0 bis 100\nende\n'
                                      'beispiel "zehn"\n  basis grundfall\n  erwartet betrag = 600.00 EUR\nende\n')
        (diagnostic,) = errors(path)
        assert diagnostic.message == ("Die Pflichtangaben „bewohner[1].pflege“ und „bewohner[2].pflege“ fehlen in der "
                                      f"Vorlage „grundfall“ des Basismodells ({tmp_path / 'basis.rules'}:16): "
                                      "das Beispiel „zehn“ würde abgelehnt")
        assert diagnostic.hint == ("gib sie im Beispiel an (eingabe bewohner[1].pflege = WERT, …), ersetze die Vorlage "
                                   "in der Variante (vorlage grundfall … ende, mit „bewohner[1].pflege“ und "
                                   "„bewohner[2].pflege“) oder gib der Eingabe einen Standardwert (standard WERT)")

    def test_the_elements_every_example_leaves_out_are_named_in_order_and_many_counted(self, tmp_path: Path) -> None:
        """Each element that lacks the input in some example built on the template, in the
        template's order; beyond four the first three and how many more."""
        body = ('liste bewohner\n  eingabe pflege: zahl min/Tag von 0 bis 100\nende\n'
                'beispiel "a"\n  basis grundfall\n  eingabe bewohner[1].pflege = 1\n'
                '  erwartet betrag = 600.00 EUR\nende\n'
                'beispiel "b"\n  basis grundfall\n  eingabe bewohner[2].pflege = 1\n'
                '  erwartet betrag = 600.00 EUR\nende\n')
        (diagnostic,) = errors(self.variant(tmp_path, body))
        assert diagnostic.message.startswith("Die Pflichtangaben „bewohner[1].pflege“ und „bewohner[2].pflege“ fehlen")
        assert diagnostic.message.endswith(": die Beispiele „a“, „b“ würden abgelehnt")
        six = "[" + ", ".join(f"{{lp = {{minuten = {n}}}}}" for n in range(6)) + "]"
        (tmp_path / "basis.rules").write_text(TEMPLATE_BASE.replace(
            "[{lp = {minuten = 10}}, {lp = {minuten = 20}}]", six), encoding="utf-8")
        (diagnostic,) = errors(tmp_path / "variante.rules")
        assert diagnostic.message.startswith("Die Pflichtangaben „bewohner[1].pflege“, „bewohner[2].pflege“, "
                                             "„bewohner[3].pflege“ und 3 weitere fehlen in der Vorlage „grundfall“")

    def test_a_list_the_example_gives_itself_is_the_example_s(self, tmp_path: Path) -> None:
        """An example that gives the list itself leaves the input out, not the template: told at
        the example."""
        path = self.variant(tmp_path, 'liste bewohner\n  eingabe pflege: zahl min/Tag von 0 bis 100\nende\n'
                                      'beispiel "eigene"\n  basis grundfall\n'
                                      '  eingabe bewohner = [{lp = {minuten = 1}, pflege = 2}, {lp = {minuten = 2}}]\n'
                                      '  erwartet betrag = 600.00 EUR\nende\n')
        (diagnostic,) = errors(path)
        assert diagnostic.message == ("Im Beispiel „eigene“ fehlt die Pflichtangabe „bewohner[2].pflege“: der Fall "
                                      "würde abgelehnt")

    def test_an_input_of_a_replaced_package_in_a_list(self, tmp_path: Path) -> None:
        path = self.variant(tmp_path, 'liste bewohner\n  paket lp "Paket neu"\n'
                                      "    eingabe minuten: zahl min/Tag von 0 bis 100\n"
                                      "    eingabe pflege: zahl min/Tag von 0 bis 100\n"
                                      "    wert summe: min/Tag = minuten + pflege\n  ende\nende\n"
                                      'beispiel "zehn"\n  basis grundfall\n  eingabe bewohner[2].lp.pflege = 5\n'
                                      "  erwartet bewohner[2].lp.summe = 25 min/Tag\nende\n")
        (diagnostic,) = errors(path)
        assert diagnostic.message.startswith(
            "Die Pflichtangabe „bewohner[1].lp.pflege“ fehlt in der Vorlage „grundfall“")
        assert diagnostic.message.endswith(": das Beispiel „zehn“ würde abgelehnt")
        assert diagnostic.location is not None
        assert (diagnostic.location.file, diagnostic.location.line, diagnostic.location.column) == (str(path), 9, 5)

    @pytest.mark.parametrize("body", [
        # the example gives it
        'eingabe zuschlag: zahl EUR von 0 bis 100\nbeispiel "zehn"\n  basis grundfall\n  eingabe zuschlag = 5\n'
        "  erwartet betrag = 600.00 EUR\nende\n",
        # it has a default
        'eingabe zuschlag: zahl EUR von 0 bis 100 standard 0\nbeispiel "zehn"\n  basis grundfall\n'
        "  erwartet betrag = 600.00 EUR\nende\n",
        # the example expects the case to be refused
        'eingabe zuschlag: zahl EUR von 0 bis 100\nbeispiel "ohne"\n  basis grundfall\n'
        '  erwartet fehler "fehlt"\nende\n',
        # the variant replaces the template
        'eingabe zuschlag: zahl EUR von 0 bis 100\nvorlage grundfall\n  stunden = 10\n  zuschlag = 5\n'
        '  bewohner = [{lp = {minuten = 10}}]\nende\nbeispiel "zehn"\n  basis grundfall\n'
        "  erwartet betrag = 600.00 EUR\nende\n",
    ])
    def test_what_runs_is_not_reported(self, tmp_path: Path, body: str) -> None:
        model = teilhabe_rules.load(self.variant(tmp_path, body))
        assert [o.id for o in run_examples(model) if not o.passed] == []

    def test_through_a_middle_variant_at_the_middle_s_line(self, tmp_path: Path) -> None:
        self.variant(tmp_path, "eingabe zuschlag: zahl EUR von 0 bis 100\n")
        path = write(tmp_path, 'beispiel "zehn"\n  basis grundfall\n  erwartet betrag = 600.00 EUR\nende\n',
                     "aussen.rules", self.HEAD.replace('variante "Variante"', 'aussen "A"').replace('"basis"',
                                                                                                    '"variante"'))
        (diagnostic,) = errors(path)
        assert diagnostic.message.startswith("Die Pflichtangabe „zuschlag“ fehlt in der Vorlage „grundfall“")
        assert diagnostic.location is not None
        assert (diagnostic.location.file, diagnostic.location.line) == (str(tmp_path / "variante.rules"), 6)


PACKAGE_BASE = """\
modell basis "Basis"
  version "1"
  gültig ab 01.01.2024
ende

eingabe stunden: zahl h von 0 bis 100
paket p "Paket"
  parameter satz: EUR/h = 60 "Satz"
  wert betrag: EUR = stunden * satz
ende
"""

NEW_PACKAGE = 'paket p "Paket neu"\n  parameter tarif: EUR/h = 65 "Tarif"\n  wert betrag: EUR = stunden * tarif\nende\n'


class TestOverridesIntoAReplacedPackage:
    """An override of a parameter in a package the variant replaces targets the variant's package,
    wherever in the file the override stands: its did-you-mean names what is in force there."""

    HEAD = 'modell variante "Variante"\n  erweitert "basis"\n  version "2"\n  gültig ab 01.01.2025\nende\n'

    def variant(self, folder: Path, body: str) -> Path:
        (folder / "basis.rules").write_text(PACKAGE_BASE, encoding="utf-8")
        return write(folder, body, "variante.rules", self.HEAD)

    @pytest.mark.parametrize("before", [True, False])
    def test_a_misspelt_name_is_told_the_variant_s_name(self, tmp_path: Path, before: bool) -> None:
        override = "parameter p.tarf = 70 EUR/h\n"
        path = self.variant(tmp_path, override + NEW_PACKAGE if before else NEW_PACKAGE + override)
        (diagnostic,) = errors(path)
        assert diagnostic.message == "Das Paket „p“ der Variante hat keinen Parameter „tarf“"
        assert diagnostic.hint == "meinten Sie „p.tarif“?"
        assert diagnostic.location is not None
        assert (diagnostic.location.file, diagnostic.location.line, diagnostic.location.column) == (
            str(path), 6 if before else 10, 11)

    def test_a_name_of_the_replaced_package_is_not_overridden_silently(self, tmp_path: Path) -> None:
        path = self.variant(tmp_path, "parameter p.satz = 70 EUR/h\n" + NEW_PACKAGE)
        (diagnostic,) = errors(path)
        assert diagnostic.message == "Das Paket „p“ der Variante hat keinen Parameter „satz“"
        assert diagnostic.hint == "vorhanden: p.tarif"

    def test_the_variant_s_package_takes_the_override(self, tmp_path: Path) -> None:
        model = teilhabe_rules.load(self.variant(tmp_path, "parameter p.tarif = 70 EUR/h\n" + NEW_PACKAGE))
        assert model.checked.parameters["p.tarif"].default == Decimal(70)


def test_a_new_name_close_to_another_new_name_is_no_typo_of_the_base(tmp_path: Path) -> None:
    """The warning about a new name close to a base name compares with the base's names only:
    two new declarations of the variant with similar names are not told the base has one."""
    (tmp_path / "basis.rules").write_text(PACKAGE_BASE, encoding="utf-8")
    path = write(tmp_path, "vorlage eigene\n  stunden = 1\nende\nvorlage eigene2\n  stunden = 2\nende\n"
                 'parameter satz_neu: EUR/h = 1 "neu"\nparameter satz_neu2: EUR/h = 2 "neu"\n',
                 "variante.rules", TestOverridesIntoAReplacedPackage.HEAD)
    assert teilhabe_rules.load(path).warnings == ()


def test_a_parameter_declared_anew_and_overridden_in_one_variant_is_an_error(tmp_path: Path) -> None:
    """``parameter satz = 70 EUR/h`` beside ``parameter satz: EUR/h = 80 EUR/h``: one would win
    silently (which one depended on where the lines stood); told at the override."""
    (tmp_path / "basis.rules").write_text(TEMPLATE_BASE, encoding="utf-8")
    for body in ("parameter satz = 70 EUR/h\nparameter satz: EUR/h = 80 EUR/h\n",
                 "parameter satz: EUR/h = 80 EUR/h\nparameter satz = 70 EUR/h\n"):
        path = write(tmp_path, body, "variante.rules", TestInheritedTemplates.HEAD)
        (diagnostic,) = errors(path)
        override = 6 + body.splitlines().index("parameter satz = 70 EUR/h")
        assert diagnostic.message == "„satz“ ist in der Variante zweimal gesetzt: neu deklariert und überschrieben"
        assert diagnostic.location is not None and diagnostic.location.line == override
        assert diagnostic.hint == (f"deklariert in Zeile {13 - override}; setze den Wert dort oder "
                                   "überschreibe ihn nur")


LIST_BASE = """\
modell basis "Basis"
  version "1"
  gültig ab 01.01.2024
ende

liste l "L"
  eingabe x: zahl h von 0 bis 5
  parameter faktor: zahl = 2 "Faktor"
  wert y: h = x * faktor
ende
"""


class TestOverridesIntoAMergedList:
    """An override naming nothing in a list the variant merges (not replaces), or at the top: the
    message says the base has no such parameter, so its did-you-mean names the base's names only;
    one close to a declaration new in the variant is told that it is new there."""

    HEAD = TestOverridesIntoAReplacedPackage.HEAD

    def variant(self, folder: Path, body: str) -> Path:
        (folder / "basis.rules").write_text(LIST_BASE, encoding="utf-8")
        return write(folder, body, "variante.rules", self.HEAD)

    @pytest.mark.parametrize(("body", "message", "hint"), [
        ('liste l "L"\n  parameter zuschlag: zahl = 3 "Z"\n  parameter zuschlagg = 4\n'
         '  wert z: h = x * zuschlag\nende\n',
         "Das Basismodell „basis“ hat keinen Parameter „l.zuschlagg“",
         "„l.zuschlag“ ist neu in der Variante, deklariert in Zeile 7: ändere den Wert dort"),
        ('parameter zuschlag: zahl = 3 "Z"\nparameter zuschlagg = 4\n',
         "Das Basismodell „basis“ hat keinen Parameter „zuschlagg“",
         "„zuschlag“ ist neu in der Variante, deklariert in Zeile 6: ändere den Wert dort"),
        ('\ntabelle staffel "Staffel": ganzzahl -> zahl teilweise\n  1: 2\nende\ntabelle stafel\n  2: 3\nende\n',
         "Das Basismodell „basis“ hat keine Tabelle „stafel“",
         "„staffel“ ist neu in der Variante, deklariert in Zeile 7: ändere die Zeilen dort"),
        ('liste l "L"\n  parameter zuschlag: zahl = 3 "Z"\n  parameter faktorr = 4\nende\n',
         "Das Basismodell „basis“ hat keinen Parameter „l.faktorr“", "meinten Sie „l.faktor“?"),
        ('liste l "L"\n  parameter zuschlag: zahl = 3 "Z"\n  parameter gar_nichts = 4\nende\n',
         "Das Basismodell „basis“ hat keinen Parameter „l.gar_nichts“", "vorhanden: l.faktor"),
        ('liste l "L"\n  wert z: h = x * 3\n  parameter z = 4\nende\n',
         "„l.z“ ist in der Variante ein Wert, kein Parameter", "vorhanden: l.faktor"),
        ('liste l "L"\n  parameter y = 4\nende\n',
         "„l.y“ ist im Basismodell ein Wert, kein Parameter", "vorhanden: l.faktor"),
    ], ids=["neu-in-der-liste", "neu-oben", "neue-tabelle", "basis-name", "nichts-nahe", "neuer-wert",
            "wert-der-basis"])
    def test_the_message_and_the_hint_name_the_same_model(self, tmp_path: Path, body: str, message: str,
                                                          hint: str) -> None:
        (diagnostic,) = errors(self.variant(tmp_path, body))
        assert (diagnostic.message, diagnostic.hint) == (message, hint)
