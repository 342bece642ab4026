"""A JSON Lines file of the columnar generator is written by DuckDB itself, on all threads: it holds
byte for byte the lines a text stream gets from Python (:func:`generate._lines`, the ordered query)."""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import teilhabe_rules
from teilhabe_rules.tools import generate as generate_module
from teilhabe_rules.tools.generate import write_population

MODELS = {name: teilhabe_rules.bundled(name) for name in ("mawo", "mawo_2025", "bei_nrw2", "bei_nrw3")}
# quotes, backslashes, control characters, non-ASCII, beyond the BMP, separators JSON may leave raw
HARD_TEXTS = ('Zitat "x" \\ Ende', "\\", '"', "Ä Ö Ü ß é „“", "😀 𝄞 \U0010ffff", "Zeile 1\nZeile 2\r\t",
              "\x00\x01\x1f\x7f\x80\x9f", "\u2028\u2029 </script> & '", "", ",;|\x01")


def streamed(name: str, n: int, seed: int, split: str | None = None, ascii_only: bool = False) -> bytes:
    out = io.StringIO()
    assert write_population(MODELS[name], n, seed, out, split=split, ascii_only=ascii_only) == n
    return out.getvalue().encode("utf-8")


def filed(name: str, n: int, seed: int, path: Path, split: str | None = None, threads: int = 2,
          ascii_only: bool = False) -> bytes:
    assert write_population(MODELS[name], n, seed, path, split=split, threads=threads, ascii_only=ascii_only) == n
    return path.read_bytes()


def lines(data: bytes) -> list[bytes]:
    """The lines of a JSON Lines file (split at ``\\n`` only: U+2028 may stand raw in a JSON text)."""
    assert data.endswith(b"\n") or not data
    return data.split(b"\n")[:-1]


@pytest.mark.parametrize(("name", "n", "seed", "split"), [
    ("mawo", 300, 1, "bewohner"), ("mawo", 120, 7, None), ("mawo_2025", 150, 2, None),
    ("bei_nrw2", 200, 4, None), ("bei_nrw3", 150, 5, None), ("mawo", 1, 3, "bewohner"), ("mawo", 0, 1, "bewohner")])
def test_the_file_holds_the_lines_of_the_stream(name: str, n: int, seed: int, split: str | None,
                                                tmp_path: Path) -> None:
    expected = streamed(name, n, seed, split)
    assert filed(name, n, seed, tmp_path / "zwei.jsonl", split) == expected
    assert filed(name, n, seed, tmp_path / "eins.jsonl", split, threads=1) == expected
    assert expected.count(b"\n") == n and (not n or expected.endswith(b"}\n"))


def test_texts_with_quotes_escapes_and_characters_beyond_the_bmp(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generate_module, "TEXTS", HARD_TEXTS)
    for name in ("mawo", "bei_nrw3"):
        expected = streamed(name, 200, 9)
        written = filed(name, 200, 9, tmp_path / f"{name}.jsonl")
        assert written == expected
        texts = {text for line in lines(written) for text in _strings(json.loads(line)) if text in HARD_TEXTS}
        assert len(texts) >= 8, texts  # the hard texts are in the file, read back as they were drawn


def _strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


@settings(max_examples=6, deadline=None)
@given(texts=st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=6), min_size=1, max_size=5),
       seed=st.integers(0, 2**31), n=st.integers(0, 60))
def test_any_texts_give_the_same_bytes_in_file_and_stream(texts: list[str], seed: int, n: int) -> None:
    with pytest.MonkeyPatch.context() as patch, tempfile.TemporaryDirectory() as folder:
        patch.setattr(generate_module, "TEXTS", tuple(texts))
        assert filed("mawo", n, seed, Path(folder) / "f.jsonl", "bewohner") == streamed("mawo", n, seed, "bewohner")


def test_a_file_of_many_row_groups_drawn_on_two_threads_keeps_the_order_of_the_stream(tmp_path: Path) -> None:
    """More cases than one row group of the case numbers' table (122,880) on two threads: DuckDB's
    order preservation keeps the lines in case order, as the stream (ordered by the query) has them."""
    n = 250_000
    with open(tmp_path / "strom.jsonl", "w", encoding="utf-8", newline="\n") as handle:
        write_population(MODELS["mawo"], n, 4, handle, split="bewohner")
    write_population(MODELS["mawo"], n, 4, tmp_path / "datei.jsonl", split="bewohner", threads=2)
    assert hashlib.sha256((tmp_path / "datei.jsonl").read_bytes()).digest() == \
        hashlib.sha256((tmp_path / "strom.jsonl").read_bytes()).digest()


def test_ascii_only_escapes_a_stream_and_leaves_a_file_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``ascii_only`` is for a console; a file is UTF-8 with or without it (as before)."""
    monkeypatch.setattr(generate_module, "TEXTS", HARD_TEXTS)
    plain = filed("mawo", 80, 3, tmp_path / "a.jsonl", "bewohner")
    assert filed("mawo", 80, 3, tmp_path / "b.jsonl", "bewohner", ascii_only=True) == plain
    assert "😀".encode() in plain
    narrow = streamed("mawo", 80, 3, "bewohner", ascii_only=True)
    assert narrow.isascii() and b"\\ud83d\\ude00" in narrow
    assert [json.loads(line) for line in lines(narrow)] == [json.loads(line) for line in lines(plain)]
