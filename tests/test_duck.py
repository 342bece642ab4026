"""The DuckDB sandbox: exactly its files — and, where asked, a scratch database of its own."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import duckdb
import pytest

from teilhabe_rules import duck
from teilhabe_rules.duck import MEMORY_DEFAULT, MemoryWarning, Sandbox, connect, memory_limit, reading_whole


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


class TestMemory:
    """Each DuckDB database of the library: a memory limit of its own (not 80 % of the machine for
    each), and what does not fit spilled to a private temporary folder — never the working directory."""

    @pytest.mark.parametrize(("setting", "expected"), [
        (None, MEMORY_DEFAULT), ("", MEMORY_DEFAULT), ("4GiB", 4 << 30), ("1500MB", 1500 * 10**6),
        (" 2.5 gib ", int(2.5 * 2**30)), ("64MiB", 64 << 20)])
    def test_the_limit_is_the_setting_or_the_default(self, setting: str | None, expected: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
        if setting is None:
            monkeypatch.delenv("TEILHABE_RULES_MEMORY", raising=False)
        else:
            monkeypatch.setenv("TEILHABE_RULES_MEMORY", setting)
        assert memory_limit() == expected

    @pytest.mark.parametrize("setting", ["viel", "4", "4 Gigabyte", "-1GiB", "63MiB", "1e9B", "100000000TB"])
    def test_a_setting_that_is_no_size_warns_once_and_the_default_holds(self, setting: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
        duck._memory_setting.cache_clear()
        monkeypatch.setenv("TEILHABE_RULES_MEMORY", setting)
        with pytest.warns(MemoryWarning, match="TEILHABE_RULES_MEMORY") as warned:
            assert memory_limit() == MEMORY_DEFAULT
            assert memory_limit() == MEMORY_DEFAULT
        assert len(warned) == 1
        con = connect()  # DuckDB takes what it is given
        con.close()

    @staticmethod
    def _limit(con: duckdb.DuckDBPyConnection) -> int:
        (text,) = con.execute("SELECT current_setting('memory_limit')").fetchone()
        number, unit = text.split()
        return int(float(number) * {"MiB": 2**20, "GiB": 2**30}[unit])

    def test_a_connection_and_a_sandbox_have_the_limit(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TEILHABE_RULES_MEMORY", "300MiB")
        con = connect()
        try:
            assert self._limit(con) == 300 << 20
        finally:
            con.close()
        with Sandbox([tmp_path / "a.parquet"]) as sandbox:
            assert self._limit(sandbox.connection) == 300 << 20
        with Sandbox([tmp_path / "a.jsonl"], memory=reading_whole(200 << 20)) as sandbox:
            assert self._limit(sandbox.connection) == 600 << 20  # a file read whole: three times its size
        assert reading_whole(10 << 20) == 300 << 20
        assert reading_whole(1 << 50) < 1 << 50  # at most 80 % of the machine

    def test_what_does_not_fit_is_spilled_outside_the_working_directory(self, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
        # (a limit with room for what a sort keeps in memory on a busy machine, a table twice its size)
        monkeypatch.setenv("TEILHABE_RULES_MEMORY", "128MiB")
        monkeypatch.chdir(tmp_path)
        for sandbox in (None, Sandbox([])):
            con = connect() if sandbox is None else sandbox.connection
            try:
                con.execute("CREATE TABLE t AS SELECT range AS a, md5(CAST(range AS VARCHAR)) AS b FROM range(4000000)")
                assert con.execute("SELECT count(DISTINCT b) FROM (SELECT b FROM t ORDER BY b)").fetchone() == (
                    4_000_000,)
                spilled = [row[0] for row in con.execute("SELECT path FROM duckdb_temporary_files()").fetchall()]
                assert spilled, "the query fitted: nothing to see"
                assert all(not os.path.abspath(p).startswith(str(tmp_path)) for p in spilled)
                assert all(os.path.basename(os.path.dirname(os.path.dirname(p))).startswith("teilhabe-")
                           for p in spilled)
            finally:
                if sandbox is None:
                    con.close()
                else:
                    sandbox.close()
            assert os.listdir(tmp_path) == []
            assert not any(os.path.exists(p) for p in spilled)

    def test_the_first_connections_of_threads_at_once_share_one_folder(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(duck, "_spilling", [])
        start = threading.Barrier(8)
        names: list[str] = []

        def first() -> None:
            start.wait()
            con = connect()
            names.append(con.execute("SELECT current_setting('temp_directory')").fetchone()[0])
            con.close()

        threads = [threading.Thread(target=first) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(names) == 8 and len({os.path.dirname(name) for name in names}) == 1


def test_the_folder_goes_even_where_waiting_for_the_scratch_file_is_interrupted(monkeypatch: pytest.MonkeyPatch
                                                                                ) -> None:
    gate = threading.Event()
    monkeypatch.setattr(duck, "_unlink", lambda files: gate.wait(5))
    sandbox = Sandbox([], scratch=2048)
    folder = os.path.dirname(sandbox.connection.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = 'arbeit'").fetchone()[0])
    sandbox.release_scratch()
    thread = sandbox._removing
    assert thread is not None

    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(thread, "join", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sandbox.close()
    gate.set()
    threading.Thread.join(thread)
    assert not os.path.exists(folder)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_spills_into_its_parent_s_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A child made by fork (multiprocessing ends it without atexit) makes no folder of its own."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(duck, "_spilling", [])
    connect().close()
    assert len(os.listdir(tmp_path)) == 1
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        try:
            connect().close()
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    assert len(os.listdir(tmp_path)) == 1


def test_a_published_file_is_made_in_its_folder(tmp_path: Path) -> None:
    """:func:`duck.publish` makes the output in the output's folder — it takes that folder's group
    where the folder hands its group down (set-group-ID), as any file made there; DuckDB's file,
    made in a temporary folder, is copied, not moved — and leaves nothing else there."""
    import grp
    import stat

    folder = tmp_path / "geteilt"
    folder.mkdir()
    others = [g.gr_gid for g in grp.getgrall() if g.gr_gid != os.getegid()]
    try:
        os.chown(folder, -1, others[0])
    except (IndexError, PermissionError):
        pytest.skip("no other group to hand down")
    folder.chmod(0o2775)
    assert folder.stat().st_mode & stat.S_ISGID
    written = tmp_path / "datei.parquet"
    written.write_bytes(b"PAR1 rows")
    duck.publish(str(written), folder / "zeilen.parquet")
    made = folder / "zeilen.parquet"
    assert made.read_bytes() == b"PAR1 rows" and made.stat().st_gid == others[0] != written.stat().st_gid
    assert [p.name for p in folder.iterdir()] == ["zeilen.parquet"]
