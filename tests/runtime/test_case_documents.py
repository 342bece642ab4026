"""Reading a case document never ends in a Python error: deep nesting, dotted keys and huge
numbers are located CaseErrors, and any text gives data or a DocumentError."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
import teilhabe_rules.inputs.cases
from teilhabe_rules import CaseError
from teilhabe_rules.cli import main
from teilhabe_rules.inputs.cases import MAX_NESTING, DocumentError, decode_json, parse_document

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parents[1] / "fixtures" / "cases"


@pytest.fixture(scope="module")
def klein() -> teilhabe_rules.Model:
    return teilhabe_rules.load(CASES / "klein.rules")


def case_error(model: teilhabe_rules.Model, path: Path) -> CaseError:
    with pytest.raises(CaseError) as caught:
        model.evaluate(path)
    return caught.value


class TestDeepNesting:
    """Brackets or dotted keys nested deeper than MAX_NESTING are an error where the depth is exceeded."""

    @pytest.mark.parametrize(
        ("name", "text", "column"),
        [
            ("tief.json", "[" * 100_000, MAX_NESTING + 1),
            ("tief_objekt.json", '{"a": ' * 100_000, 6 * MAX_NESTING + 1),
            ("tief.toml", "kap4 = 5\nx = " + "[" * 100_000, 5 + MAX_NESTING),
            ("tief_tabelle.toml", "x = " + "{a = " * 100_000, 5 + 5 * MAX_NESTING),
        ],
    )
    def test_absurd_nesting_is_a_located_case_error(self, klein: teilhabe_rules.Model, tmp_path: Path, name: str,
                                                    text: str, column: int) -> None:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        (diagnostic,) = case_error(klein, path).diagnostics
        assert f"tiefer als {MAX_NESTING} Ebenen" in diagnostic.message
        assert diagnostic.location is not None and diagnostic.location.file == str(path)
        assert diagnostic.location.line == text.count("\n") + 1
        assert diagnostic.location.column == column

    def test_dotted_keys_count_as_nesting(self, klein: teilhabe_rules.Model, tmp_path: Path) -> None:
        path = tmp_path / "punkte.toml"
        path.write_text("kap4 = 5\n[" + ".".join(["a"] * 200) + "]\nb = 1\n", encoding="utf-8")
        (diagnostic,) = case_error(klein, path).diagnostics
        assert f"tiefer als {MAX_NESTING} Ebenen" in diagnostic.message
        assert diagnostic.location is not None and diagnostic.location.line == 2

    def test_nesting_within_the_limit_is_reported_as_data(self, klein: teilhabe_rules.Model, tmp_path: Path) -> None:
        path = tmp_path / "maessig.json"
        path.write_text('{"unbekannt": ' + "[" * (MAX_NESTING - 2) + "]" * (MAX_NESTING - 2) + "}", encoding="utf-8")
        error = case_error(klein, path)
        assert any("unbekannter Schlüssel „unbekannt“" in d.message for d in error.diagnostics)

    def test_the_command_line_answers_with_exit_code_1(self, tmp_path: Path) -> None:
        path = tmp_path / "tief.json"
        path.write_text("[" * 100_000, encoding="utf-8")
        err = io.StringIO()
        assert main(["eval", str(CASES / "klein.rules"), str(path)], io.StringIO(), err) == 1
        assert "tief.json:1:" in err.getvalue()


class TestMappings:
    """A case given as a mapping in Python may have keys of any type."""

    def test_keys_that_are_no_text_are_unknown_keys_named_by_their_text(self, klein: teilhabe_rules.Model) -> None:
        data = {"beginn": "2025-01-01", "pflegegrad": 1, "kap4": 5, "lp2a": {"kap5": 2}, 1: "x", (2, 3): "y",
                "massnahmen": [{"bezeichnung": "x", "stunden": 1, None: 2}]}
        with pytest.raises(CaseError) as caught:
            klein.evaluate(data)
        found = {(d.message.split(" (")[0], d.path) for d in caught.value.diagnostics}
        assert found == {("unbekannter Schlüssel „1“", "$.1"), ("unbekannter Schlüssel „(2, 3)“", "$.(2, 3)"),
                         ("unbekannter Schlüssel „None“", "$.massnahmen[1].None")}


class TestNumbers:
    """Integers of thousands of digits are not a Python error."""

    def test_a_huge_integer_in_toml_is_located(self, klein: teilhabe_rules.Model, tmp_path: Path) -> None:
        path = tmp_path / "zahl.toml"
        path.write_text("beginn = 2025-01-01\nkap4 = " + "9" * 5000 + "\n", encoding="utf-8")
        (diagnostic,) = case_error(klein, path).diagnostics
        assert "zu vielen Ziffern" in diagnostic.message
        assert diagnostic.location is not None and (diagnostic.location.line, diagnostic.location.column) == (2, 8)
        assert diagnostic.source_line is None  # a line of 5000 characters is not shown

    def test_a_huge_integer_in_json_is_a_value_error(self, klein: teilhabe_rules.Model, tmp_path: Path) -> None:
        path = tmp_path / "zahl.json"
        path.write_text('{"kap4": ' + "9" * 5000 + "}", encoding="utf-8")
        error = case_error(klein, path)
        kap4 = next(d for d in error.diagnostics if d.path == "$.kap4")
        assert "9999…" in kap4.message or "nicht erlaubt" in kap4.message


class TestDecoding:
    """``parse_document`` and ``decode_json``: data or a located error, nothing else."""

    def test_decode_json_gives_a_case_error_with_file_and_path(self) -> None:
        with pytest.raises(CaseError) as caught:
            decode_json('{"a": [1, 2,,]}', "population.jsonl", "$[7]")
        (diagnostic,) = caught.value.diagnostics
        assert diagnostic.location is not None
        assert (diagnostic.location.file, diagnostic.location.line) == ("population.jsonl", 1)
        assert diagnostic.path == "$[7]"

    @settings(max_examples=examples(300), deadline=None)
    @given(st.text(alphabet=st.sampled_from('[]{}"\'=,.:#\\\n 1aé-') | st.characters(), max_size=60), st.booleans())
    def test_any_text_gives_data_or_a_document_error(self, text: str, json_format: bool) -> None:
        try:
            parse_document(text, json_format=json_format)
        except DocumentError as exc:
            assert exc.line >= 1 and exc.column >= 1 and exc.message


def test_a_huge_dotted_key_is_refused_before_the_toml_reader_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The TOML reader takes time quadratic in the parts of a dotted key: such keys never reach it."""
    from teilhabe_rules.inputs import cases

    def forbidden(*_: object, **__: object) -> None:
        raise AssertionError("the TOML reader was called")

    monkeypatch.setattr(cases.tomllib, "loads", forbidden)
    with pytest.raises(DocumentError) as caught:
        parse_document("x = 1\n[" + ".".join(["a"] * 200_000) + "]\nb = 1\n", json_format=False)
    assert (caught.value.line, caught.value.column) == (2, 2)


class TestLargeCases:
    """Large cases are refused or reported without work that grows with every element."""

    def test_a_list_without_hoechstens_takes_at_most_the_global_limit(self, tmp_path: Path) -> None:

        from teilhabe_rules.limits import MAX_LIST_ITEMS

        model = teilhabe_rules.bundled("mawo")
        data = teilhabe_rules.inputs.cases.read_data(ROOT / "examples" / "mawo" / "haus_linde.toml")
        assert model.checked.scopes["bewohner"].max_count is None, "the test needs a list without höchstens"
        data["bewohner"] = [{}] * (MAX_LIST_ITEMS + 1)
        path = tmp_path / "fall.json"
        path.write_text(json.dumps(data, default=str), encoding="utf-8")
        error = case_error(model, path)
        (diagnostic,) = error.diagnostics  # nothing else is read: not 10,001 missing-field errors
        assert "10.001 Einträge" in diagnostic.message and diagnostic.path == "$.bewohner"
        assert diagnostic.location is not None and diagnostic.location.file == str(path)
        assert "höchstens N" in (diagnostic.hint or "")

    def test_many_errors_are_counted_not_listed(self, tmp_path: Path) -> None:

        from teilhabe_rules.inputs.cases import MAX_REPORTED

        model = teilhabe_rules.bundled("bei_nrw3")
        data = teilhabe_rules.inputs.cases.read_data(ROOT / "examples" / "bei_nrw3" / "eigene_haeuslichkeit.toml")
        for number in range(MAX_REPORTED + 50):
            data[f"unbekannt{number}"] = 1
        path = tmp_path / "fall.json"
        path.write_text(json.dumps(data, default=str), encoding="utf-8")
        error = case_error(model, path)
        assert len(error.diagnostics) == MAX_REPORTED + 1
        last = error.diagnostics[-1]
        assert last.message == "… und 50 weitere Fehler in diesem Fall" and last.location is not None

    def test_a_wide_document_is_checked_for_depth_without_copying_paths(self) -> None:
        """The depth check passes two million small tables side by side and finds a deep list beside them."""
        data = parse_document("[" + "{}, " * 2_000_000 + "{}]", json_format=True)
        assert len(data) == 2_000_001
        deep = "[" * MAX_NESTING + "1" + "]" * MAX_NESTING
        with pytest.raises(DocumentError):
            parse_document('{"a": [{}, ' + deep + "]}", json_format=True)

    def test_a_toml_case_over_its_size_is_refused_before_the_toml_reader_runs(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from teilhabe_rules.inputs.cases import MAX_TOML_CHARS

        path = tmp_path / "fall.toml"
        path.write_text("# " + "x" * MAX_TOML_CHARS + "\nkap4 = 2\n", encoding="utf-8")

        def never(*args: object, **kwargs: object) -> None:
            raise AssertionError("the TOML reader ran")

        monkeypatch.setattr("teilhabe_rules.inputs.cases.tomllib.loads", never)
        error = case_error(teilhabe_rules.bundled("mawo"), path)
        assert "höchstens 4.000.000 Zeichen" in error.message and "JSON" in error.message
        assert error.diagnostics[0].location is not None

    def test_a_failed_case_file_is_decoded_once(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The version check after a failed load uses the data the load decoded."""
        import teilhabe_rules.inputs.cases as cases

        calls: list[str] = []
        original = cases.parse_document

        def counting(text: str, *, json_format: bool) -> object:
            calls.append(text)
            return original(text, json_format=json_format)

        monkeypatch.setattr(cases, "parse_document", counting)
        path = tmp_path / "fall.toml"
        path.write_text((ROOT / "examples" / "mawo" / "person_grundfall.toml").read_text(encoding="utf-8")
                        .replace("zeitraum_ab = 2024", "zeitraum_ab = 2019") + "\nunbekannt = 1\n", encoding="utf-8")
        with pytest.raises(teilhabe_rules.ValidityError):  # the version is named first
            teilhabe_rules.bundled("mawo").evaluate(path)
        assert len(calls) == 1


def test_a_level_with_a_huge_exponent_is_refused_at_once(tmp_path: Path) -> None:
    """``1e999999`` where a level is expected: no million-digit integer is built."""
    text = (ROOT / "examples" / "mawo" / "person_grundfall.toml").read_text(encoding="utf-8")
    assert "[bewohner.lp2a]" in text
    path = tmp_path / "fall.toml"
    granted = "[bewohner.lp2a]\nbewilligte_stufe = 1e999999\n\"begründung\" = \"x\""
    path.write_text(text.replace("[bewohner.lp2a]", granted), encoding="utf-8")
    error = case_error(teilhabe_rules.bundled("mawo"), path)
    (level,) = [d for d in error.diagnostics if d.path and d.path.endswith("lp2a.bewilligte_stufe")]
    assert "1E+999999 gehört nicht zu" in level.message


def test_too_deep_json_is_located_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nesting too deep behind a long text is found by the brackets, not by walking the path
    through the text once per level."""
    deep = "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1)
    text = '{"a": "' + "x" * 1_000_000 + '", "b": ' + deep + "}"

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the path was looked up in the text")

    monkeypatch.setattr("teilhabe_rules.inputs.locate.locate", never)
    with pytest.raises(DocumentError) as caught:
        parse_document(text, json_format=True)
    # the object is the first level, so the 64th bracket opens the 65th
    assert (caught.value.line, caught.value.column) == (1, text.index("[") + MAX_NESTING)


@given(st.lists(st.sampled_from(["$.a[1]", "$.a[2]", "$.a[2].b[1]", "$.c[10]"]), max_size=4),
       st.sampled_from(["$.a[1]", "$.a[1].x", "$.a[12].x", "$.a[2].b[1][3]", "$.a[2].b", "$.c[1]", "$.c[10].d", "$"]))
def test_inside_an_element_is_looked_up_by_prefix(elements: list[str], path: str) -> None:
    """The lookup by the path's element prefixes says what testing each element would."""
    from teilhabe_rules.inputs.cases import _inside_any

    brute = any(path == e or path.startswith((e + ".", e + "[")) for e in elements)
    assert _inside_any(path, set(elements)) == brute


def test_many_unreadable_elements_and_errors_stay_linear(tmp_path: Path) -> None:
    """Thousands of element files that cannot be read, next to thousands of broken elements:
    each error is checked against the unreadable ones by lookup (was every pair)."""
    model = teilhabe_rules.bundled("mawo")
    data = teilhabe_rules.inputs.cases.read_data(ROOT / "examples" / "mawo" / "haus_linde.toml")
    data["bewohner"] = ["fehlt.txt", {}] * 2_500
    path = tmp_path / "fall.json"
    path.write_text(json.dumps(data, default=str), encoding="utf-8")
    import time

    started = time.perf_counter()
    error = case_error(model, path)
    assert time.perf_counter() - started < 30  # about 1 s; checking every pair took about 40 s
    assert sum("fehlt.txt" in d.message for d in error.diagnostics) == 2_500


def test_a_key_twice_in_one_json_object_is_located_never_guessed(tmp_path: Path) -> None:
    """JSON lets an object name a key twice, and Python's decoder keeps the last value; a case
    may not (as TOML may not): a located error, in a case file and in a population's line alike."""
    model = teilhabe_rules.bundled("mawo")
    case = json.loads(json.dumps(teilhabe_rules.inputs.cases.read_data(ROOT / "examples/mawo/person_grundfall.toml"),
                                 default=str))
    text = json.dumps(case, ensure_ascii=False)
    twice = text.replace('"plaetze": 24', '"plaetze": 24,\n "plaetze": 12', 1)
    assert twice != text
    file = tmp_path / "fall.json"
    file.write_text(twice, "utf-8")
    error = case_error(model, file)
    (diagnostic,) = error.diagnostics
    assert "„plaetze“ steht zweimal im selben Objekt" in diagnostic.message
    assert diagnostic.location is not None and (diagnostic.location.line, diagnostic.location.column) == (2, 2)
    population = tmp_path / "p.jsonl"
    population.write_text(text + "\n" + twice.replace("\n", "") + "\n", "utf-8")
    result = model.evaluate_many(population)
    assert (result.cases, result.evaluated, len(result.errors)) == (2, 1, 1)
    assert "„plaetze“ steht zweimal" in result.errors[0].message
    # the same key in two objects, or in an object and one inside it, is no key twice
    assert parse_document('{"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}]}', json_format=True)["b"][1] == {"a": 3}
    with pytest.raises(DocumentError, match="„ab“ steht zweimal"):  # (an escape is the same key)
        parse_document('{"a\\u0062": 1, "ab": 2}', json_format=True)


@pytest.mark.parametrize(("text", "line", "column", "part", "char"), [
    ('kap4 = 5\n[lp2a]\nbegründung = "weil"\n', 3, 5, "begründung", "ü"),
    ("äpfel = 1\n", 1, 1, "äpfel", "ä"),
    ("kap4 = 5\n[bewohner.größe]\n", 2, 13, "größe", "ö"),
    ("kap4 = 5\n[[bewohner.maß]]\n", 2, 14, "maß", "ß"),
    ("kap4 = 5\nlp2a.begründung = 1\n", 2, 10, "begründung", "ü"),
])
def test_an_umlaut_in_a_key_without_quotes_says_to_quote_it(klein: teilhabe_rules.Model, tmp_path: Path, text: str,
                                                           line: int, column: int, part: str, char: str) -> None:
    """TOML takes a key with an umlaut (``begründung``, which every granted level needs) only in
    quotes; before, the message said that „=“ was missing after the key, or that the line was not
    valid — at the umlaut."""
    path = tmp_path / "fall.toml"
    path.write_text(text, encoding="utf-8")
    (diagnostic,) = case_error(klein, path).diagnostics
    assert diagnostic.message.endswith(f"„{part}“ enthält „{char}“, das in TOML nur in einem Schlüssel in "
                                       f"Anführungszeichen stehen darf: schreibe „\"{part}\"“")
    assert diagnostic.location is not None and (diagnostic.location.line, diagnostic.location.column) == (line, column)
    (path.parent / "ok.toml").write_text(text.replace(part, f'"{part}"'), encoding="utf-8")
    assert "Anführungszeichen" not in str(getattr(_document_error(klein, path.parent / "ok.toml"), "message", ""))


def _document_error(model: teilhabe_rules.Model, path: Path) -> object:
    """The first diagnostic of evaluating ``path`` (None: evaluated)."""
    try:
        model.evaluate(path)
    except CaseError as error:
        return error.diagnostics[0]
    return None


def test_a_key_in_decomposed_unicode_is_named_so(tmp_path: Path) -> None:
    """A key typed with „ü“ as „u“ and U+0308 (copied from some systems) looks like the key it
    misses; the message says what differs, not „meinten Sie „begründung“?“ of an equal-looking key."""
    import unicodedata

    model = teilhabe_rules.bundled("mawo")
    text = (ROOT / "examples" / "mawo" / "person_grundfall.toml").read_text(encoding="utf-8")
    decomposed = unicodedata.normalize("NFD", "begründung")
    path = tmp_path / "fall.toml"
    path.write_text(text.replace("[bewohner.lp2a]\n", f'[bewohner.lp2a]\n"{decomposed}" = "weil"\n', 1), "utf-8")
    messages = [d.message for d in case_error(model, path).diagnostics]
    assert f"unbekannter Schlüssel „{decomposed}“ („begründung“ in zerlegter Unicode-Form: Buchstabe und Zeichen " \
           "U+0308 getrennt; schreibe den Schlüssel mit Umlauten als einem Zeichen (Unicode NFC))" in messages


def test_lines_ended_by_a_carriage_return_alone_are_shown_and_named(tmp_path: Path) -> None:
    """A TOML case file saved with lines ended by CR alone (old Mac format) is one line of more
    than 1000 characters to the reader: the message shows the line as an editor does, up to the
    return, with a caret at it and a hint that names the line end."""
    model = teilhabe_rules.load(ROOT / "models" / "mawo.rules")
    text = (ROOT / "examples" / "mawo" / "person_grundfall.toml").read_text(encoding="utf-8")
    first = text.split("\n", 1)[0]
    path = tmp_path / "fall.toml"
    path.write_bytes(text.replace("\n", "\r").encode("utf-8"))
    diagnostic = case_error(model, path).diagnostics[0]
    assert (diagnostic.location.line, diagnostic.location.column) == (1, len(first) + 1)
    assert diagnostic.source_line == first
    assert diagnostic.hint is not None and "CR" in diagnostic.hint
    assert diagnostic.render().splitlines()[2] == "    " + " " * len(first) + "^"
    # one line so ended among others: its line as it is (the return shown), the same hint
    path.write_bytes(text.replace("plaetze = 24\n", "plaetze = 24\r").encode("utf-8"))
    diagnostic = case_error(model, path).diagnostics[0]
    assert diagnostic.source_line == "plaetze = 24\rnachtdienst = 3" and diagnostic.hint is not None
    assert "CR" in diagnostic.hint
