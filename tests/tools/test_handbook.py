"""The handbook (``teilhabe-rules handbuch``): what its pages say, that they are valid HTML whose
links all resolve, that numbers are German and exact, and that nothing a model says is taken as markup."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from handbook_pages import broken_references, parse_strict
from hypothesis import given
from hypothesis import strategies as st

import teilhabe_rules
from teilhabe_rules.cli import main
from teilhabe_rules.ir import checked as c
from teilhabe_rules.tools.handbook import OVERVIEW, render_handbook, write_handbook
from teilhabe_rules.tools.handbook.charts import Bounds, ChartBand, corridor_svg
from teilhabe_rules.tools.handbook.numbers import number_text, quantity_text

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "handbook"
BUNDLED = ("mawo", "mawo_2025", "bei_nrw3", "bei_nrw2")


def _german(text: str) -> Decimal:
    """A number as the handbook writes it, read back."""
    return Decimal(text.replace("−", "-").replace(".", "").replace(",", "."))


@pytest.fixture(scope="module")
def mawo() -> teilhabe_rules.Model:
    return teilhabe_rules.load(ROOT / "models" / "mawo.rules")


@pytest.fixture(scope="module")
def mawo_pages(mawo: teilhabe_rules.Model) -> dict[str, str]:
    return render_handbook(mawo)


def _text(html: str) -> str:
    """The visible text of a page, roughly: tags removed, entities of quotes resolved, spaces joined."""
    text = re.sub(r"<[^>]+>", " ", html)
    text = text.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&").replace("&lt;", "<")
    text = text.replace("&gt;", ">").replace("\u00a0", " ")
    return " ".join(text.split())


class TestNumbers:
    """Numbers are German (decimal comma, thousands with a dot) and exact."""

    @given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**12, max_value=10**12, places=6))
    def test_reads_back_as_the_same_number(self, value: Decimal) -> None:
        assert _german(number_text(value)) == value

    @pytest.mark.parametrize(("value", "text"), [
        ("1650", "1.650"), ("12.50", "12,50"), ("7.0", "7"), ("-0.125", "−0,125"), ("1234567.891", "1.234.567,891"),
        ("0.3333333333333333333333333333", "0,3333333333333333333333333333"), ("-0", "0"), ("1E+3", "1.000"),
    ])
    def test_examples(self, value: str, text: str) -> None:
        assert number_text(Decimal(value)) == text

    def test_a_year_is_not_grouped(self) -> None:
        """A whole number without a unit of four digits (a year) has no thousands dot; money,
        five digits and a number of no known type have."""
        year = c.ValueType(c.TypeKind.ZAHL, integer=True, low=Decimal(2000), high=Decimal(2100))
        assert quantity_text(Decimal(2019), year) == "2019"
        assert quantity_text(Decimal(12345), year) == "12.345"
        assert number_text(Decimal(2019)) == "2.019"
        euro = teilhabe_rules.load(ROOT / "models" / "mawo.rules").checked.parameters["fls_satz"].type
        assert quantity_text(Decimal(2019), euro) == "2.019\u00a0EUR/h"

    def test_units_shares_and_keys(self) -> None:
        percent = c.ValueType(c.TypeKind.ZAHL, unit=teilhabe_rules.load(ROOT / "models" / "mawo.rules")
                              .checked.parameters["lp2a_poolanteil"].type.unit)
        assert quantity_text(Decimal("0.125"), percent) == "12,5\u00a0%"
        assert quantity_text(Decimal("28.41"), c.KEY) == "1:28,41"
        assert quantity_text(True, c.BOOL) == "ja"


class TestPages:
    """Every bundled model's handbook is strict HTML5 and its links resolve."""

    @pytest.mark.parametrize("name", BUNDLED)
    def test_bundled_model(self, name: str, tmp_path: Path) -> None:
        model = teilhabe_rules.bundled(name)
        written = write_handbook(model, tmp_path)
        assert (tmp_path / OVERVIEW) in written
        assert len(written) == 2 + len(model.checked.packages)  # overview, stylesheet, one page per package
        for page in tmp_path.glob("*.html"):
            parse_strict(page)
        assert broken_references(tmp_path) == []

    def test_with_agreement_and_older_version(self, tmp_path: Path) -> None:
        model = teilhabe_rules.bundled("mawo_2025")
        agreement = model.load_agreement(ROOT / "examples" / "versionen" / "lesart2.toml")
        write_handbook(model, tmp_path, agreement, teilhabe_rules.bundled("mawo"))
        for page in tmp_path.glob("*.html"):
            parse_strict(page)
        assert broken_references(tmp_path) == []

    def test_the_same_bytes_every_time(self, mawo: teilhabe_rules.Model, mawo_pages: dict[str, str]) -> None:
        assert render_handbook(mawo) == mawo_pages

    def test_the_same_bytes_in_another_process(self, mawo_pages: dict[str, str]) -> None:
        """Nothing depends on the order of a set or dict of strings (hash seeds differ between processes)."""
        probe = ("import hashlib, json, teilhabe_rules\n"
                 "from teilhabe_rules.tools.handbook import render_handbook\n"
                 "pages = render_handbook(teilhabe_rules.bundled('mawo'))\n"
                 "print(json.dumps({n: hashlib.sha256(t.encode()).hexdigest() for n, t in pages.items()}))")
        expected = {name: hashlib.sha256(text.encode()).hexdigest() for name, text in mawo_pages.items()}
        for seed in ("1", "2"):
            done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300,
                                  check=True, env={**os.environ, "PYTHONHASHSEED": seed})
            assert json.loads(done.stdout) == expected

    def test_nothing_from_outside(self, mawo_pages: dict[str, str]) -> None:
        for name, html in mawo_pages.items():
            assert not re.search(r"""(?:href|src)\s*=\s*["']?(?:https?:)?//""", html), name
            assert "<script" not in html and "@import" not in html and "url(" not in html, name

    def test_every_page_links_every_page(self, mawo_pages: dict[str, str]) -> None:
        pages = [name for name in mawo_pages if name.endswith(".html")]
        for name in pages:
            for other in pages:
                assert f'href="{other}"' in mawo_pages[name], (name, other)

    def test_packages_of_the_same_file_name_each_have_their_page(self, tmp_path: Path) -> None:
        """Package names that differ only in the case of a letter other than A–Z or in umlaut
        spelling (``Ärzte``/``ärzte``, ``nächte``/``naechte``) have pages of their own: one
        overwrote the other (names differing in the case of A–Z alone the checker refuses)."""
        model = teilhabe_rules.loads(
            'modell kol "Kollision"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
            'eingabe stunden: zahl h/Jahr von 0 bis 1000 "Stunden"\n'
            + "".join(f'paket {name} "{title}"\n  wert w{number}: h/Jahr = stunden * {number} "W"\nende\n'
                      for number, (name, title) in enumerate(
                          (("nächte", "Nächte"), ("naechte", "Naechte"), ("Ärzte", "Ärzte groß"),
                           ("ärzte", "Ärzte klein")), start=1)), "kol.rules")
        written = write_handbook(model, tmp_path)
        assert len(written) == 6
        pages = sorted(p.name for p in tmp_path.glob("paket-*.html"))
        assert pages == ["paket-aerzte-2.html", "paket-aerzte.html", "paket-naechte-2.html", "paket-naechte.html"]
        titles = {re.search(r"<title>(.*?)</title>", (tmp_path / page).read_text("utf-8")).group(1)  # type: ignore[union-attr]
                  for page in pages}
        assert len(titles) == 4, titles
        assert broken_references(tmp_path) == []

    def test_anchors_of_names_alike_are_apart(self, tmp_path: Path) -> None:
        """Parameters, tables, examples and lists whose anchors folded alike (``nächte``/``naechte``,
        ``tä``/``tae``, ``"a b"``/``"a-b"``, a list named ``modell`` beside the model) each have their
        own, and links land on their row; examples of packages of the same name in different
        scopes are on their own package's page (a checker error as a duplicate before)."""
        model = teilhabe_rules.load(FIXTURES / "anker_gleich.rules")
        write_handbook(model, tmp_path)
        assert broken_references(tmp_path) == []
        index = (tmp_path / OVERVIEW).read_text("utf-8")

        def element(anchor: str) -> str:
            match = re.search(rf'<(\w+)[^>]*\bid="{re.escape(anchor)}"', index)
            assert match, anchor
            return _text(index[match.start():index.index(f"</{match[1]}>", match.end())])

        upper = (tmp_path / "paket-p.html").read_text("utf-8")
        lower = (tmp_path / "paket-modell-p.html").read_text("utf-8")
        assert "Oben gerechnet" in upper and "Unten gerechnet" not in upper
        assert "Unten gerechnet" in lower and "Oben gerechnet" not in lower
        for page, parameter, table in ((upper, "Nächte mit Umlaut", "Tabelle mit Umlaut"),
                                       (lower, "Naechte ohne Umlaut", "Tabelle ohne Umlaut")):
            anchors = re.findall(rf'href="{OVERVIEW}#([^"]+)"', page)
            assert len(anchors) == 2, anchors
            assert parameter in element(anchors[0]) and table in element(anchors[1])
        assert "Eine Liste namens modell" not in element("ebene-modell")
        assert "Eine Liste namens modell" in element("ebene-modell-2")
        titles = [element(a) for a in re.findall(r'id="(beispiel-a-b[^"]*)"', index)]
        assert len(titles) == 2 and "Leerzeichen" in titles[0] and "Bindestrich" in titles[1]

    def test_broken_link_is_found(self, tmp_path: Path) -> None:
        (tmp_path / "index.html").write_text(
            '<!DOCTYPE html><html lang="de"><head><title>x</title></head><body>'
            '<a href="fehlt.html">a</a><a href="#nirgends">b</a><a href="https://example.org/">c</a>'
            '<p id="d"></p><p id="d"></p></body></html>', "utf-8")
        problems = broken_references(tmp_path)
        assert len(problems) == 4, problems


class TestContent:
    """The pages state what the model says."""

    def test_header(self, mawo: teilhabe_rules.Model, mawo_pages: dict[str, str]) -> None:
        text = _text(mawo_pages[OVERVIEW])
        info = mawo.checked.info
        assert info.title and info.title in text
        assert "gültig ab 01.01.2024" in text
        for source in info.sources:
            assert _text(source) in text

    def test_every_assumption_is_marked_with_its_reasoning(self, mawo: teilhabe_rules.Model,
                                                           mawo_pages: dict[str, str]) -> None:
        overview = mawo_pages[OVERVIEW]
        marked = re.findall(r'<div class="annahme" role="note"><strong class="marke">Annahme</strong> (.*?)</div>',
                            overview, re.S)
        expected = [text for p in mawo.checked.parameters.values() for text in p.assumptions]
        for table in mawo.checked.tables.values():
            expected += [*table.assumptions, *(text for row in table.rows for text in row.assumptions)]
        assert sorted(_text(m) for m in marked) == sorted(_text(e) for e in expected)

    def test_parameters_with_value_and_unit(self, mawo: teilhabe_rules.Model, mawo_pages: dict[str, str]) -> None:
        overview = mawo_pages[OVERVIEW]
        for pid, spec in mawo.checked.parameters.items():
            row = re.search(rf'<tr id="parameter-{pid}"[^>]*>(.*?)</tr>', overview, re.S)
            assert row is not None, pid
            assert quantity_text(spec.default, spec.type) in row.group(1), pid

    def test_levels_and_criteria(self, mawo: teilhabe_rules.Model, mawo_pages: dict[str, str]) -> None:
        for pid, spec in mawo.checked.packages.items():
            page = _text(mawo_pages[f"paket-{pid.replace('.', '-')}.html"])
            for level in spec.levels:
                assert _text(level.label) in page
                assert level.criteria is None or _text(level.criteria) in page

    def test_corridor_chart_shows_each_band_and_its_inclusivity(self, mawo: teilhabe_rules.Model,
                                                                mawo_pages: dict[str, str]) -> None:
        page = mawo_pages["paket-bewohner-lp2a.html"]
        svg = re.search(r"<svg.*?</svg>", page, re.S)
        assert svg is not None
        chart = svg.group(0)
        assert "<title" in chart and "<desc" in chart and 'role="img"' in chart
        # lp2a: ab 0 bis g0 | über g0 bis g1 | über g1 bis g2 | über g2 bis g3 | über g3 (open)
        assert chart.count('class="grenze eingeschlossen"') == 5
        assert chart.count('class="grenze ausgeschlossen"') == 4
        assert chart.count('class="offen"') == 1
        for bound in ("0", "7", "21", "37"):
            assert f'text-anchor="middle">{bound}</text>' in chart
        assert "Stufe 2 (mittel): über 7 bis 21\u00a0min/Tag" in chart

    def test_tables_rows_and_staff_keys(self, mawo: teilhabe_rules.Model, mawo_pages: dict[str, str]) -> None:
        text = _text(mawo_pages[OVERVIEW])
        assert "Personalschlüssel" in text
        assert "1:28,41" in text  # lp2c_reinigung
        assert "12,5 %" in text  # lp0_bewertung, Stufe 1

    def test_examples_with_inputs_results_and_explanations(self, mawo_pages: dict[str, str]) -> None:
        page = mawo_pages["paket-bewohner-lp2a.html"]
        example = re.search(r'<article class="beispiel" id="beispiel-lp2a-grenze-22">(.*?)</article>', page, re.S)
        assert example is not None
        text = _text(example.group(1))
        assert "Vorlage personenfall" in text
        assert "bewohner[1].lp2a.kap5 9 min/Tag" in text  # 2 in the template
        assert "kap6" not in text  # 13, as in the template
        assert "bewohner[1].lp2a.stufe 3 (hoch) 3 (hoch)" in text
        assert "lp2a.bewilligte_stufe Stufe von lp2a Standard" in _text(page)  # (not „Stufe von Stufe von“)
        assert "erfüllt" in text and "nicht erfüllt" not in text
        explained = re.search(r'id="beispiel-lp2a-15-minuten">(.*?)</article>', page, re.S)
        assert explained is not None and 'class="herleitung"' in explained.group(1)

    def test_example_inputs_written_with_their_unit(self, tmp_path: Path) -> None:
        """An input an example writes with its unit (``45 %``, ``31 Tage``) or a share without one
        (``45``: 45 %) is shown once with its unit, in German: not ``45 % %`` nor ``4.500 %``."""
        path = tmp_path / "anteil.rules"
        path.write_text('''modell anteil "Anteil"
  gültig ab 01.01.2024
ende
eingabe quote: zahl % von 0 bis 100 "Quote"
eingabe rest: zahl % von 0 bis 100 "Rest"
eingabe stunden: zahl h/Jahr von 0 bis 5000 "Stunden"
eingabe tage: ganzzahl Tage von 0 bis 31 "Tage"
wert betrag: h/Jahr = stunden * quote "Stunden mal Quote"
vorlage grund
  quote = 50 %
  rest = 50
  stunden = 10
  tage = 1
ende
beispiel "halb" "mit Einheiten"
  basis grund
  eingabe quote = 45 %
  eingabe rest = 45
  eingabe stunden = 1500.5 h/Jahr
  eingabe tage = 31 Tage
  erwartet betrag = 675.225 h/Jahr
ende
''', "utf-8")
        text = _text(render_handbook(teilhabe_rules.load(path))[OVERVIEW])
        assert "quote 45 % rest 45 % stunden 1.500,5 h/Jahr tage 31 Tage" in text, text

    def test_a_year_is_written_without_a_thousands_dot(self, tmp_path: Path) -> None:
        """A year (a whole number without a unit) is „2019“ where an example gives it and where the
        comparison view lists its input's range, not „2.019“; money and hours keep their dot."""
        def model(name: str, year: bool) -> teilhabe_rules.Model:
            path = tmp_path / f"{name}.rules"
            path.write_text(f'''modell {name} "Jahre"
  gültig ab 01.01.2024
ende
parameter satz: zahl EUR/Jahr = 1650 EUR/Jahr "Satz"
eingabe stunden: zahl h/Jahr von 0 bis 5000 "Stunden"
{'eingabe jahr: ganzzahl von 2000 bis 2100 "Jahr"' if year else ""}
wert betrag: EUR/Jahr = satz "Betrag"
vorlage grund
  stunden = 10
  {"jahr = 2024" if year else ""}
ende
beispiel "jahr" "ein Jahr"
  basis grund
  eingabe stunden = 1500 h/Jahr
  {"eingabe jahr = 2019" if year else ""}
  erwartet betrag = 1650 EUR/Jahr
ende
''', "utf-8")
            return teilhabe_rules.load(path)

        pages = render_handbook(model("neu", year=True), previous=model("alt", year=False))
        text = _text(pages[OVERVIEW])
        assert "stunden 1.500 h/Jahr jahr 2019" in text, text
        assert "1.650 EUR/Jahr" in text
        section = re.search(r'<section id="aenderungen">(.*?)</section>', pages[OVERVIEW], re.S)
        assert section is not None
        assert "jahr ganze Zahl von 2000 bis 2100" in _text(section.group(1)), _text(section.group(1))

    def test_an_example_list_in_place_of_the_templates_is_not_left_out(self, mawo_pages: dict[str, str]) -> None:
        """An example that gives a list the template has empty (MAWo's ``massnahmen = []``) shows
        the list's elements, and not the list as left out („entfällt“)."""
        text = _text(mawo_pages["paket-bewohner-ilb4.html"])
        assert "bewohner[1].massnahmen[1].bezeichnung" in text
        assert "entfällt" not in text
        # an example emptying a list the template fills: „keine Einträge“, not each field left out
        page = render_handbook(teilhabe_rules.bundled("bei_nrw3"))[OVERVIEW]
        emptied = [_text(article) for article in re.findall(r'<article class="beispiel".*?</article>', page, re.S)
                   if "keine Einträge" in article]
        assert emptied and all("entfällt" not in text for text in emptied), emptied

    def test_coverage_names_what_no_example_reaches(self, mawo_pages: dict[str, str]) -> None:
        pages = render_handbook(teilhabe_rules.bundled("mawo_2025"))
        text = _text(pages[OVERVIEW])
        assert "Von keinem Beispiel erreicht" in text
        assert "Korridorbänder: 3 von 17 erreicht" in text
        assert 'class="unerreicht"' in pages["paket-bewohner-lp2a.html"]
        # MAWo's own examples reach every band, row and level: each is counted where it is shown
        assert "Jedes Korridorband, jede Tabellenzeile und jede Stufe wird von einem Beispiel erreicht" \
            in mawo_pages[OVERVIEW]
        for name, html in mawo_pages.items():
            assert 'class="unerreicht"' not in html, name

    def test_agreed_values_beside_the_models(self) -> None:
        model = teilhabe_rules.bundled("mawo_2025")
        agreement = model.load_agreement(ROOT / "examples" / "versionen" / "lesart2.toml")
        pages = render_handbook(model, agreement)
        row = re.search(r'<tr id="parameter-lp2a_grenze_1"[^>]*>(.*?)</tr>', pages[OVERVIEW], re.S)
        assert row is not None and "<strong>14\u00a0min/Tag</strong>" in row.group(1)
        chart = pages["paket-bewohner-lp2a.html"]
        assert 'class="balken vereinbart"' in chart
        assert "vereinbart über 3 bis 14\u00a0min/Tag" in chart  # the description of Stufe 1


class TestAgreedTables:
    """Rows an agreement sets, removes or adds stand beside the model's."""

    def test_changed_removed_and_model_rows(self) -> None:
        model = teilhabe_rules.load(ROOT / "tests" / "fixtures" / "cases" / "klein.rules")
        agreement = model.load_agreement(ROOT / "tests" / "fixtures" / "agreements" / "gestrichen.toml")
        overview = render_handbook(model, agreement)[OVERVIEW]
        table = re.search(r'<section id="tabelle-poolanteil" class="tabelle">(.*?)</section>', overview, re.S)
        assert table is not None
        lines = re.findall(r"<tr.*?</tr>", table.group(1), re.S)
        cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in lines]
        rows = {_text(row[0]): _text(row[2]) for row in cells if row}
        assert rows == {"1 Person": "wie Modell", "2 Personen": "nicht vereinbart", "3 Personen": "40 %"}

    def test_haus_linde(self, mawo: teilhabe_rules.Model) -> None:
        agreement = mawo.load_agreement(ROOT / "examples" / "mawo" / "vereinbarung_haus_linde.toml")
        overview = render_handbook(mawo, agreement)[OVERVIEW]
        table = re.search(r'<section id="tabelle-lp0_bewertung" class="tabelle">(.*?)</section>', overview, re.S)
        assert table is not None and "<strong>30\u00a0%</strong>" in table.group(1)
        row = re.search(r'<tr id="parameter-njaz"[^>]*>(.*?)</tr>', overview, re.S)
        assert row is not None and "<strong>1.620\u00a0h/Jahr/VK</strong>" in row.group(1)


class TestEscaping:
    """Text from a rule file is text, never markup — in the pages and in the charts."""

    SOURCE = '''modell boese "<script>alert(1)</script> & Co"
  version "1"
  gültig ab 01.01.2024
  quelle "<img src=x onerror=alert(1)>"
ende
eingabe minuten: zahl min/Tag von 0 bis 100 "Minuten <b>fett</b>"
paket p "Paket <i>kursiv</i> & mehr"
  stufen
    0 "<em>kein</em>" "Kriterium mit <a href='x'>Link</a>"
    1 "viel" "mehr als 10"
  ende
  stufe nach korridor minuten
    0: ab 0 bis 10
    1: über 10
  ende
ende
'''

    def test_markup_in_a_model_is_escaped(self, tmp_path: Path) -> None:
        model = teilhabe_rules.loads(self.SOURCE, "boese.rules")
        written = write_handbook(model, tmp_path)
        for path in written:
            html = path.read_text("utf-8")
            assert "<script" not in html and "<img" not in html and "<em>" not in html and "<i>kursiv" not in html
            if path.suffix == ".html":
                parse_strict(path)
        assert "&lt;script&gt;" in (tmp_path / OVERVIEW).read_text("utf-8")
        assert broken_references(tmp_path) == []

    def test_chart_escapes_its_labels(self) -> None:
        svg = corridor_svg('a"b', "<T>", "m&n", [ChartBand(0, "<x>", Bounds(Decimal(0), True, None, False))])
        assert "<x>" not in svg and "&lt;x&gt;" in svg and 'id="a&#34;b-titel"' in svg and "m&amp;n" in svg


class TestCommand:
    """``teilhabe-rules handbuch``."""

    def test_writes_the_handbook(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        code = main(["handbuch", "mawo", "--out", str(tmp_path / "hb"), "--vereinbarung",
                     str(ROOT / "examples" / "mawo" / "vereinbarung_haus_linde.toml"), "--vergleich", "mawo_2025"])
        assert code == 0
        assert "Handbuch von „mawo“ geschrieben (14 Dateien)" in capsys.readouterr().out
        text = _text((tmp_path / "hb" / OVERVIEW).read_text("utf-8"))
        assert "Haus Linde" in text and "Änderungen gegenüber mawo_2025 2025.1" in text

    @pytest.mark.parametrize("name", ["", "  "])
    def test_an_empty_output_name_is_a_usage_error(self, name: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
        """``--out ""`` is no folder: not the working directory, which would get the pages."""
        monkeypatch.chdir(tmp_path)
        assert main(["handbuch", "mawo", "--out", name]) == 2
        assert "--out: ein Verzeichnis für das Handbuch" in capsys.readouterr().err
        assert list(tmp_path.iterdir()) == []

    def test_a_bad_agreement_is_a_finding(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        code = main(["handbuch", "mawo", "--out", str(tmp_path), "--vereinbarung",
                     str(ROOT / "tests" / "fixtures" / "agreements" / "anderes_modell.toml")])
        assert code == 1
        assert "fehler" in capsys.readouterr().err
        assert not (tmp_path / OVERVIEW).exists()

    def test_an_out_that_is_a_file_is_a_finding(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        (tmp_path / "datei").write_text("x", "utf-8")
        assert main(["handbuch", "mawo", "--out", str(tmp_path / "datei")]) == 1
        assert "lässt sich nicht anlegen" in capsys.readouterr().err

    def test_out_is_required(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["handbuch", "mawo"]) == 2
        assert "--out" in capsys.readouterr().err


VARIANT = '''modell mawo_grenzen "MAWo mit anderen LP-2a-Grenzen"
  erweitert "mawo"
  version "2026.1"
  gültig ab 01.01.2026
ende
parameter lp2a_grenze_1 = 9 min/Tag "LP 2a: Obergrenze Stufe 1"
parameter fls_satz = 70.5 EUR/h "Fachleistungsstundensatz"
'''


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The handbook of a variant of MAWo (two parameters changed), compared with MAWo."""
    folder = tmp_path_factory.mktemp("variante")
    (folder / "mawo_grenzen.rules").write_text(VARIANT, "utf-8")
    model = teilhabe_rules.load(folder / "mawo_grenzen.rules")
    return render_handbook(model, previous=teilhabe_rules.bundled("mawo"))


class TestComparison:
    """``--vergleich``: the changes since an older version, and moved corridor bounds on the charts."""


    def test_moved_bounds_are_drawn(self, pages: dict[str, str]) -> None:
        chart = re.search(r"<svg.*?</svg>", pages["paket-bewohner-lp2a.html"], re.S)
        assert chart is not None
        # Stufe 1 (0 bis 7 → 0 bis 9) and Stufe 2 (über 7 → über 9) moved; Stufe 0, 3 and 4 did not
        assert chart.group(0).count('class="balken bisher"') == 2
        assert "Stufe 1 (gering): über 0 bis 9\u00a0min/Tag, bisher über 0 bis 7\u00a0min/Tag" in chart.group(0)
        assert "bisher (Vergleichsmodell)" in chart.group(0)

    def test_unmoved_corridors_show_no_older_bounds(self, pages: dict[str, str]) -> None:
        assert 'class="balken bisher"' not in pages["paket-bewohner-lp3a.html"]
        assert "unverändert" in pages["paket-bewohner-lp3a.html"]

    def test_the_changes_are_listed_with_german_numbers(self, pages: dict[str, str]) -> None:
        section = re.search(r'<section id="aenderungen">(.*?)</section>', pages[OVERVIEW], re.S)
        assert section is not None
        text = _text(section.group(1))
        assert "Änderungen gegenüber mawo 2024.1" in _text(pages[OVERVIEW])
        assert "fls_satz 68,95 EUR/h 70,50 EUR/h" in text  # (written 70.5: as many places as the old)
        assert "bewohner[].lp2a Stufe 1, obere Grenze bis lp2a_grenze_1 (7 min/Tag) bis lp2a_grenze_1 (9 min/Tag)" \
            in text

    def test_same_model_has_no_changes(self, mawo: teilhabe_rules.Model) -> None:
        pages = render_handbook(mawo, previous=mawo)
        assert "Keine inhaltlichen Unterschiede." in pages[OVERVIEW]
        assert 'class="balken bisher"' not in pages["paket-bewohner-lp2a.html"]


def test_a_level_of_several_bands_is_compared_band_by_band(tmp_path: Path) -> None:
    """Level 1 has two bands; the newer version moves the bound between the first and level 2
    from 50 to 40: that band shows its former bounds, the level's other band none."""
    def model(bound: int) -> teilhabe_rules.Model:
        text = f'''modell probe "Probe"
  gültig ab 01.01.2024
ende
eingabe minuten: zahl min/Tag von 0 bis 100 "Minuten am Tag"
paket lp "Ein Paket"
  stufen
    0 "kein"
    1 "Bedarf"
    2 "viel"
  ende
  stufe nach korridor minuten
    0: ab 0 min/Tag bis 5 min/Tag
    1: über 5 min/Tag unter {bound} min/Tag
    2: ab {bound} min/Tag unter 60 min/Tag
    1: ab 60 min/Tag unter 70 min/Tag
    2: ab 70 min/Tag
  ende
ende
'''
        path = tmp_path / f"probe_{bound}.rules"
        path.write_text(text, "utf-8")
        return teilhabe_rules.load(path)

    page = render_handbook(model(40), previous=model(50))["paket-lp.html"]
    chart = re.search(r"<svg.*?</svg>", page, re.S)
    assert chart is not None
    assert chart.group(0).count('class="balken bisher"') == 2
    assert "Stufe 1 (Bedarf): über 5 unter 40\u00a0min/Tag, bisher über 5 unter 50\u00a0min/Tag" in chart.group(0)
    assert "Stufe 2 (viel): ab 40 unter 60\u00a0min/Tag, bisher ab 50 unter 60\u00a0min/Tag" in chart.group(0)
    assert "bisher ab 60" not in chart.group(0) and "bisher ab 70" not in chart.group(0)


def test_a_failing_example_of_a_package_is_linked_on_the_packages_page(tmp_path: Path) -> None:
    """An example inside a package is shown on the package's page: the coverage's link to it,
    as one that fails, leads there (not to the overview, which has no such anchor)."""
    path = tmp_path / "probe.rules"
    path.write_text('''modell probe "Probe"
  gültig ab 01.01.2024
ende
eingabe minuten: zahl min/Tag von 0 bis 100 "Minuten am Tag"
parameter grenze: zahl min/Tag = 5 min/Tag
  ab 01.07.2024 = 6 min/Tag
paket lp "Ein Paket"
  stufen
    0 "kein"
    1 "Bedarf"
  ende
  stufe nach korridor minuten
    0: ab 0 min/Tag bis grenze
    1: über grenze
  ende
  beispiel "bsp" "ohne Stichtag: scheitert"
    eingabe minuten = 10 min/Tag
    erwartet lp.stufe = 1
  ende
ende
''', "utf-8")
    model = teilhabe_rules.load(path)
    write_handbook(model, tmp_path / "buch")
    overview = (tmp_path / "buch" / OVERVIEW).read_text("utf-8")
    assert re.search(r'href="paket-lp\.html#beispiel-[^"]*bsp[^"]*"', overview), overview
    assert broken_references(tmp_path / "buch") == []
