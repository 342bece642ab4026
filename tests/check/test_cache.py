"""The cache of checked models and of the parser: hits and misses, data-only entries verified by a
checksum, a key that covers the library's code, and a directory that must be the user's own."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import pickle
import random
import shutil
import stat
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

import teilhabe_rules
from teilhabe_rules import cache, registry
from teilhabe_rules.check import checker
from teilhabe_rules.ir import serial
from teilhabe_rules.syntax import parser
from teilhabe_rules.syntax.builder import build_module
from teilhabe_rules.tools.testing import run_examples

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(teilhabe_rules.__file__).resolve().parent

MODEL = """modell demo "Demo"
  version "1"
  gültig ab 01.01.2024
ende
eingabe x: zahl h/Jahr von 0 bis 10
wert y: h/Jahr = x * 2
"""

#: The bundled models and the examples' variant (whose entry is keyed by its base's text too).
BUNDLED = [
    *sorted((ROOT / "models").glob("*.rules")),
    ROOT / "examples/versionen/stundensatz.rules",
]


def model_entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("model-*.entry"))


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = checker.check_module

    def counting(module, text):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(module, text)

    monkeypatch.setattr("teilhabe_rules.check.checker.check_module", counting)  # loading imports it on use
    return calls


@pytest.fixture(autouse=True)
def parser_built() -> Iterator[None]:
    """The parser is built (once per process) before a test points the cache elsewhere, so the
    folders below hold only the entries their tests write; the record of directories already
    warned about is cleared."""
    parser.make_parser()
    cache._warned.clear()
    yield
    cache._warned.clear()


@pytest.fixture()
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small rule file, and the cache in ``tmp_path/cache``."""
    monkeypatch.setenv("TEILHABE_RULES_CACHE", str(tmp_path / "cache"))
    rules = tmp_path / "demo.rules"
    rules.write_text(MODEL, encoding="utf-8")
    return rules


class TestCache:
    """Hits, misses, switching off and damaged entries."""

    def test_second_load_is_a_hit_with_equal_results(
        self, demo: Path, tmp_path: Path, counted: list[int]
    ) -> None:
        first = teilhabe_rules.load(demo)
        second = teilhabe_rules.load(demo)
        assert len(counted) == 1
        assert first.evaluate({"x": 3}).to_dict() == second.evaluate({"x": 3}).to_dict()
        assert len(model_entries(tmp_path / "cache")) == 1

    def test_an_edit_is_a_miss(self, demo: Path, counted: list[int]) -> None:
        teilhabe_rules.load(demo)
        demo.write_text(MODEL.replace("x * 2", "x * 3"), encoding="utf-8")
        model = teilhabe_rules.load(demo)
        assert len(counted) == 2
        assert model.evaluate({"x": 3}).value("y") == 9

    @pytest.mark.parametrize("setting", ["0", "aus", "off"])
    def test_switched_off_writes_nothing(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted: list[int], setting: str
    ) -> None:
        monkeypatch.setenv("TEILHABE_RULES_CACHE", setting)
        monkeypatch.chdir(tmp_path)
        rules = tmp_path / "demo.rules"
        rules.write_text(MODEL, encoding="utf-8")
        teilhabe_rules.load(rules)
        teilhabe_rules.load(rules)
        assert cache.cache_dir() is None
        assert len(counted) == 2
        assert [p.name for p in tmp_path.rglob("*")] == ["demo.rules"]

    def test_damaged_entry_is_ignored_and_rewritten(
        self, demo: Path, tmp_path: Path, counted: list[int]
    ) -> None:
        teilhabe_rules.load(demo)
        (entry,) = model_entries(tmp_path / "cache")
        entry.write_bytes(b"kaputt")
        model = teilhabe_rules.load(demo)
        assert len(counted) == 2
        assert model.evaluate({"x": 1}).value("y") == 2
        assert cache.lookup(MODEL, str(demo)) is not None

    def test_default_location_is_outside_the_package(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.delenv("TEILHABE_RULES_CACHE")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
        folder = cache.cache_dir()
        assert folder == tmp_path / "teilhabe_rules"
        assert PACKAGE not in folder.resolve().parents

    def test_the_platform_decides_the_default_places(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """platformdirs names the directories (Windows: under %LOCALAPPDATA%); the key stays
        outside the cache directory."""
        import platformdirs

        monkeypatch.delenv("TEILHABE_RULES_CACHE")
        monkeypatch.delenv("TEILHABE_RULES_CACHE_KEY")
        monkeypatch.setattr(sys, "platform", "win32")  # Linux reads the XDG directories itself
        local = tmp_path / "AppData" / "Local"
        monkeypatch.setattr(platformdirs, "user_cache_dir",
                            lambda app, appauthor=None: str(local / app / "Cache"))
        monkeypatch.setattr(platformdirs, "user_config_dir", lambda app, appauthor=None: str(local / app))
        folder, key = cache.cache_dir(), cache.key_file()
        assert folder == local / "teilhabe_rules" / "Cache"
        assert key == local / "teilhabe_rules" / "cache-schluessel"
        assert folder not in key.parents

    @pytest.mark.skipif(sys.platform != "linux", reason="the XDG directories are read without platformdirs on Linux")
    @pytest.mark.parametrize("cache_home", [None, "", "   ", "/var/tmp/c"])
    @pytest.mark.parametrize("config_home", [None, "", "/var/tmp/k"])
    def test_on_linux_the_places_are_platformdirs_own(
        self, monkeypatch: pytest.MonkeyPatch, cache_home: str | None, config_home: str | None
    ) -> None:
        import platformdirs

        monkeypatch.delenv("TEILHABE_RULES_CACHE")
        monkeypatch.delenv("TEILHABE_RULES_CACHE_KEY")
        for variable, value in (("XDG_CACHE_HOME", cache_home), ("XDG_CONFIG_HOME", config_home)):
            if value is None:
                monkeypatch.delenv(variable, raising=False)
            else:
                monkeypatch.setenv(variable, value)
        assert cache.cache_dir() == Path(platformdirs.user_cache_dir("teilhabe_rules", appauthor=False))
        config = Path(platformdirs.user_config_dir("teilhabe_rules", appauthor=False))
        assert cache.key_file() == config / "cache-schluessel"

    def test_the_default_key_is_outside_the_default_cache(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.delenv("TEILHABE_RULES_CACHE")
        monkeypatch.delenv("TEILHABE_RULES_CACHE_KEY")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
        assert cache.key_file() == tmp_path / "config" / "teilhabe_rules" / "cache-schluessel"
        folder = cache.cache_dir()
        assert folder is not None and folder not in (cache.key_file() or folder).parents

    def test_no_home_directory_means_no_cache(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, counted: list[int]
    ) -> None:
        monkeypatch.delenv("TEILHABE_RULES_CACHE")
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

        def homeless() -> Path:
            raise RuntimeError("Could not determine home directory.")

        monkeypatch.setattr(Path, "home", homeless)
        assert cache.cache_dir() is None
        rules = tmp_path / "demo.rules"
        rules.write_text(MODEL, encoding="utf-8")
        assert teilhabe_rules.load(rules).evaluate({"x": 1}).value("y") == 2

    def test_a_model_with_errors_is_not_cached(self, demo: Path, tmp_path: Path) -> None:
        demo.write_text(MODEL.replace("x * 2", "x + 2 EUR"), encoding="utf-8")
        with pytest.raises(teilhabe_rules.CheckError, match="Einheiten"):
            teilhabe_rules.load(demo)
        assert not (tmp_path / "cache").exists() or not model_entries(tmp_path / "cache")


class TestKey:
    """The key that signs the entries lies outside the cache directory and is the user's secret."""

    def test_created_private_on_first_use(
        self, demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        key = tmp_path / "konfig" / "schluessel"
        monkeypatch.setenv("TEILHABE_RULES_CACHE_KEY", str(key))
        teilhabe_rules.load(demo)
        assert len(key.read_bytes()) == 32 and stat.S_IMODE(key.stat().st_mode) == 0o600
        assert model_entries(tmp_path / "cache")

    @pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX modes")
    @pytest.mark.parametrize("problem", ["readable by others", "inside the cache", "wrong size"])
    def test_an_unsafe_key_switches_the_cache_off(
        self, demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, problem: str
    ) -> None:
        key = tmp_path / ("cache" if problem == "inside the cache" else "konfig") / "schluessel"
        key.parent.mkdir(mode=0o700)
        key.write_bytes(b"k" * (31 if problem == "wrong size" else 32))
        key.chmod(0o644 if problem == "readable by others" else 0o600)
        monkeypatch.setenv("TEILHABE_RULES_CACHE_KEY", str(key))
        with pytest.warns(cache.CacheWarning, match="Schlüsseldatei"):
            assert teilhabe_rules.load(demo).evaluate({"x": 1}).value("y") == 2
        assert not model_entries(tmp_path / "cache")

    def test_entries_signed_with_another_key_are_misses(
        self, demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted: list[int]
    ) -> None:
        """A cache restored from another machine (another key) is checked anew, entry by entry."""
        teilhabe_rules.load(demo)
        monkeypatch.setenv("TEILHABE_RULES_CACHE_KEY", str(tmp_path / "anderer-schluessel"))
        teilhabe_rules.load(demo)
        assert len(counted) == 2


class TestEntries:
    """An entry is a header with a checksum and a data payload; anything else is a miss."""

    @pytest.fixture()
    def entry(self, demo: Path, tmp_path: Path) -> Path:
        teilhabe_rules.load(demo)
        (entry,) = model_entries(tmp_path / "cache")
        return entry

    def test_layout(self, entry: Path) -> None:
        head, payload = entry.read_bytes().split(b"\n", 1)
        assert head.startswith(b"teilhabe-rules-cache ") and b" hmac-sha256=" in head
        assert serial.decode_model(payload).info.name == "demo"
        assert stat.S_IMODE(entry.stat().st_mode) & 0o077 == 0

    @pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "header only", "append"])
    def test_damage_fails_the_checksum(
        self, entry: Path, demo: Path, counted: list[int], damage: str
    ) -> None:
        blob = entry.read_bytes()
        head, payload = blob.split(b"\n", 1)
        middle = len(payload) // 2
        entry.write_bytes(
            {
                "flip": head
                + b"\n"
                + payload[:middle]
                + bytes([payload[middle] ^ 1])
                + payload[middle + 1 :],
                "truncate": blob[:-1],
                "empty": b"",
                "header only": head + b"\n",
                "append": blob + b" ",
            }[damage]
        )
        assert cache.lookup(MODEL, str(demo)) is None
        teilhabe_rules.load(demo)
        assert len(counted) == 1 and entry.read_bytes() == blob  # checked anew and rewritten

    def test_an_entry_under_another_name_is_a_miss(
        self, demo: Path, tmp_path: Path, counted: list[int]
    ) -> None:
        """A genuine entry of another model, copied over this one, fails the checksum (it covers
        the entry's name); with the checksum recomputed it fails the comparison of texts."""
        teilhabe_rules.load(demo)
        other = tmp_path / "other.rules"
        other.write_text(MODEL.replace("x * 2", "x * 5"), encoding="utf-8")
        teilhabe_rules.load(other)
        mine, theirs = (tmp_path / "cache" / cache._model_entry(MODEL, str(demo))), None
        (theirs,) = [e for e in model_entries(tmp_path / "cache") if e != mine]
        mine.write_bytes(theirs.read_bytes())
        assert cache.lookup(MODEL, str(demo)) is None
        payload = theirs.read_bytes().split(b"\n", 1)[1]
        mine.write_bytes(cache._header(mine.name, payload) + payload)
        assert cache.lookup(MODEL, str(demo)) is None
        assert teilhabe_rules.load(demo).evaluate({"x": 1}).value("y") == 2

    def test_a_forged_entry_is_a_miss(self, entry: Path, demo: Path, counted: list[int]) -> None:
        """A well-formed entry that computes something else, signed without the key (with the
        plain SHA-256 a forger can compute, or with another key), is a miss and is rewritten."""
        blob = entry.read_bytes()
        payload = blob.split(b"\n", 1)[1]
        forged = payload.replace(b'["o","Const",["D","2"]', b'["o","Const",["D","3"]')
        assert forged != payload
        plain = hashlib.sha256(entry.name.encode() + b"\0" + forged).hexdigest().encode()
        signed = hmac.new(b"k" * 32, entry.name.encode() + b"\0" + forged, hashlib.sha256)
        other = signed.hexdigest().encode()
        for head in (
            b"teilhabe-rules-cache 3 sha256=" + plain,
            b"teilhabe-rules-cache 3 hmac-sha256=" + plain,
            b"teilhabe-rules-cache 3 hmac-sha256=" + other,
        ):
            entry.write_bytes(head + b"\n" + forged)
            assert cache.lookup(MODEL, str(demo)) is None
        assert teilhabe_rules.load(demo).evaluate({"x": 1}).value("y") == 2
        assert entry.read_bytes() == blob
        # the forgery is well-formed: signed with the key, it would be taken (and compute 3)
        entry.write_bytes(cache._header(entry.name, forged) + forged)
        assert teilhabe_rules.load(demo).evaluate({"x": 1}).value("y") == 3

    @pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="POSIX O_NOFOLLOW")
    def test_a_symbolic_link_is_not_followed(self, entry: Path, demo: Path, tmp_path: Path) -> None:
        target = tmp_path / "elsewhere"
        shutil.copy(entry, target)
        entry.unlink()
        entry.symlink_to(target)
        assert cache.lookup(MODEL, str(demo)) is None
        teilhabe_rules.load(demo)
        assert not entry.is_symlink() and target.read_bytes() == entry.read_bytes()

    @pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
    def test_a_fifo_does_not_block(self, entry: Path, demo: Path) -> None:
        entry.unlink()
        os.mkfifo(entry)
        assert cache.lookup(MODEL, str(demo)) is None  # returns at once: opened without blocking
        teilhabe_rules.load(demo)
        assert entry.is_file()

    def test_an_oversized_entry_is_not_read(
        self, entry: Path, demo: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(cache, "MAX_ENTRY_BYTES", entry.stat().st_size - 1)
        assert cache.lookup(MODEL, str(demo)) is None

    def test_a_model_the_encoding_cannot_hold_is_not_stored(
        self, demo: Path, tmp_path: Path
    ) -> None:
        model = teilhabe_rules.load(demo).checked
        odd = attrs.evolve(model, templates={"t": 1.5})
        cache.store(odd, "anders", "anders.rules")
        assert len(model_entries(tmp_path / "cache")) == 1


@pytest.fixture(scope="module")
def entry_data(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The payload of a parser entry as the cache writes it."""
    folder = tmp_path_factory.mktemp("parser") / "cache"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("TEILHABE_RULES_CACHE", str(folder))
        cache.store_parser(parser.make_parser())
    (entry,) = folder.glob("parser-*.entry")
    return entry.read_bytes().split(b"\n", 1)[1]


class TestParserCache:
    """The built LALR parser is kept in the cache directory as data and loaded from there."""

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
        (entry,) = (tmp_path / "cache").glob("parser-*.entry")
        parser.make_parser.cache_clear()
        loaded = parser.make_parser()
        assert loaded is not built and len(fresh) == 1
        assert type(loaded.options.postlex) is parser.BracketPostLexer
        text = (ROOT / "models/mawo.rules").read_text("utf-8")
        assert loaded.parse(text, start="start") == built.parse(text, start="start")
        assert build_module(loaded.parse(text, start="start"), "m", text) == build_module(
            built.parse(text, start="start"), "m", text
        )

    def test_a_damaged_entry_is_rebuilt_silently(
        self, fresh: list[int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        parser.make_parser()
        (entry,) = (tmp_path / "cache").glob("parser-*.entry")
        entry.write_bytes(entry.read_bytes()[:1000])
        parser.make_parser.cache_clear()
        with pytest.raises(teilhabe_rules.RuleSyntaxError, match="Komma"):
            parser.parse_text("modell m\nende\nwert x = 1,5\n")
        assert len(fresh) == 2
        assert capsys.readouterr() == ("", "")
        assert cache.lookup_parser() is not None  # rewritten whole

    def test_switched_off_builds_every_process(
        self, fresh: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
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

    @staticmethod
    def _plant(folder: Path, data: Any) -> None:
        """Write ``data`` as the parser entry, with a valid checksum."""
        folder.mkdir(mode=0o700, exist_ok=True)
        name = cache._parser_entry()
        payload = serial.encode(data)
        (folder / name).write_bytes(cache._header(name, payload) + payload)

    def test_unchanged_data_under_a_fresh_checksum_loads(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry_data: bytes
    ) -> None:
        monkeypatch.setenv("TEILHABE_RULES_CACHE", str(tmp_path / "cache"))
        self._plant(tmp_path / "cache", serial.decode(entry_data, classes={}))
        assert cache.lookup_parser() is not None

    @pytest.mark.parametrize(
        "change",
        [
            pytest.param(
                lambda d: d["data"]["options"].update(tree_class="print"), id="a callable option"
            ),
            pytest.param(
                lambda d: d["data"]["options"].update(lexer_callbacks={"NAME": "print"}),
                id="lexer callbacks",
            ),
            pytest.param(lambda d: d["data"]["options"].update(postlex="x"), id="a post-lexer"),
            pytest.param(
                lambda d: d["data"]["options"].update(unbekannt=1), id="an unknown option"
            ),
            pytest.param(
                lambda d: d["memo"][1].update(__type__="Popen"),
                id="a class outside lark's namespace",
            ),
            pytest.param(
                lambda d: d["memo"][1]["pattern"].update(__type__="Lark"),
                id="a lark class outside the namespace",
            ),
            pytest.param(
                lambda d: d["memo"][1]["pattern"].update(value="(unclosed"),
                id="a broken regular expression",
            ),
            pytest.param(
                lambda d: next(v for v in d["memo"].values() if v["__type__"] == "Rule")[
                    "origin"
                ].update(name="__init__"),
                id="a dunder rule name",
            ),
            pytest.param(lambda d: d["data"].update(parser=["l"]), id="a wrong shape"),
        ],
    )
    def test_planted_parser_data_is_a_miss(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry_data: bytes, change: Any
    ) -> None:
        """An entry of lark's data form, changed and given a valid checksum, does not load."""
        monkeypatch.setenv("TEILHABE_RULES_CACHE", str(tmp_path / "cache"))
        data = serial.decode(entry_data, classes={})
        change(data)
        self._plant(tmp_path / "cache", data)
        assert cache.lookup_parser() is None


class TestVariantCache:
    """A variant is cached by its own text and the texts of its bases."""

    VARIANT = (
        'modell haus "Haus"\n  erweitert "mawo"\n  version "2"\n  gültig ab 01.01.2025\nende\n'
        "parameter fls_satz = 70.10 EUR/h\n"
    )

    @pytest.fixture()
    def files(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
        monkeypatch.setenv("TEILHABE_RULES_CACHE", str(tmp_path / "cache"))
        base = tmp_path / "mawo.rules"
        base.write_text((ROOT / "models/mawo.rules").read_text("utf-8"), encoding="utf-8")
        variant = tmp_path / "haus.rules"
        variant.write_text(self.VARIANT, encoding="utf-8")
        return base, variant

    def test_second_load_is_a_hit(self, files: tuple[Path, Path], counted: list[int]) -> None:
        _, variant = files
        first = teilhabe_rules.load(variant)
        second = teilhabe_rules.load(variant)
        assert len(counted) == 1
        assert (
            second.checked.parameters["fls_satz"].default
            == first.checked.parameters["fls_satz"].default
        )
        assert str(second.checked.parameters["fls_satz"].default).startswith("70.1")

    def test_an_edit_of_the_base_is_a_miss(
        self, files: tuple[Path, Path], counted: list[int]
    ) -> None:
        base, variant = files
        teilhabe_rules.load(variant)
        base.write_text(base.read_text("utf-8").replace("= 1:50", "= 1:40", 1), encoding="utf-8")
        teilhabe_rules.load(variant)
        assert len(counted) == 2

    def test_a_missing_base_is_reported_not_cached(
        self, files: tuple[Path, Path], tmp_path: Path
    ) -> None:
        _, variant = files
        variant.write_text(self.VARIANT.replace('"mawo"', '"mawoo"'), encoding="utf-8")
        with pytest.raises(teilhabe_rules.CheckError, match="nicht gefunden"):
            teilhabe_rules.load(variant)
        assert not (tmp_path / "cache").exists() or not model_entries(tmp_path / "cache")


def _subprocess_env(folder: Path, pythonpath: Path | None = None) -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("COV_", "PYTEST_"))
    }
    env["TEILHABE_RULES_CACHE"] = str(folder)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


class TestKeyCoversTheCode:
    """A change of any of the library's source files — in a subpackage too — or of its grammar
    is a miss."""

    @pytest.fixture()
    def copy(self, tmp_path: Path) -> Path:
        """A copy of the package, with a subpackage (as there will be some)."""
        copy = tmp_path / "src" / "teilhabe_rules"
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (copy / "_probe").mkdir()
        (copy / "_probe" / "__init__.py").write_text('"""A subpackage."""\n', encoding="utf-8")
        # a checkout's layout: the grammar and the models beside src/
        shutil.copytree(ROOT / "grammars", tmp_path / "grammars")
        shutil.copytree(ROOT / "models", tmp_path / "models")
        return copy

    def test_an_edited_copy_of_the_library_misses(self, tmp_path: Path, copy: Path) -> None:
        """Two processes run the copy; between them a comment is appended to one module."""
        rules = tmp_path / "demo.rules"
        rules.write_text(MODEL, encoding="utf-8")
        folder = tmp_path / "cache"
        script = (
            "import sys, teilhabe_rules\n"
            "assert teilhabe_rules.__file__.startswith(sys.argv[1]), teilhabe_rules.__file__\n"
            "model = teilhabe_rules.load(sys.argv[2])\n"
            "assert teilhabe_rules.load(sys.argv[2]).checked is not model.checked\n"
            "print(model.evaluate({'x': 2}).value('y'))\n"
        )

        def run() -> list[str]:
            done = subprocess.run(
                [sys.executable, "-c", script, str(copy), str(rules)],
                capture_output=True,
                text=True,
                env=_subprocess_env(folder, tmp_path / "src"),
                timeout=120,
            )
            assert done.returncode == 0, done.stderr
            assert done.stdout.strip() == "4"
            return [entry.name for entry in model_entries(folder)]

        first = run()
        assert len(first) == 1
        with (copy / "units.py").open("a", encoding="utf-8") as handle:
            handle.write("# a comment changes the code\n")
        second = run()
        assert len(second) == 2 and set(first) < set(second)
        assert len(list(folder.glob("parser-*.entry"))) == 2  # the parser's key covers the code too

    @pytest.mark.parametrize("edit", ["_probe/__init__.py", "../../grammars/teilhabe.lark", "checker.py"])
    def test_every_file_of_the_package_is_in_the_key(
        self, copy: Path, monkeypatch: pytest.MonkeyPatch, edit: str
    ) -> None:
        monkeypatch.setattr(cache, "__file__", str(copy / "cache.py"))
        monkeypatch.setattr(cache, "grammar_file", lambda: copy.parents[1] / "grammars" / "teilhabe.lark")
        cache._salt.cache_clear()
        try:
            before = cache._model_entry(MODEL, "demo.rules")
            with (copy / edit).open("a", encoding="utf-8") as handle:
                handle.write("\n// x\n" if edit.endswith(".lark") else "\n# x\n")
            cache._salt.cache_clear()
            assert cache._model_entry(MODEL, "demo.rules") != before
        finally:
            cache._salt.cache_clear()


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX owners and mode bits")
class TestDirectory:
    """The cache directory is created private; one others may write to is refused with a warning."""

    def test_created_with_mode_0700(self, demo: Path, tmp_path: Path) -> None:
        old = os.umask(0)
        try:
            teilhabe_rules.load(demo)
        finally:
            os.umask(old)
        folder = tmp_path / "cache"
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert all(stat.S_IMODE(entry.stat().st_mode) == 0o600 for entry in folder.iterdir())

    def test_an_existing_private_directory_is_used(self, demo: Path, tmp_path: Path) -> None:
        (tmp_path / "cache").mkdir(mode=0o755)  # readable by others is fine: they cannot plant
        teilhabe_rules.load(demo)
        assert len(model_entries(tmp_path / "cache")) == 1

    @pytest.mark.parametrize("mode", [0o770, 0o703, 0o777, 0o1777])
    def test_writable_by_others_is_refused(
        self, demo: Path, tmp_path: Path, counted: list[int], mode: int
    ) -> None:
        folder = tmp_path / "cache"
        folder.mkdir()
        folder.chmod(mode)
        with pytest.warns(
            cache.CacheWarning, match=r"ausgeschaltet: .* ist für andere beschreibbar"
        ):
            model = teilhabe_rules.load(demo)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # warned once per process, not on every load
            teilhabe_rules.load(demo)
        assert model.evaluate({"x": 1}).value("y") == 2
        assert len(counted) == 2 and list(folder.iterdir()) == []

    def test_planted_entries_in_a_refused_directory_are_not_read(
        self, demo: Path, tmp_path: Path, counted: list[int]
    ) -> None:
        teilhabe_rules.load(demo)
        (tmp_path / "cache").chmod(0o777)
        with pytest.warns(cache.CacheWarning):
            teilhabe_rules.load(demo)
        assert len(counted) == 2

    def test_owned_by_another_user_is_refused(
        self, demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted: list[int]
    ) -> None:
        folder = tmp_path / "cache"
        folder.mkdir(mode=0o700)
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            os.chown(folder, 4321, -1)
        else:
            monkeypatch.setattr(cache.os, "geteuid", lambda: folder.stat().st_uid + 1)
        with pytest.warns(cache.CacheWarning, match="gehört einem anderen Benutzer"):
            teilhabe_rules.load(demo)
        assert list(folder.iterdir()) == []

    def test_the_command_line_says_so_on_stderr(self, tmp_path: Path) -> None:
        folder = tmp_path / "cache"
        folder.mkdir()
        folder.chmod(0o777)
        done = subprocess.run(
            [sys.executable, "-m", "teilhabe_rules", "check", str(ROOT / "models/bei_nrw2.rules")],
            capture_output=True,
            text=True,
            env=_subprocess_env(folder),
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "teilhabe-rules: warnung: Der Cache ist ausgeschaltet" in done.stderr
        assert list(folder.iterdir()) == []


# --------------------------------------------------------------------------------------
# A planted entry of any format runs nothing
# --------------------------------------------------------------------------------------


class Plant:
    """Unpickling this creates the directory ``marker``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self) -> Any:
        return (os.mkdir, (str(self.marker),))


KINDS = [
    "pickle",
    "pickle under a valid checksum",
    "a foreign class under a valid checksum",
    "truncated",
    "random bytes",
]


def _plant(entry: Path, kind: str, marker: Path) -> None:
    trap = pickle.dumps(Plant(marker))
    foreign = json.dumps(["o", "Popen", ["l", "touch", str(marker)]]).encode()
    original = entry.read_bytes()
    entry.write_bytes(
        {
            "pickle": trap,
            "pickle under a valid checksum": cache._header(entry.name, trap) + trap,
            "a foreign class under a valid checksum": cache._header(entry.name, foreign) + foreign,
            "truncated": original[: len(original) // 2],
            "random bytes": random.Random(entry.name).randbytes(4096),
        }[kind]
    )


def _fill(folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Load every bundled model with the cache in ``folder`` (the parser built and stored too);
    give what their examples give. (Some examples load the bundled models of the package too:
    those are loaded anew as well.)"""
    monkeypatch.setenv("TEILHABE_RULES_CACHE", str(folder))
    registry.bundled.cache_clear()
    registry.bundled_models.cache_clear()
    parser.make_parser.cache_clear()
    parser.make_parser()
    for copy in _copies():  # entries of their own (a model's entry is keyed by its file name too)
        teilhabe_rules.load(copy)
    return {
        str(path): [attrs.astuple(o) for o in run_examples(teilhabe_rules.load(path))]
        for path in BUNDLED
    }


@functools.lru_cache(maxsize=1)
def _copies() -> tuple[Path, ...]:
    """Copies of the bundled models under other names in a folder of their own (a variant's
    base is the bundled one): more entries to plant in."""
    folder = Path(tempfile.mkdtemp(prefix="teilhabe-rules-kopien-"))
    copies = []
    for path in sorted((ROOT / "models").glob("*.rules")):
        copy = folder / f"kopie_{path.name}"
        copy.write_text(path.read_text("utf-8"), encoding="utf-8")
        copies.append(copy)
    return tuple(copies)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A cache directory filled by loading every bundled model, and what their examples give."""
    folder = tmp_path_factory.mktemp("filled") / "cache"
    with pytest.MonkeyPatch.context() as monkeypatch:
        return folder, _fill(folder, monkeypatch)


class TestPlantedEntries:
    """Whatever is planted in the entry files, loading runs nothing, gives the right results and
    rewrites the entries."""

    def test_the_trap_works(self, tmp_path: Path) -> None:
        """The planted pickle does run code when unpickled (so the tests below mean something)."""
        pickle.loads(pickle.dumps(Plant(tmp_path / "ran")))  # noqa: S301 - the point of the test
        assert (tmp_path / "ran").exists()

    def test_every_kind_in_process(
        self, filled: tuple[Path, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The kinds of plant spread over the entries; then the models load (and the parser is
        built, as in a new process) with the examples giving what they gave."""
        folder = tmp_path / "cache"
        shutil.copytree(filled[0], folder)
        entries = sorted(folder.iterdir())
        assert len(entries) >= 2 * len(KINDS) and len(list(folder.glob("parser-*.entry"))) == 1
        marker = tmp_path / "ran"
        for index, entry in enumerate(entries):
            _plant(entry, KINDS[index % len(KINDS)], marker)
        planted = {entry: entry.read_bytes() for entry in entries}
        assert _fill(folder, monkeypatch) == filled[1]
        assert not marker.exists()
        assert sorted(folder.iterdir()) == entries
        for entry in entries:  # each rewritten whole
            assert entry.read_bytes() != planted[entry]
            payload = cache._read(folder, entry.name)
            assert payload is not None
            if entry.name.startswith("model-"):
                serial.decode_model(payload)
        parser.make_parser.cache_clear()
        assert cache.lookup_parser() is not None

    @pytest.mark.parametrize("kind", KINDS)
    def test_each_kind_in_every_entry(
        self,
        filled: tuple[Path, dict[str, Any]],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        counted: list[int],
        kind: str,
    ) -> None:
        """Every entry holds the same plant: each model load is a miss (checked anew) and
        rewrites its entry, the parser's entry is a miss."""
        folder = tmp_path / "cache"
        shutil.copytree(filled[0], folder)
        marker = tmp_path / "ran"
        for entry in folder.iterdir():
            _plant(entry, kind, marker)
        monkeypatch.setenv("TEILHABE_RULES_CACHE", str(folder))
        assert cache.lookup_parser() is None
        for path in BUNDLED:
            teilhabe_rules.load(path)
        assert not marker.exists()
        assert len(counted) == len(BUNDLED)
        for path in BUNDLED:  # rewritten: now a hit
            teilhabe_rules.load(path)
        assert len(counted) == len(BUNDLED)

    def test_command_line(self, tmp_path: Path) -> None:
        """The attack: every entry overwritten with a pickle that runs code, then
        ``teilhabe-rules check models/mawo.rules``."""
        folder = tmp_path / "cache"
        command = [sys.executable, "-m", "teilhabe_rules", "check", str(ROOT / "models/mawo.rules")]
        first = subprocess.run(
            command, capture_output=True, text=True, env=_subprocess_env(folder), timeout=120
        )
        assert first.returncode == 0, first.stderr
        entries = sorted(folder.iterdir())
        assert [entry.name.split("-")[0] for entry in entries] == ["code", "model", "parser"]
        marker = tmp_path / "ran"
        kinds = ["pickle under a valid checksum", "pickle", "pickle under a valid checksum"]
        for entry, kind in zip(entries, kinds, strict=True):
            _plant(entry, kind, marker)
        again = subprocess.run(
            command, capture_output=True, text=True, env=_subprocess_env(folder), timeout=120
        )
        assert (again.returncode, again.stdout, again.stderr) == (
            first.returncode,
            first.stdout,
            first.stderr,
        )
        assert not marker.exists()
        assert all(cache._read(folder, entry.name) is not None for entry in entries)


class TestCodeDigest:
    """The digest of the library's code is kept in the cache under the files' stat records: read
    back by the next process instead of every source file, and computed anew where that entry is
    missing, damaged or planted."""

    @pytest.fixture()
    def memo(self, demo: Path, tmp_path: Path) -> Iterator[Path]:
        cache._salt.cache_clear()
        try:
            teilhabe_rules.load(demo)  # creates the directory, computes the digest
            cache._salt.cache_clear()
            digest = cache._salt()  # now into the directory
            (memo,) = (tmp_path / "cache").glob("code-*.entry")
            assert cache._read(tmp_path / "cache", memo.name) == digest
            yield memo
        finally:
            cache._salt.cache_clear()

    def test_read_back_without_reading_the_sources(self, memo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        digest = cache._salt()
        cache._salt.cache_clear()

        def unreadable(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("a source file read")

        monkeypatch.setattr(cache, "open", unreadable, raising=False)
        assert cache._salt() == digest
        monkeypatch.undo()
        memo.unlink()
        cache._salt.cache_clear()
        assert cache._salt() == digest  # computed from the sources: the same

    @pytest.mark.parametrize("kind", [*KINDS, "another digest"])
    def test_a_damaged_or_planted_entry_is_computed_anew_and_rewritten(
        self, memo: Path, demo: Path, tmp_path: Path, kind: str, counted: list[int]
    ) -> None:
        digest = cache._salt()
        marker = tmp_path / "ran"
        if kind == "another digest":  # a digest of other code, unsigned (the key is not in the cache)
            memo.write_bytes(memo.read_bytes().split(b"\n", 1)[0] + b"\n" + hashlib.sha256(b"x").digest())
        else:
            _plant(memo, kind, marker)
        cache._salt.cache_clear()
        assert cache._salt() == digest
        assert cache._read(memo.parent, memo.name) == digest
        assert not marker.exists()
        teilhabe_rules.load(demo)  # the model's entry is found under the right digest
        assert counted == []

    def test_a_changed_source_file_changes_the_entry_s_name(
        self, memo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """A copy of the library: the stat records differ from the original's, and appending to
        a module changes them again."""
        copy = tmp_path / "src" / "teilhabe_rules"
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        monkeypatch.setattr(cache, "__file__", str(copy / "cache.py"))
        cache._salt.cache_clear()
        digest = cache._salt()  # the same code
        names = {entry.name for entry in memo.parent.glob("code-*.entry")}
        assert len(names) == 2
        with (copy / "units.py").open("a", encoding="utf-8") as handle:
            handle.write("# x\n")
        cache._salt.cache_clear()
        assert cache._salt() != digest
        assert len({entry.name for entry in memo.parent.glob("code-*.entry")} - names) == 1
