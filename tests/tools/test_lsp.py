"""The language server, spoken to over the protocol (pygls's client, the server as a process on
stdio): the checker's findings as diagnostics on opening and changing a file, hover, go to
definition, completion and formatting."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls", reason="the language server needs the extra „editor“ (pygls)")

from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

from teilhabe_rules.errors import TeilhabeError  # noqa: E402
from teilhabe_rules.loading import check_text  # noqa: E402
from teilhabe_rules.tools.formatter import format_text  # noqa: E402

MODEL = """modell probe "Probe"
  gültig ab 01.01.2024
ende
aufzählung Art "Art der Leistung"
  qa "qualifiziert"
  ea "einfach"
ende
eingabe art: Art standard qa "Art der Leistung"
eingabe minuten: zahl min/Tag von 0 bis 100 "Minuten am Tag"
parameter satz: zahl EUR/h von 0 bis 200 = 60 EUR/h "Stundensatz" annahme "nicht veröffentlicht; üblich"
  ab 01.07.2024 = 62 EUR/h
tabelle anteil "Anteil je Gruppe": ganzzahl Personen -> % teilweise
  1: 100 %
  2: 65 % annahme "geschätzt"
ende
paket lp "Ein Paket"
  stufen
    0 "kein Bedarf"
    1 "Bedarf"
  ende
  wert summe: min/Tag = minuten * anteil[2]
  stufe nach korridor summe
    0: ab 0 min/Tag bis 5 min/Tag
    1: über 5 min/Tag
  ende
ende
wert betrag: EUR/Tag = lp.summe als h/Tag * satz "Betrag je Tag"
"""

MISTAKE = MODEL.replace("* satz \"Betrag", "* satzz \"Betrag")
WARNING = MODEL.replace('    1 "Bedarf"\n', '    1 "Bedarf"\n    2 "viel Bedarf"\n')


def _position(text: str, needle: str, offset: int = 0) -> types.Position:
    """The protocol's position of ``needle`` (its first occurrence) plus ``offset`` characters."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return types.Position(line=line, character=index - (text.rfind("\n", 0, index) + 1))


class Session:
    """A running server and the diagnostics it published, by document."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.published: dict[str, list[types.PublishDiagnosticsParams]] = {}
        self.arrived = asyncio.Condition()

    async def diagnostics(self, uri: str, count: int) -> types.PublishDiagnosticsParams:
        """The ``count``-th publication for ``uri`` (waiting for it)."""
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: len(self.published.get(uri, [])) >= count), 60)
        return self.published[uri][count - 1]

    def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="teilhabe-rules", version=1, text=text)))
        return uri

    def change(self, uri: str, version: int, text: str) -> None:
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


def run(scenario: Callable[[Session], Awaitable[None]], folder: Path,
        capabilities: types.ClientCapabilities | None = None,
        initialized: Callable[[types.InitializeResult], None] | None = None) -> None:
    """Start ``teilhabe-rules lsp`` as a process, initialise it (the client's ``capabilities``;
    ``initialized`` sees the server's answer), play ``scenario``, shut it down."""

    async def main() -> None:
        client = LanguageClient("test-client", "1")
        session = Session(client)

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        async def published(params: types.PublishDiagnosticsParams) -> None:
            async with session.arrived:
                session.published.setdefault(params.uri, []).append(params)
                session.arrived.notify_all()

        # the server is this interpreter's teilhabe_rules (the environment, PYTHONPATH too, is inherited)
        await client.start_io(sys.executable, "-m", "teilhabe_rules", "lsp")
        try:
            result = await asyncio.wait_for(client.initialize_async(types.InitializeParams(
                capabilities=capabilities or types.ClientCapabilities(), root_uri=folder.as_uri())), 60)
            if initialized is not None:
                initialized(result)
            assert result.capabilities.hover_provider and result.capabilities.definition_provider
            assert result.capabilities.document_formatting_provider
            client.initialized(types.InitializedParams())
            await asyncio.wait_for(scenario(session), 120)
        finally:
            await asyncio.wait_for(client.shutdown_async(None), 60)
            client.exit(None)
            await asyncio.wait_for(client.stop(), 60)

    asyncio.run(main())


def test_a_mistake_is_a_diagnostic_at_its_range_with_the_checkers_message(tmp_path: Path) -> None:
    path = tmp_path / "probe.rules"
    try:
        check_text(MISTAKE, str(path))
    except TeilhabeError as exc:
        (expected,) = exc.diagnostics
    assert expected.location is not None

    async def scenario(session: Session) -> None:
        uri = session.open(path, MISTAKE)
        (found,) = (await session.diagnostics(uri, 1)).diagnostics
        assert found.message.startswith(expected.message) and "Unbekannter Name „satzz“" in found.message
        assert found.severity == types.DiagnosticSeverity.Error and found.source == "teilhabe-rules"
        start = _position(MISTAKE, "satzz \"Betrag")
        assert found.range.start == start == types.Position(line=expected.location.line - 1,
                                                            character=expected.location.column - 1)
        assert found.range.end == types.Position(line=start.line, character=start.character + len("satzz"))
        # corrected: no more diagnostics; a level no band reaches: a warning at the package
        session.change(uri, 2, MODEL)
        assert not (await session.diagnostics(uri, 2)).diagnostics
        session.change(uri, 3, WARNING)
        (warning,) = (await session.diagnostics(uri, 3)).diagnostics
        assert warning.severity == types.DiagnosticSeverity.Warning
        assert warning.message == ("Stufe 2 von „lp“ hat kein Korridorband und wird nie erreicht\nhinweis: ergänze ein "
                                   "Band für diese Stufe, oder streiche die Stufe, wenn sie nicht vorgesehen ist")
        assert warning.range.start == _position(WARNING, '2 "viel Bedarf"')  # at the level without a band
        # changes in quick succession: checked once typing pauses, the last text only
        session.change(uri, 4, MISTAKE)
        session.change(uri, 5, MODEL)
        last = await session.diagnostics(uri, 4)
        assert last.version == 5 and not last.diagnostics
        await asyncio.sleep(1)
        assert len(session.published[uri]) == 4

    run(scenario, tmp_path)


def test_hover_definition_completion_and_formatting(tmp_path: Path) -> None:
    path = tmp_path / "probe.rules"
    messy = MODEL.replace("  wert summe: min/Tag = minuten * anteil[2]", "wert   summe:min/Tag=minuten*anteil [2]")

    async def scenario(session: Session) -> None:
        uri = session.open(path, messy)
        assert not (await session.diagnostics(uri, 1)).diagnostics
        document = types.TextDocumentIdentifier(uri=uri)
        client = session.client

        async def hover(needle: str, offset: int = 1) -> str:
            found: Any = await client.text_document_hover_async(types.HoverParams(
                text_document=document, position=_position(messy, needle, offset)))
            assert found is not None, needle
            return str(found.contents.value)

        shown = await hover("satz \"Betrag")
        assert "**parameter** `satz` — Zahl in EUR/h" in shown and "Stundensatz" in shown
        assert "Wert: 60 EUR/h" in shown and "ab 01.07.2024: 62 EUR/h" in shown
        assert "**Annahme:** nicht veröffentlicht; üblich" in shown
        shown = await hover("anteil [2]")
        assert "**tabelle** `anteil`" in shown and "- 2: 65 %" in shown and "**Annahme:** (Zeile 2) geschätzt" in shown
        shown = await hover("minuten*")
        assert "**eingabe** `minuten` — Zahl in min/Tag" in shown and "Minuten am Tag" in shown
        shown = await hover("art: Art", 6)
        assert "**aufzählung** `Art`" in shown and "- qa: qualifiziert" in shown
        shown = await hover("lp.summe", 4)  # the value inside the package, by its qualified name
        assert "**wert** `summe` — Zahl in min/Tag" in shown

        async def definition(needle: str, offset: int = 1) -> types.Location:
            found: Any = await client.text_document_definition_async(types.DefinitionParams(
                text_document=document, position=_position(messy, needle, offset)))
            assert isinstance(found, types.Location), needle
            return found

        for needle, offset, declared in [("satz \"Betrag", 1, "parameter satz"), ("anteil [2]", 1, "tabelle anteil"),
                                         ("lp.summe", 0, "paket lp"), ("minuten*", 1, "eingabe minuten"),
                                         ("lp.summe", 4, "wert   summe"), ("art: Art", 6, "aufzählung Art")]:
            location = await definition(needle, offset)
            assert location.uri == path.resolve().as_uri()
            assert location.range.start == _position(messy, declared), needle

        completion: Any = await client.text_document_completion_async(types.CompletionParams(
            text_document=document, position=_position(messy, "lp.summe", 3)))
        labels = {item.label for item in completion.items}
        assert "summe" in labels and "gültig" not in labels  # after "lp.": what lp declares
        completion = await client.text_document_completion_async(types.CompletionParams(
            text_document=document, position=_position(messy, "\nwert betrag", 1)))
        labels = {item.label for item in completion.items}
        assert {"satz", "anteil", "minuten", "lp", "Art", "paket", "gültig", "EUR/h", "min/Tag", "Personen"} <= labels
        assert "summe" not in labels  # declared inside the package, not at the top

        edits: Any = await client.text_document_formatting_async(types.DocumentFormattingParams(
            text_document=document, options=types.FormattingOptions(tab_size=2, insert_spaces=True)))
        (edit,) = edits
        assert edit.new_text == format_text(messy) == MODEL
        assert edit.range.start == types.Position(line=0, character=0)
        assert edit.range.end.line == messy.count("\n")

    run(scenario, tmp_path)


def a_variant(folder: Path, base_text: str, body: str) -> tuple[Path, Path, str]:
    """A base ``basis.rules`` of ``base_text`` in ``folder`` and beside it the path and text of a
    variant of it whose declarations are ``body``."""
    base = folder / "basis.rules"
    base.write_text(base_text, "utf-8")
    text = 'modell variante "Variante"\n  erweitert "basis"\n  gültig ab 01.01.2025\nende\n' + body
    return base, folder / "variante.rules", text


def test_definition_in_a_variant_leads_into_its_base(tmp_path: Path) -> None:
    base, variant, variant_text = a_variant(tmp_path, MODEL, "parameter satz = 70 EUR/h annahme \"neu verhandelt\"\n")

    async def scenario(session: Session) -> None:
        uri = session.open(variant, variant_text)
        assert not (await session.diagnostics(uri, 1)).diagnostics
        document = types.TextDocumentIdentifier(uri=uri)
        found: Any = await session.client.text_document_definition_async(types.DefinitionParams(
            text_document=document, position=_position(variant_text, "basis", 1)))
        assert found.uri == base.resolve().as_uri() and found.range.start.line == 0
        found = await session.client.text_document_definition_async(types.DefinitionParams(
            text_document=document, position=_position(variant_text, "satz =", 1)))
        assert found.uri == base.resolve().as_uri()
        assert found.range.start == _position(MODEL, "parameter satz")
        shown: Any = await session.client.text_document_hover_async(types.HoverParams(
            text_document=document, position=_position(variant_text, "satz =", 1)))
        assert "Wert: 70 EUR/h" in shown.contents.value and "neu verhandelt" in shown.contents.value

    run(scenario, tmp_path)


def test_a_variant_is_checked_again_when_its_base_is_saved(tmp_path: Path) -> None:
    base, variant, variant_text = a_variant(tmp_path, MODEL, "parameter satz = 70 EUR/h annahme \"neu verhandelt\"\n")
    renamed = MODEL.replace("parameter satz:", "parameter stundensatz:").replace("* satz ", "* stundensatz ")

    async def scenario(session: Session) -> None:
        uri = session.open(variant, variant_text)
        assert not (await session.diagnostics(uri, 1)).diagnostics
        base_uri = session.open(base, MODEL)
        await session.diagnostics(base_uri, 1)
        base.write_text(renamed, "utf-8")  # the editor saves the base: the variant's parameter is gone
        session.client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=base_uri)))
        again = await session.diagnostics(uri, 2)
        assert any("satz" in d.message for d in again.diagnostics), again.diagnostics

    run(scenario, tmp_path)


def test_an_error_in_the_base_is_shown_at_the_variants_erweitert_line(tmp_path: Path) -> None:
    """A finding in the base file is placed at the line naming the base (not at the top), with
    its place in the base as related information."""
    base, variant, variant_text = a_variant(tmp_path, MISTAKE, "parameter satz = 70 EUR/h\n")

    async def scenario(session: Session) -> None:
        uri = session.open(variant, variant_text)
        (found,) = (await session.diagnostics(uri, 1)).diagnostics
        assert "satzz" in found.message and found.message.startswith(str(base))
        assert found.range.start == types.Position(line=1, character=2)
        assert found.range.end == types.Position(line=1, character=len('  erweitert "basis"'))
        (related,) = found.related_information or []
        assert related.location.uri == base.resolve().as_uri()
        assert related.location.range.start.line == MISTAKE[:MISTAKE.index("satzz")].count("\n")

    run(scenario, tmp_path)


def test_without_the_extra_the_command_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from teilhabe_rules.cli import main

    monkeypatch.setitem(sys.modules, "pygls.lsp.server", None)  # as if pygls were not installed
    monkeypatch.delitem(sys.modules, "teilhabe_rules.tools.lsp", raising=False)
    out, err = io.StringIO(), io.StringIO()
    assert main(["lsp"], out, err) == 2
    assert "pip install 'teilhabe-rules[editor]'" in err.getvalue()


def test_a_document_not_opened_gets_no_answer_and_no_error(tmp_path: Path) -> None:
    # a file on the disk (pygls would read it, as UTF-8) and one that is not
    on_disk = tmp_path / "auf_platte.rules"
    on_disk.write_bytes(MODEL.encode("latin-1", "replace"))
    uris = [on_disk.as_uri(), (tmp_path / "fehlt.rules").as_uri()]

    async def scenario(session: Session) -> None:
        client = session.client
        for uri in uris:
            document = types.TextDocumentIdentifier(uri=uri)
            position = types.Position(line=0, character=2)
            assert await client.text_document_hover_async(types.HoverParams(
                text_document=document, position=position)) is None
            assert await client.text_document_definition_async(types.DefinitionParams(
                text_document=document, position=position)) is None
            completion: Any = await client.text_document_completion_async(types.CompletionParams(
                text_document=document, position=position))
            assert not completion.items
            assert await client.text_document_formatting_async(types.DocumentFormattingParams(
                text_document=document, options=types.FormattingOptions(tab_size=2, insert_spaces=True))) is None
        # and the server still answers for an open one
        uri = session.open(tmp_path / "probe.rules", MISTAKE)
        assert (await session.diagnostics(uri, 1)).diagnostics

    run(scenario, tmp_path)


def test_a_byte_order_mark_is_read_past_and_positions_stay_the_editors(tmp_path: Path) -> None:
    text = "\ufeff" + MISTAKE.replace('modell probe "Probe"', 'modell probe "Probe" # ä')

    async def scenario(session: Session) -> None:
        uri = session.open(tmp_path / "probe.rules", text)
        (found,) = (await session.diagnostics(uri, 1)).diagnostics
        assert found.range.start == _position(text, "satzz")  # only the mistake, where the editor has it
        uri = session.open(tmp_path / "gut.rules", "\ufeff" + MODEL)
        assert not (await session.diagnostics(uri, 1)).diagnostics
        # hover on line 1, past the mark: the model's name is no symbol, the mark shifts nothing below
        shown: Any = await session.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=_position("\ufeff" + MODEL, "satz \"Betrag", 1)))
        assert "**parameter** `satz`" in shown.contents.value

    run(scenario, tmp_path)


def test_a_lone_carriage_return_is_an_error_where_the_editor_sees_it(tmp_path: Path) -> None:
    text = MODEL.replace("# ", "#").replace('eingabe minuten:', '# a\rb\neingabe minuten:')

    async def scenario(session: Session) -> None:
        uri = session.open(tmp_path / "probe.rules", text)
        (found,) = (await session.diagnostics(uri, 1)).diagnostics
        assert found.range.start == _position(text, "\rb")  # the end of the editor's line holding it
        assert "U+000D" in found.message
        edits = await session.client.text_document_formatting_async(types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            options=types.FormattingOptions(tab_size=2, insert_spaces=True)))
        assert edits is None  # nothing formatted (that would have duplicated the text after it)

    run(scenario, tmp_path)


def test_a_range_ends_within_the_document(tmp_path: Path) -> None:
    # without a final line break: a block's span ends on the line after its „ende“
    texts = ['modell m "x"\nende', 'modell m "x"\n  gültig ab 01.01.2024\nende\ntabelle t: ganzzahl -> zahl\nende']

    async def scenario(session: Session) -> None:
        for number, text in enumerate(texts):
            uri = session.open(tmp_path / f"m{number}.rules", text)
            found = (await session.diagnostics(uri, 1)).diagnostics
            assert found
            lines = text.split("\n")
            for diagnostic in found:
                for point in (diagnostic.range.start, diagnostic.range.end):
                    assert point.line < len(lines) and point.character <= len(lines[point.line])

    run(scenario, tmp_path)


def test_the_server_ends_with_exit_code_0_after_shutdown(tmp_path: Path) -> None:
    import json
    import subprocess

    def message(payload: dict[str, Any]) -> bytes:
        body = json.dumps(payload).encode()
        return f"Content-Length: {len(body)}\r\n\r\n".encode() + body

    requests = b"".join([
        message({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                 "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}}),
        message({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
        message({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}),
        message({"jsonrpc": "2.0", "method": "exit"}),
    ])
    done = subprocess.run([sys.executable, "-m", "teilhabe_rules", "lsp"], input=requests, capture_output=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert b"Traceback" not in done.stderr
    assert b'"id": 2' in done.stdout.replace(b'"id":2', b'"id": 2')


def test_a_change_of_a_document_not_opened_is_left_alone(tmp_path: Path) -> None:
    """A client that sends a change (or a close) of a document it never opened gets no error
    message („Error in server: KeyError“), and the server goes on."""
    shown: list[str] = []

    async def scenario(session: Session) -> None:
        @session.client.feature(types.WINDOW_SHOW_MESSAGE)
        def message(params: types.ShowMessageParams) -> None:
            shown.append(params.message)

        stranger = (tmp_path / "nie_geöffnet.rules").as_uri()
        session.change(stranger, 2, MODEL)
        session.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=stranger)))
        uri = session.open(tmp_path / "probe.rules", MISTAKE)
        assert (await session.diagnostics(uri, 1)).diagnostics
        session.change(uri, 2, MODEL)  # an open one is still checked again on a change
        assert not (await session.diagnostics(uri, 2)).diagnostics
        assert all(not found.diagnostics for found in session.published.get(stranger, []))  # (the close clears)

    run(scenario, tmp_path)
    assert shown == []


def test_a_document_whose_name_the_editor_escapes_is_served(tmp_path: Path) -> None:
    """An editor sends ``Verg%C3%BCtung%201.rules`` for „Vergütung 1.rules“: its diagnostics,
    formatting and hover are those of any other document."""
    path = tmp_path / "Vergütung 1.rules"
    messy = MODEL.replace("  wert summe: min/Tag = minuten * anteil[2]", "wert   summe:min/Tag=minuten*anteil [2]")

    async def scenario(session: Session) -> None:
        uri = session.open(path, MISTAKE)
        assert "%C3%BC" in uri and "%20" in uri
        published = await session.diagnostics(uri, 1)
        (found,) = published.diagnostics
        assert "Unbekannter Name „satzz“" in found.message
        session.change(uri, 2, messy)
        assert not (await session.diagnostics(uri, 2)).diagnostics
        edits = await session.client.text_document_formatting_async(types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            options=types.FormattingOptions(tab_size=2, insert_spaces=True)))
        assert edits is not None and edits[0].new_text == format_text(messy)
        hover = await session.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=_position(messy, "satz \"Betrag")))
        assert hover is not None and "Stundensatz" in str(hover.contents)

    run(scenario, tmp_path)


def test_positions_are_utf_16_whatever_encodings_the_client_offers_first(tmp_path: Path) -> None:
    """Neovim offers UTF-8 first: the server answers UTF-16 — the units it counts in — and a
    diagnostic after umlauts is where UTF-16 puts it, not where UTF-8 would."""
    path = tmp_path / "probe.rules"
    text = MISTAKE.replace("wert betrag: EUR/Tag = lp.summe", "wert höhe_über: EUR/Tag = lp.summe")
    offered = types.ClientCapabilities(general=types.GeneralClientCapabilities(position_encodings=[
        types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16, types.PositionEncodingKind.Utf32]))
    answers: list[types.InitializeResult] = []

    async def scenario(session: Session) -> None:
        uri = session.open(path, text)
        (found,) = (await session.diagnostics(uri, 1)).diagnostics
        line = text.splitlines()[found.range.start.line]
        before = line[:line.index("satzz")]
        assert found.range.start.character == len(before.encode("utf-16-le")) // 2 == len(before)
        assert len(before.encode("utf-8")) == len(before) + 2

    run(scenario, tmp_path, offered, answers.append)
    assert answers[0].capabilities.position_encoding == types.PositionEncodingKind.Utf16
