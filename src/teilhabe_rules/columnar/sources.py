"""Where a population comes from: mappings, DuckDB relations, frames, files.

Takes: a population source — an iterable of mappings (case data as a case file gives it), a DuckDB
relation, an Arrow table or a pandas/polars frame (where installed; read through DuckDB), or a
path: a JSON Lines file (one case per line), a CSV or Parquet file (one case per row; a column
named by a data path, ``bewohner[1].lp2a.kap4``, fills that place; CSV cells are read as text,
never as floating point), or a directory of TOML/JSON case files. Gives: the cases, in order, as
mappings — or :class:`Unreadable` for a line or file that is no case (one error row each).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import duckdb

from ..errors import TeilhabeError
from ..inputs.cases import read_case_file
from ..paths import PathError, parse_path, set_path

__all__ = ["Unreadable", "read_source"]


@attrs.frozen
class Unreadable:
    """A line or file of the population that is no case: the German message and where."""

    message: str
    where: str | None = None


def read_source(source: Any) -> Iterator[Mapping[str, Any] | Unreadable]:
    """The cases of ``source`` (see the module docstring)."""
    if isinstance(source, (str, Path)):
        yield from _read_path(Path(source))
        return
    if isinstance(source, duckdb.DuckDBPyRelation):
        yield from _relation_rows(source)
        return
    if hasattr(source, "__arrow_c_stream__") or type(source).__module__.split(".")[0] in ("pandas", "polars"):
        con = duckdb.connect()
        relation = con.from_arrow(source) if hasattr(source, "__arrow_c_stream__") else con.from_df(source)
        yield from _relation_rows(relation)
        return
    if isinstance(source, Mapping):
        yield source
        return
    if isinstance(source, Iterable):
        for item in source:
            yield item if isinstance(item, Mapping) else Unreadable("Ein Fall ist eine Tabelle (Schlüssel = Wert)")
        return
    raise TypeError(f"keine Population: {type(source).__name__}")


def _read_path(path: Path) -> Iterator[Mapping[str, Any] | Unreadable]:
    if path.is_dir():
        for file in sorted(p for p in path.iterdir() if p.suffix.lower() in (".toml", ".json")):
            try:
                data, _text = read_case_file(file)
            except TeilhabeError as exc:
                yield Unreadable(str(exc).splitlines()[0], str(file))
                continue
            yield data if isinstance(data, Mapping) else Unreadable("Ein Fall ist eine Tabelle", str(file))
        return
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        with path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line, parse_float=Decimal)
                except ValueError as exc:
                    yield Unreadable(f"Zeile {number} ist kein JSON: {exc.args[0] if exc.args else exc}",
                                     f"{path}:{number}")
                    continue
                yield data if isinstance(data, Mapping) else Unreadable(
                    f"Zeile {number} ist kein Fall (ein JSON-Objekt)", f"{path}:{number}")
        return
    con = duckdb.connect()
    if suffix == ".csv":
        relation = con.read_csv(str(path), all_varchar=True, header=True)
    elif suffix == ".parquet":
        relation = con.read_parquet(str(path))
    else:
        raise ValueError(f"„{path}“: Population als .jsonl, .csv, .parquet oder Verzeichnis von Falldateien")
    yield from _relation_rows(relation)


def _relation_rows(relation: duckdb.DuckDBPyRelation) -> Iterator[Mapping[str, Any] | Unreadable]:
    """Rows as case data: a column named by a data path fills that place; empty cells are left out."""
    columns = relation.columns
    steps: list[tuple[str | int, ...] | None] = []
    for name in columns:
        try:
            steps.append(parse_path(name))
        except PathError:
            steps.append(None)
    yield from _rows(relation.fetchall(), columns, steps)


def _plain(value: Any) -> Any:
    """A cell as case data: nested structs and lists without their empty (NULL) fields, a float
    as its shortest decimal text (never the binary value)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _rows(rows: Iterable[tuple[Any, ...]], columns: list[str],
          steps: list[tuple[str | int, ...] | None]) -> Iterator[Mapping[str, Any] | Unreadable]:
    for row in rows:
        data: dict[str, Any] = {}
        for name, path, value in zip(columns, steps, row, strict=True):
            if value is None or value == "":
                continue
            value = _plain(value)
            try:
                set_path(data, path if path is not None else (name,), value, pad=True)
            except PathError as exc:
                yield Unreadable(f"Spalte „{name}“: {exc}")
                break
        else:
            yield data
