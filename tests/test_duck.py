"""The DuckDB sandbox: exactly its files — and, where asked, a scratch database of its own."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from teilhabe_rules.duck import Sandbox


def _row_groups(con: duckdb.DuckDBPyConnection, table: str) -> int:
    (count,) = con.execute(f"SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('{table}')").fetchone()
    return int(count)


class TestScratch:
    def test_its_tables_have_row_groups_of_the_size_asked(self) -> None:
        with Sandbox([], scratch=16_384) as sandbox:
            con = sandbox.connection
            assert sandbox.scratch is not None
            con.execute(f"USE {sandbox.scratch}")
            con.execute("CREATE TABLE t AS SELECT range AS a FROM range(100000)")
            assert _row_groups(con, "t") == 7  # DuckDB scans each on a thread of its own
            con.execute("CREATE TEMPORARY TABLE m AS SELECT range AS a FROM range(100000)")
            assert _row_groups(con, "m") == 1  # in memory: 122,880 rows in one

    def test_no_scratch_unless_asked(self) -> None:
        with Sandbox([]) as sandbox:
            assert sandbox.scratch is None
            assert [row[0] for row in sandbox.connection.execute("SHOW DATABASES").fetchall()] == ["memory"]

    def test_the_file_limits_hold_and_the_file_goes_with_the_sandbox(self, tmp_path: Path) -> None:
        mine, other = tmp_path / "mine.txt", tmp_path / "other.txt"
        mine.write_text("ja", encoding="utf-8")
        other.write_text("geheim", encoding="utf-8")
        sandbox = Sandbox([mine], scratch=2048)
        con = sandbox.connection
        con.execute(f"USE {sandbox.scratch}")
        (path,) = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = ?",
                              [sandbox.scratch]).fetchone()
        assert os.path.isfile(path)
        assert con.execute(f"SELECT content FROM read_text('{sandbox.paths[0]}')").fetchone() == ("ja",)
        for statement in (f"SELECT content FROM read_text('{other}')", f"ATTACH '{tmp_path / 'x.duckdb'}' AS x",
                          f"COPY (SELECT 1) TO '{tmp_path / 'out.csv'}'"):
            with pytest.raises(duckdb.PermissionException):
                con.execute(statement)
        con.execute("CREATE TABLE t AS SELECT range AS a FROM range(5000)")
        sandbox.close()
        assert not os.path.exists(path) and not os.path.exists(os.path.dirname(path))
        assert not (tmp_path / "x.duckdb").exists() and not (tmp_path / "out.csv").exists()

    def test_released_the_file_goes_and_the_connection_goes_on(self, tmp_path: Path) -> None:
        mine = tmp_path / "mine.txt"
        mine.write_text("ja", encoding="utf-8")
        with Sandbox([mine], scratch=2048) as sandbox:
            con = sandbox.connection
            con.execute(f"USE {sandbox.scratch}")
            (path,) = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = ?",
                                  [sandbox.scratch]).fetchone()
            con.execute("CREATE TABLE t AS SELECT range AS a FROM range(50000)")
            con.execute("CREATE TEMPORARY TABLE m AS SELECT 7 AS b")
            sandbox.release_scratch()
            assert sandbox.scratch is None
            assert [row[0] for row in con.execute("SHOW DATABASES").fetchall()] == ["memory"]
            with pytest.raises(duckdb.CatalogException):
                con.execute("SELECT count(*) FROM t")
            # the connection's own database and temporary tables stay; the file limits too
            assert con.execute("SELECT b FROM m").fetchone() == (7,)
            con.execute("CREATE TABLE u AS SELECT 1 AS c")
            assert con.execute(f"SELECT content FROM read_text('{sandbox.paths[0]}')").fetchone() == ("ja",)
            with pytest.raises(duckdb.PermissionException):
                con.execute(f"ATTACH '{tmp_path / 'x.duckdb'}' AS x")
            sandbox.release_scratch()  # once is enough: a second call does nothing
            sandbox.close()  # waits for the file to be removed
            assert not os.path.exists(path) and not os.path.exists(os.path.dirname(path))

    def test_release_without_scratch_does_nothing(self) -> None:
        with Sandbox([]) as sandbox:
            sandbox.release_scratch()
            assert sandbox.connection.execute("SELECT 1").fetchone() == (1,)


class _Interrupted:
    """A connection whose close is interrupted (Ctrl+C while DuckDB closes it)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection):
        self.connection = connection

    def close(self) -> None:
        self.connection.close()
        raise KeyboardInterrupt


def test_the_folder_goes_even_where_closing_the_connection_is_interrupted() -> None:
    sandbox = Sandbox([], scratch=2048)
    folder = os.path.dirname(sandbox.connection.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = 'arbeit'").fetchone()[0])
    sandbox.connection = _Interrupted(sandbox.connection)
    with pytest.raises(KeyboardInterrupt):
        sandbox.close()
    assert not os.path.exists(folder)
