"""Coverage: which corridor bands, table rows and levels a model's examples reach, and which none reaches."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import teilhabe_rules
from teilhabe_rules.cli import main
from teilhabe_rules.runtime import semantics
from teilhabe_rules.tools.example_coverage import example_coverage

ROOT = Path(__file__).resolve().parents[2]

SOURCE = """\
modell abdeckung "Abdeckung"
  version "1"
  gültig ab 01.01.2024
ende

aufzählung Art "Art"
  a "A"
  b "B"
ende

tabelle satz "Satz je Art": Art -> EUR/h
  a: 10
  b: 20
ende

tabelle zuschlag "Zuschlag je Art": Art -> EUR/h
  a: 1
  b: 2
ende

eingabe art: Art

paket p "Paket"
  stufen
    0 "null"
    1 "wenig"
    2 "viel"
  ende
  eingabe minuten: auswahl {0, 5, 10, 30} min/Tag
  stufe nach korridor minuten
    0: ab 0 bis 0
    1: über 0 bis 10
    2: über 10
  ende
ende

wert betrag: EUR/h = satz[art]
wert extra: EUR/h = wenn art = Art.b dann zuschlag[art] sonst 0 EUR/h

vorlage grund
  art = a
  p = {minuten = 0}
ende

beispiel "null" "0 Minuten"
  basis grund
  erwartet p.stufe = 0
ende

beispiel "viel" "30 Minuten"
  basis grund
  eingabe p.minuten = 30
  erwartet p.stufe = 2
ende

beispiel "ungueltig" "3 Minuten gibt es nicht"
  basis grund
  eingabe p.minuten = 3
  erwartet fehler "nicht erlaubt"
ende
"""


@pytest.fixture(scope="module")
def report():
    return example_coverage(teilhabe_rules.loads(SOURCE, "abdeckung.rules"))


def labels(items, kind):
    return {(i.owner, i.label) for i in items if i.kind == kind}


class TestReport:
    """Reached and unreached bands, rows and levels of a small model."""

    def test_counts(self, report) -> None:
        assert (report.examples, report.evaluated) == (3, 2)
        assert report.counts() == {"korridor": (2, 3), "tabelle": (1, 4), "stufe": (2, 3)}

    def test_unreached(self, report) -> None:
        missing = report.unreached()
        assert labels(missing, "korridor") == {("p", "Stufe 1 (über 0 bis 10 min/Tag)")}
        assert labels(missing, "tabelle") == {("satz", "b → 20 EUR/h"), ("zuschlag", "a → 1 EUR/h"),
                                              ("zuschlag", "b → 2 EUR/h")}
        assert labels(missing, "stufe") == {("p", "1 (wenig)")}

    def test_reached_by_which_examples(self, report) -> None:
        band = next(i for i in report.items if i.kind == "korridor" and i.label.startswith("Stufe 2"))
        assert band.examples == ("abdeckung.rules::viel",)
        row = next(i for i in report.items if i.kind == "tabelle" and i.owner == "satz" and i.label.startswith("a"))
        assert row.examples == ("abdeckung.rules::null", "abdeckung.rules::viel")
        assert row.location == "abdeckung.rules:12"

    def test_text_names_what_no_example_reaches(self, report) -> None:
        text = report.render_text()
        assert "Korridorbänder: 2 von 3 erreicht" in text
        assert "Korridor p: Stufe 1 (über 0 bis 10 min/Tag)  [abdeckung.rules:32]" in text
        assert "Tabelle zuschlag: a → 1 EUR/h" in text


FAILING = SOURCE + """
beispiel "kaputt" "3 Minuten, aber eine Stufe erwartet"
  basis grund
  eingabe p.minuten = "3"
  erwartet p.stufe = 1
ende
"""  # (a text the case loader reads: the checker leaves it to it, and 3 is no choice — a failed example)
KAPUTT = 1 + FAILING.splitlines().index('beispiel "kaputt" "3 Minuten, aber eine Stufe erwartet"')


@pytest.fixture(scope="module")
def failing():
    return example_coverage(teilhabe_rules.loads(FAILING, "abdeckung.rules"))


class TestFailedExamples:
    """An example that expects no error but fails reaches nothing — and the report says which
    and why, in text, JSON and the handbook, never counting it silently."""

    def test_named_with_its_message(self, failing) -> None:
        assert (failing.examples, failing.evaluated, failing.expecting_errors) == (4, 2, 1)
        [failed] = failing.failed
        assert failed.id == "abdeckung.rules::kaputt"
        assert failed.location == f"abdeckung.rules:{KAPUTT}"
        assert "3" in failed.message and "@ $.p.minuten" in failed.message
        # it reaches nothing: the counts are those without it
        assert failing.counts() == {"korridor": (2, 3), "tabelle": (1, 4), "stufe": (2, 3)}

    def test_text_and_json(self, failing, report) -> None:
        text = failing.render_text()
        assert "Nicht ausgewertet, weil die Auswertung scheiterte (erreichen nichts):" in text
        assert "    abdeckung.rules::kaputt: " in text and f"[abdeckung.rules:{KAPUTT}]" in text
        data = failing.to_dict()
        assert [f["beispiel"] for f in data["gescheitert"]] == ["abdeckung.rules::kaputt"]
        assert data["gescheitert"][0]["ort"] == f"abdeckung.rules:{KAPUTT}"
        # a model whose examples all evaluate says nothing of the kind
        assert "scheiterte" not in report.render_text() and report.to_dict()["gescheitert"] == []
        assert report.failed == () and report.expecting_errors == 1

    def test_handbook(self) -> None:
        from teilhabe_rules.tools.handbook import render_handbook

        html = render_handbook(teilhabe_rules.loads(FAILING, "abdeckung.rules"))["index.html"]
        assert "4 Beispiele, davon 2 ausgewertet; 1 erwartet einen Fehler." in html
        assert 'Nicht ausgewertet, weil die Auswertung scheiterte (erreichen nichts): <a href="index.html#' in html
        assert ">kaputt</a></p>" in html
        assert "die übrigen erwarten einen Fehler" not in html
        html = render_handbook(teilhabe_rules.loads(SOURCE, "abdeckung.rules"))["index.html"]
        assert "3 Beispiele, davon 2 ausgewertet; 1 erwartet einen Fehler." in html
        assert "scheiterte" not in html


def test_one_example_is_counted_in_the_singular() -> None:
    from teilhabe_rules.tools.handbook import render_handbook

    one = SOURCE[:SOURCE.index('beispiel "viel"')]
    assert one.count("\nbeispiel ") == 1
    model = teilhabe_rules.loads(one, "abdeckung.rules")
    assert "(1 Beispiel, 1 ausgewertet)" in example_coverage(model).render_text()
    assert "<p>1 Beispiel, davon 1 ausgewertet.</p>" in render_handbook(model)["index.html"]


class TestBundledModel:
    """MAWo: bands are found with the parameters an example's agreement sets."""

    def test_agreement_bounds(self) -> None:
        report = example_coverage(teilhabe_rules.load(ROOT / "models" / "mawo.rules"))
        bands = [i for i in report.items if i.kind == "korridor" and i.owner == "lp2a"]
        band0 = next(i for i in bands if i.label.startswith("Stufe 0"))
        assert "mawo.rules::lp2a::lesart-2" in band0.examples
        band2 = next(i for i in bands if i.label.startswith("Stufe 2"))
        assert "mawo.rules::lp2a::15-minuten" in band2.examples

    def test_evaluation_is_untouched(self) -> None:
        model = teilhabe_rules.loads(SOURCE, "abdeckung.rules")
        program = model.program
        example_coverage(model)
        assert model.program is program
        assert model.program.run.__globals__["_lookup"] is semantics.table_lookup


class TestCommandLine:
    """``teilhabe-rules test --coverage`` prints the report, or adds it to the JSON."""

    def test_text_and_json(self, tmp_path) -> None:
        path = tmp_path / "abdeckung.rules"
        path.write_text(SOURCE, encoding="utf-8")
        out = io.StringIO()
        assert main(["test", str(path), "--coverage"], out, io.StringIO()) == 0
        assert "Von keinem Beispiel erreicht:" in out.getvalue()
        assert out.getvalue().splitlines()[-1] == "3 passed, 0 failed"
        out = io.StringIO()
        assert main(["test", str(path), "--coverage", "--format", "json"], out, io.StringIO()) == 0
        data = json.loads(out.getvalue())
        assert data["abdeckung"][0]["zählung"]["korridor"] == {"erreicht": 2, "gesamt": 3}
