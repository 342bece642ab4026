"""The checked-model cache returns the same model for the same text and misses on any change."""

from __future__ import annotations

from pathlib import Path

import pytest

import teilhabe_rules
from teilhabe_rules import cache, checker, parser
from teilhabe_rules.builder import build_module

MODEL = """modell demo "Demo"
  version "1"
  gültig ab 01.01.2024
ende
eingabe x: zahl h/Jahr von 0 bis 10
wert y: h/Jahr = x * 2
"""


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = checker.check_module

    def counting(module, text):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(module, text)

    monkeypatch.setattr("teilhabe_rules.model.check_module", counting)
    return calls


@pytest.fixture(autouse=True)
def parser_built() -> None:
    """The parser is built (once per process) before a test points the cache elsewhere, so the
    folders below hold only the entries their tests write."""
    parser.make_parser()


class TestCache:
    """Hits, misses, switching off and damaged entries."""

    def test_second_load_is_a_hit_with_equal_results(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted: list[int]) -> None:
        monkeypatch.setenv("TEILHABE_RULES_CACHE", str(tmp_path / "cache"))
        rules = tmp_path / "demo.rules"
        rules.write_text(MODEL, encoding="utf-8")
        first = teilhabe_rules.load(rules)
        second = teilhabe_rules.load(rules)
        assert len(counted) == 1
        assert first.evaluate({"x": 3}).to_dict() == second.evaluate({"x": 3}).to_dict()
        assert list((tmp_path / "cache").glob("*.pickle"))

    def test_an_edit_is_a_miss(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted: list[int]) -> None:
        monkeypatch.setenv("TEILHABE_RULES_CACHE", str(tmp_path / "cache"))
        rules = tmp_path / "demo.rules"
        rules.write_text(MODEL, encoding="utf-8")
        teilhabe_rules.load(rules)
        rules.write_text(MODEL.replace("x * 2", "x * 3"), encoding="utf-8")
        model = teilhabe_rules.load(rules)
        assert len(counted) == 2
        assert model.evaluate({"x": 3}).value("y") == 9

    @pytest.mark.parametrize("setting", ["0", "aus", "off"])
    def test_switched_off_writes_nothing(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted: list[int], setting: str) -> None:
        monkeypatch.setenv("TEILHABE_RULES_CACHE", setting)
        monkeypatch.chdir(tmp_path)
        rules = tmp_path / "demo.rules"
        rules.write_text(MODEL, encoding="utf-8")
        teilhabe_rules.load(rules)
        teilhabe_rules.load(rules)
        assert cache.cache_dir() is None
        assert len(counted) == 2
        assert not list(tmp_path.rglob("*.pickle"))

    def test_damaged_entry_is_ignored_and_rewritten(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted: list[int]) -> None:
        folder = tmp_path / "cache"
        monkeypatch.setenv("TEILHABE_RULES_CACHE", str(folder))
        rules = tmp_path / "demo.rules"
        rules.write_text(MODEL, encoding="utf-8")
        teilhabe_rules.load(rules)
        (entry,) = folder.glob("*.pickle")
        entry.write_bytes(b"kaputt")
        model = teilhabe_rules.load(rules)
        assert len(counted) == 2
        assert model.evaluate({"x": 1}).value("y") == 2
        assert cache.lookup(MODEL, str(rules)) is not None

    def test_default_location_is_outside_the_package(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        monkeypatch.delenv("TEILHABE_RULES_CACHE")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
        folder = cache.cache_dir()
        assert folder == tmp_path / "teilhabe_rules"
        package = Path(teilhabe_rules.__file__).resolve().parent
        assert package not in folder.resolve().parents

    def test_a_model_with_errors_is_not_cached(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TEILHABE_RULES_CACHE", str(tmp_path / "cache"))
        rules = tmp_path / "bad.rules"
        rules.write_text(MODEL.replace("x * 2", "x + 2 EUR"), encoding="utf-8")
        with pytest.raises(teilhabe_rules.CheckError, match="Einheiten"):
            teilhabe_rules.load(rules)
        assert not list((tmp_path / "cache").glob("*.pickle")) if (tmp_path / "cache").exists() else True


class TestParserCache:
    """The built LALR parser is kept in the cache directory and loaded from there."""

    @pytest.fixture()
    def fresh(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
        """A process-like state: no parser built yet, the cache in ``tmp_path/cache``; the
        number of grammar analyses lark runs is counted."""
        monkeypatch.setenv("TEILHABE_RULES_CACHE", str(tmp_path / "cache"))
        builds: list[int] = []
        original = parser.lark.Lark.__init__

        def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            builds.append(1)
            original(self, *args, **kwargs)

        monkeypatch.setattr(parser.lark.Lark, "__init__", counting)
        parser.make_parser.cache_clear()
        yield builds
        parser.make_parser.cache_clear()

    def test_built_once_then_loaded(self, fresh: list[int], tmp_path: Path) -> None:
        built = parser.make_parser()
        (entry,) = (tmp_path / "cache").glob("parser-*.pickle")
        parser.make_parser.cache_clear()
        loaded = parser.make_parser()
        assert loaded is not built and len(fresh) == 1
        text = (Path(__file__).resolve().parent.parent / "models/mawo.rules").read_text("utf-8")
        assert loaded.parse(text, start="start") == built.parse(text, start="start")
        assert build_module(loaded.parse(text, start="start"), "m", text) == build_module(built.parse(text, start="start"), "m", text)

    def test_a_damaged_entry_is_rebuilt_silently(self, fresh: list[int], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        parser.make_parser()
        (entry,) = (tmp_path / "cache").glob("parser-*.pickle")
        entry.write_bytes(entry.read_bytes()[:1000])
        parser.make_parser.cache_clear()
        with pytest.raises(teilhabe_rules.RuleSyntaxError, match="Komma"):
            parser.parse_text('modell m\nende\nwert x = 1,5\n')
        assert len(fresh) == 2
        assert capsys.readouterr() == ("", "")
        assert cache.lookup_parser() is not None  # rewritten whole

    def test_switched_off_builds_every_process(self, fresh: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TEILHABE_RULES_CACHE", "aus")
        parser.make_parser()
        parser.make_parser.cache_clear()
        parser.make_parser()
        assert len(fresh) == 2
        assert not (tmp_path / "cache").exists()

    def test_entry_name_follows_grammar_and_lark(self, monkeypatch: pytest.MonkeyPatch) -> None:
        before = cache._parser_entry()
        monkeypatch.setattr(parser.lark, "__version__", "0.0.0")
        assert cache._parser_entry() != before


class TestVariantCache:
    """A variant is cached by its own text and the texts of its bases."""

    VARIANT = 'modell haus "Haus"\n  erweitert "mawo"\n  version "2"\n  gültig ab 01.01.2025\nende\nparameter fls_satz = 70.10 EUR/h\n'

    @pytest.fixture()
    def files(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
        monkeypatch.setenv("TEILHABE_RULES_CACHE", str(tmp_path / "cache"))
        base = tmp_path / "mawo.rules"
        base.write_text((Path(__file__).resolve().parent.parent / "models/mawo.rules").read_text("utf-8"), encoding="utf-8")
        variant = tmp_path / "haus.rules"
        variant.write_text(self.VARIANT, encoding="utf-8")
        return base, variant

    def test_second_load_is_a_hit(self, files: tuple[Path, Path], counted: list[int]) -> None:
        _, variant = files
        first = teilhabe_rules.load(variant)
        second = teilhabe_rules.load(variant)
        assert len(counted) == 1
        assert second.checked.parameters["fls_satz"].default == first.checked.parameters["fls_satz"].default
        assert str(second.checked.parameters["fls_satz"].default).startswith("70.1")

    def test_an_edit_of_the_base_is_a_miss(self, files: tuple[Path, Path], counted: list[int]) -> None:
        base, variant = files
        teilhabe_rules.load(variant)
        base.write_text(base.read_text("utf-8").replace("= 1:50", "= 1:40", 1), encoding="utf-8")
        teilhabe_rules.load(variant)
        assert len(counted) == 2

    def test_a_missing_base_is_reported_not_cached(self, files: tuple[Path, Path], tmp_path: Path) -> None:
        _, variant = files
        variant.write_text(self.VARIANT.replace('"mawo"', '"mawoo"'), encoding="utf-8")
        with pytest.raises(teilhabe_rules.CheckError, match="nicht gefunden"):
            teilhabe_rules.load(variant)
        assert not list((tmp_path / "cache").glob("[0-9a-f]*.pickle")) if (tmp_path / "cache").exists() else True
