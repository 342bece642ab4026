"""The language server of rule files: ``teilhabe-rules lsp`` (Language Server Protocol over stdio).

Takes: the rule files an editor opens and edits. Gives the editor, through pygls and lsprotocol
(extra ``editor``):

- **diagnostics** on opening and on every change (once typing pauses): the checker's findings — the same German
  messages (with their hints) as ``teilhabe-rules check``, errors as errors and warnings as
  warnings, each at the range of its span;
- **hover** on a name: its declaration (kind, name, type and unit), its value or default, its
  label, and every ``annahme`` marked as an assumption;
- **go to definition** of parameters, tables, packages, lists, inputs, values and enumerations
  (in a variant also into its base), and of the base a variant names (``erweitert "…"``);
- **completion** of keywords, units and the names declared in the scope at the cursor (after
  ``x.``: the names inside ``x``);
- **formatting** through :func:`teilhabe_rules.tools.formatter.format_text`.

What a file declares comes from its checked model (:func:`teilhabe_rules.loading.check_text`);
while a file does not check, the last model that did serves hover, definition and completion.
:class:`Analysis` holds that knowledge without any protocol; :func:`make_server` builds the
server (a new one per call, no global state), :func:`serve` runs it over stdin and stdout.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import attrs
from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol.language_server import LanguageServerProtocol, lsp_method
from pygls.uris import from_fs_path, to_fs_path

from .. import units
from ..check.variants import BaseRefused, base_name, find_base
from ..errors import Diagnostic, TeilhabeError
from ..ir import checked as c
from ..ir.text import format_value, quantity_text
from ..loading import check_file, check_text
from ..span import Span, source_lines
from ..version import __version__
from .formatter import format_text
from .textmate import keywords

__all__ = ["CHANGE_PAUSE", "LANGUAGE_ID", "Analysis", "Symbol", "make_server", "serve"]

LANGUAGE_ID = "teilhabe-rules"
#: seconds without a change before a changed document is checked again
CHANGE_PAUSE = 0.3
_WORD = re.compile(r"[^\W\d]\w*")
_SOURCE = "teilhabe-rules"


@attrs.frozen
class Symbol:
    """A name a rule file declares: its kind (the keyword that declares it), the word, its id in
    the checked model (``lp2a.summe``), where it is declared (``span``; ``file`` set where that is
    another file, a variant's base), the block it is declared in, and the text a hover shows."""

    kind: str
    name: str
    id: str
    span: Span
    block: Span | None
    hover: str


@attrs.frozen
class Analysis:
    """What the server knows of one text: the diagnostics of checking it, and the symbols of the
    last model that checked (of this text or an earlier one)."""

    diagnostics: tuple[Diagnostic, ...]
    symbols: tuple[Symbol, ...]
    blocks: tuple[Span, ...]  # packages and lists, innermost last where nested
    model: c.CheckedModel | None
    base: tuple[Symbol, ...] = ()  # a variant's: the symbols of its base, in the base's file

    @classmethod
    def of(cls, text: str, filename: str, previous: Analysis | None = None) -> Analysis:
        """Check ``text`` (as the file ``filename``, so a variant finds its base beside it; a
        byte order mark before it left out, as when the file is read)."""
        text = _without_bom(text)
        try:
            model = check_text(text, filename)
        except TeilhabeError as exc:
            if previous is None:
                return cls(tuple(exc.diagnostics), (), (), None)
            return attrs.evolve(previous, diagnostics=tuple(exc.diagnostics))
        return cls.of_model(model, text, filename)

    @classmethod
    def of_model(cls, model: c.CheckedModel, text: str, filename: str) -> Analysis:
        """The analysis of a text that checked, from its checked model."""
        blocks = tuple(sorted((p.span for p in model.packages.values() if p.span.file is None),
                              key=lambda s: (s.line, -s.end_line))) + tuple(
            s.span for s in model.scopes.values() if s.id and s.span.file is None)
        return cls(tuple(model.warnings), tuple(_symbols(model, text, blocks)), blocks, model,
                   _base_symbols(text, filename))

    def definition_at(self, text: str, line: int, column: int) -> Symbol | None:
        """The declaration the name at ``line``/``column`` leads to: that of its symbol, or — for
        what a variant declares anew (``parameter satz = …``) — the base's."""
        symbol = self.symbol_at(text, line, column)
        if symbol is not None and symbol.span.file is None and symbol.span.line == line:
            return next((s for s in self.base if s.id == symbol.id and s.kind == symbol.kind), symbol)
        return symbol

    # ---- questions at a position (1-based line and column, as spans have them) ----------------

    def symbol_at(self, text: str, line: int, column: int) -> Symbol | None:
        """The symbol the name at ``line``/``column`` stands for, or None."""
        found = _word_at(text, line, column)
        if found is None:
            return None
        word, start = found
        qualifier = _qualifier(text, line, start)
        candidates = [s for s in self.symbols if s.name == word]
        if qualifier is not None:
            inside = [s for s in candidates if s.id.endswith(f"{qualifier}.{word}")]
            members = [s for s in candidates if s.kind == "aufzählung"]
            candidates = inside or members or candidates
        if not candidates:
            return None
        enclosing = [block for block in self.blocks if _contains(block, line, column)]

        def rank(symbol: Symbol) -> tuple[int, int]:
            if symbol.span.file is None and symbol.span.line == line:
                return (0, 0)  # the declaration itself
            if symbol.block is not None and symbol.block in enclosing:
                return (1, -symbol.block.line)  # declared in a block around the cursor, innermost first
            return (2 if symbol.block is None else 3, 0)

        return min(candidates, key=rank)

    def completions(self, text: str, line: int, column: int) -> list[tuple[str, str, str]]:
        """(label, kind, detail) of what may be written at ``line``/``column``: after ``x.`` the
        names inside ``x``; else keywords, units and the names declared in the blocks around."""
        lines = text.split("\n")
        before = lines[line - 1][: column - 1] if 0 < line <= len(lines) else ""
        prefix = re.search(r"([^\W\d]\w*)\.(\w*)$", before)
        if prefix is not None:
            owner = prefix.group(1)
            inner = [(s.name, s.kind, s.id) for s in self.symbols if s.id.startswith(f"{owner}.")
                     or re.search(rf"(^|\.){re.escape(owner)}\.{re.escape(s.name)}$", s.id)]
            if self.model is not None and owner in self.model.enums:
                inner += [(str(m.key), "element", m.label or "") for m in self.model.enums[owner].members
                          if isinstance(m.key, str)]
            return sorted(set(inner))
        enclosing = [block for block in self.blocks if _contains(block, line, column)]
        names = {(s.name, s.kind, s.id) for s in self.symbols
                 if s.block is None or s.block in enclosing}
        found = sorted(names) + [(word, "schlüsselwort", "") for word in sorted(keywords())]
        found += [(unit, "einheit", "") for unit in sorted(_units(self.model))]
        return found


def _base_symbols(text: str, filename: str) -> tuple[Symbol, ...]:
    """A variant's: the symbols of its base model, each in the base's file; else none."""
    name = base_name(text)
    if name is None:
        return ()
    try:
        found = find_base(name, Path(filename).parent)
        if found is None:
            return ()
        base_text = found.read_text("utf-8")
        analysis = Analysis.of_model(check_file(found), base_text, str(found))  # from the cache where it can
    except (BaseRefused, TeilhabeError, OSError, UnicodeError):
        return ()
    where = str(found.resolve())
    own = tuple(attrs.evolve(s, span=attrs.evolve(s.span, file=where)) for s in analysis.symbols if s.span.file is None)
    return own + analysis.base


def _symbols(model: c.CheckedModel, text: str, blocks: Sequence[Span]) -> Iterator[Symbol]:
    """The declarations of a checked model, each with its hover text."""

    def block_of(span: Span) -> Span | None:
        if span.file is not None:
            return None
        around = [b for b in blocks if b != span and _contains(b, span.line, span.column)
                  and (b.line, b.column) != (span.line, span.column)]
        return max(around, key=lambda b: b.line) if around else None

    lines = text.split("\n")
    for parameter in model.parameters.values():
        value = quantity_text(parameter.default, parameter.type)
        later = "".join(f"\n- ab {format_value(p.valid_from)}: {quantity_text(p.value, parameter.type)}"
                        for p in parameter.periods)
        hover = _hover("parameter", parameter.name, parameter.type.describe(), parameter.doc,
                       [f"Wert: {value}{later}"], parameter.assumptions, parameter.sources)
        yield Symbol("parameter", parameter.name, parameter.id, parameter.span, block_of(parameter.span), hover)
    for table in model.tables.values():
        keys = ", ".join(t.describe() for t in table.key_types)
        rows = [f"{', '.join(format_value(k) for k in row.keys)}: {quantity_text(row.value, table.value_type)}"
                for row in table.rows[:12]]
        more = [f"… ({len(table.rows)} Zeilen)"] if len(table.rows) > 12 else []
        row_assumptions = tuple(f"(Zeile {', '.join(format_value(k) for k in row.keys)}) {a}"
                                for row in table.rows for a in row.assumptions)
        hover = _hover("tabelle", table.name, f"{keys} → {table.value_type.describe()}", table.title,
                       ["Zeilen:\n" + "\n".join(f"- {r}" for r in [*rows, *more])],
                       table.assumptions + row_assumptions, table.sources)
        yield Symbol("tabelle", table.name, table.id, table.span, block_of(table.span), hover)
    for package in model.packages.values():
        levels = [f"- {level.number}: {level.label}" for level in package.levels]
        rule = {"korridor": "nach Korridor", "ausdruck": "nach Ausdruck", "einschätzung": "nach Einschätzung"}
        detail = f"Stufe {rule.get(package.rule or '', '')}".strip() if package.rule else "ohne Stufen"
        hover = _hover("paket", package.name, detail, package.title, ["Stufen:\n" + "\n".join(levels)] if levels
                       else [], (), ())
        yield Symbol("paket", package.name, package.id, package.span, block_of(package.span), hover)
    for scope in model.scopes.values():
        if scope.id:
            counts = " ".join(part for part in (
                f"mindestens {scope.min_count}" if scope.min_count is not None else "",
                f"höchstens {scope.max_count}" if scope.max_count is not None else "") if part)
            hover = _hover("liste", scope.name, counts or "Liste", scope.title, [], (), ())
            yield Symbol("liste", scope.name, scope.id, scope.span, block_of(scope.span), hover)
        for item in scope.inputs:
            declared = lines[item.span.line - 1] if item.span.file is None and 0 < item.span.line <= len(lines) else ""
            if item.span.file is None and not declared.lstrip().startswith("eingabe"):
                continue  # an input the language adds (a package's granted level and its reason)
            default = [] if item.required else [f"Standard: {quantity_text(item.default, item.type)}"]
            hover = _hover("eingabe", item.path[-1], item.type.describe(), item.label, default, (), ())
            yield Symbol("eingabe", item.path[-1], item.id, item.span, block_of(item.span), hover)
    for node in model.nodes.values():
        if isinstance(node, c.ValueNode):
            name = node.key.rsplit(".", 1)[-1]
            formula = [f"```\n{node.source.strip()}\n```"] if node.source else []
            hover = _hover("wert", name, node.type.describe(), node.label or node.doc, formula, (), ())
            yield Symbol("wert", name, node.id, node.span, block_of(node.span), hover)
    for enum in model.enums.values():
        if enum.is_levels:
            continue
        where = re.search(rf"^([ \t]*)aufzählung[ \t]+{re.escape(enum.name)}(?!\w)", text, re.MULTILINE)
        if where is None:
            continue  # declared in a variant's base
        line = text.count("\n", 0, where.start()) + 1
        column = len(where.group(1)) + 1
        members = [f"- {m.key}: {m.label or ''}" for m in enum.members]
        hover = _hover("aufzählung", enum.name, "Aufzählung", enum.title, ["Elemente:\n" + "\n".join(members)], (), ())
        yield Symbol("aufzählung", enum.name, enum.name, Span(line, column, line + 1, 1), None, hover)


def _hover(kind: str, name: str, kind_detail: str, label: str | None, more: Sequence[str],
           assumptions: Sequence[str], sources: Sequence[str]) -> str:
    """The Markdown of a hover: declaration, label, details, assumptions, sources."""
    parts = [f"**{kind}** `{name}` — {kind_detail}"]
    if label:
        parts.append(label)
    parts.extend(more)
    parts.extend(f"**Annahme:** {text}" for text in assumptions)
    parts.extend(f"Quelle: {text}" for text in sources)
    return "\n\n".join(parts)


def _units(model: c.CheckedModel | None) -> set[str]:
    """The units the language knows, and those the model uses."""
    found = set(units.KNOWN_UNIT_NAMES)
    if model is not None:
        types_used = [p.type for p in model.parameters.values()] + [n.type for n in model.nodes.values()]
        types_used += [i.type for s in model.scopes.values() for i in s.inputs]
        found |= {str(t.unit) for t in types_used if t.kind is c.TypeKind.ZAHL and str(t.unit)}
    return found


def _contains(span: Span, line: int, column: int) -> bool:
    """Whether ``line``/``column`` lies in ``span`` (end exclusive)."""
    if span.file is not None:
        return False
    return (span.line, span.column) <= (line, column) < (span.end_line, span.end_column)


def _word_at(text: str, line: int, column: int) -> tuple[str, int] | None:
    """The word at (or right before) ``line``/``column`` and the column it starts at."""
    lines = text.split("\n")
    if not 0 < line <= len(lines):
        return None
    for match in _WORD.finditer(lines[line - 1]):
        if match.start() + 1 <= column <= match.end() + 1:
            return match.group(), match.start() + 1
    return None


def _qualifier(text: str, line: int, start: int) -> str | None:
    """The name before ``name.`` where the word at ``start`` follows a dot."""
    before = text.split("\n")[line - 1][: start - 1]
    found = re.search(r"([^\W\d]\w*)(?:\[[^\]]*\])?\.$", before)
    return found.group(1) if found else None


# ---- positions: the library's (1-based, characters) and the protocol's (0-based, UTF-16) ------


def _utf16(line_text: str, column: int) -> int:
    """The protocol's character offset of the 1-based ``column`` of a line."""
    return len(line_text[: max(0, column - 1)].encode("utf-16-le")) // 2


def _column(line_text: str, character: int) -> int:
    """The 1-based column of the protocol's character offset in a line."""
    units_seen = 0
    for index, char in enumerate(line_text):
        if units_seen >= character:
            return index + 1
        units_seen += 2 if ord(char) > 0xFFFF else 1
    return len(line_text) + 1


def _without_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _client_lines(text: str) -> list[str]:
    """The lines of a document as the protocol counts them: ended by CR LF, LF or a lone CR."""
    return re.split(r"\r\n|\r|\n", text)


def _position(lines: Sequence[str], line: int, column: int, shift: int = 0) -> types.Position:
    """The protocol's position of a 1-based one in ``lines``; one past the last line: the end of
    the last (a block's span ends on the line after its ``ende``). ``shift``: the characters
    before the first line's text that the library did not read (a byte order mark)."""
    if line > len(lines) and lines:
        line, column = len(lines), len(lines[-1]) + 1
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return types.Position(line=max(0, line - 1), character=_utf16(text, column) + (shift if line <= 1 else 0))


def _range(lines: Sequence[str], line: int, column: int, end_line: int | None, end_column: int | None,
           shift: int = 0) -> types.Range:
    """A range from 1-based positions; without an end, the word (or character) at the start."""
    start = _position(lines, line, column, shift)
    if end_line is None or end_column is None or (end_line, end_column) <= (line, column):
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        word = _WORD.match(text, max(0, column - 1))
        end_line, end_column = line, (word.end() + 1 if word else min(column + 1, len(text) + 1))
    return types.Range(start=start, end=_position(lines, end_line, end_column, shift))


def _diagnostic(found: Diagnostic, lines: Sequence[str], filename: str, shift: int = 0) -> types.Diagnostic:
    """A finding of the library as the protocol's diagnostic (elsewhere: at the top, naming the place)."""
    message = found.message + (f"\nhinweis: {found.hint}" if found.hint else "")
    location = found.location
    related = None
    if location is not None and Path(location.file).resolve() == Path(filename).resolve():
        where = _range(lines, location.line, location.column, location.end_line, location.end_column, shift)
    else:
        # in another file (a variant's base): at the line naming the base, else at the top
        line = None if location is None else next(
            (number for number, text in enumerate(lines, start=1) if _EXTENDS_LINE.match(text)), None)
        where = (_range(lines, line, len(lines[line - 1]) - len(lines[line - 1].lstrip()) + 1, line,
                        len(lines[line - 1].rstrip()) + 1, shift) if line is not None
                 else types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)))
        if location is not None:
            message = f"{location}: {message}"
            related = [types.DiagnosticRelatedInformation(
                location=_location_of(Span(location.line, location.column, location.line, location.column,
                                           file=location.file), lines, filename),
                message=found.message)]
    severity = types.DiagnosticSeverity.Error if found.is_error else types.DiagnosticSeverity.Warning
    return types.Diagnostic(range=where, message=message, severity=severity, source=_SOURCE, code=found.code,
                            related_information=related)


_EXTENDS_LINE = re.compile(r"[ \t]*erweitert[ \t]+\"")


def _location_of(span: Span, lines: Sequence[str], filename: str, shift: int = 0) -> types.Location:
    """Where a declaration lies, as the protocol's location (the start of its statement)."""
    if span.file is not None:
        path = Path(span.file)
        other = path if path.is_absolute() else Path(filename).parent / path
        try:
            other_text = other.read_text("utf-8", errors="replace") if other.is_file() else ""
        except OSError:
            other_text = ""
        point = _position(source_lines(_without_bom(other_text)), span.line, span.column,
                          1 if other_text.startswith("\ufeff") else 0)
        return types.Location(uri=from_fs_path(str(other.resolve())) or str(other),
                              range=types.Range(start=point, end=point))
    point = _position(lines, span.line, span.column, shift)
    return types.Location(uri=from_fs_path(str(Path(filename).resolve())) or filename,
                          range=types.Range(start=point, end=point))


# ---- the server ------------------------------------------------------------------------------


_COMPLETION_KINDS = {
    "parameter": types.CompletionItemKind.Constant,
    "tabelle": types.CompletionItemKind.Struct,
    "paket": types.CompletionItemKind.Module,
    "liste": types.CompletionItemKind.Class,
    "eingabe": types.CompletionItemKind.Field,
    "wert": types.CompletionItemKind.Variable,
    "aufzählung": types.CompletionItemKind.Enum,
    "element": types.CompletionItemKind.EnumMember,
    "schlüsselwort": types.CompletionItemKind.Keyword,
    "einheit": types.CompletionItemKind.Unit,
}


def _document_key(uri: str) -> str:
    """The key pygls keeps an open document under: its URI with ``%XX`` escapes decoded (an
    editor escapes „ü“, a blank or a drive's colon: ``Verg%C3%BCtung.rules``)."""
    return unquote(uri)


class _Protocol(LanguageServerProtocol):
    """pygls's protocol, but

    - positions are counted in UTF-16 code units, whatever encodings the client offers: the
      server counts them so (the protocol's default, which every client supports); pygls would
      take the client's first choice (Neovim offers UTF-8 first), and every position after an
      umlaut would be off;
    - a change of a document the editor has not opened (or has closed) — which a client should
      not send — is left alone: pygls would fail on it, and the editor would show „Error in
      server: KeyError“."""

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Generator[Any, Any, types.InitializeResult]:
        general = params.capabilities.general
        if general is not None and general.position_encodings is not None:
            general.position_encodings = [types.PositionEncodingKind.Utf16]
        return (yield from super().lsp_initialize(params))

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Iterator[Any]:
        if _document_key(params.text_document.uri) in self.workspace.text_documents:
            yield from super().lsp_text_document__did_change(params)


def make_server() -> LanguageServer:
    """A new language server of rule files (not yet running)."""
    server = LanguageServer(_SOURCE, __version__, protocol_cls=_Protocol,
                            text_document_sync_kind=types.TextDocumentSyncKind.Full)
    analyses: dict[str, Analysis] = {}
    pending: dict[str, asyncio.Future[None]] = {}  # a check waiting for typing to pause, by document
    opened: dict[str, str] = {}  # the URI of each open document as the editor wrote it, by its key

    def filename(uri: str) -> str:
        return to_fs_path(uri) or uri

    def source(uri: str) -> tuple[str, int] | None:
        """An open document's text as the library reads it (a byte order mark left out) and the
        characters left out; None for a document the editor has not opened (whose text pygls
        would read from the disk)."""
        document = server.workspace.text_documents.get(_document_key(uri))
        if document is None:
            return None
        text = document.source
        return (text[1:], 1) if text.startswith("\ufeff") else (text, 0)

    def analyse(uri: str) -> None:
        document = server.workspace.text_documents.get(_document_key(uri))
        found = source(uri)
        if document is None or found is None:  # closed meanwhile
            return
        text, shift = found
        analysis = Analysis.of(text, filename(uri), analyses.get(uri))
        analyses[uri] = analysis
        lines = source_lines(text)
        server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=document.version,
            diagnostics=[_diagnostic(found, lines, filename(uri), shift) for found in analysis.diagnostics]))

    def at(uri: str, position: types.Position) -> tuple[str, Analysis, int, int, int] | None:
        found = source(uri)
        if found is None:
            return None
        text, shift = found
        lines = _client_lines(text)
        line_text = lines[position.line] if position.line < len(lines) else ""
        character = max(0, position.character - shift) if position.line == 0 else position.character
        analysis = analyses.get(uri) or Analysis.of(text, filename(uri))
        return text, analysis, position.line + 1, _column(line_text, character), shift

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        opened[_document_key(params.text_document.uri)] = params.text_document.uri
        analyse(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(params: types.DidChangeTextDocumentParams) -> None:
        # checked once typing pauses: a change within CHANGE_PAUSE of the next is not checked
        uri = params.text_document.uri
        waiting = pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        pending[uri] = asyncio.ensure_future(later(uri))

    async def later(uri: str) -> None:
        await asyncio.sleep(CHANGE_PAUSE)
        pending.pop(uri, None)
        analyse(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        # a variant reads its base from the disk: the open variants are checked again
        saved = _document_key(params.text_document.uri)
        for key, uri in list(opened.items()):
            found = source(uri)
            if key != saved and found is not None and base_name(found[0]) is not None:
                analyse(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        waiting = pending.pop(params.text_document.uri, None)
        if waiting is not None:
            waiting.cancel()
        analyses.pop(params.text_document.uri, None)
        opened.pop(_document_key(params.text_document.uri), None)
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(params: types.HoverParams) -> types.Hover | None:
        found = at(params.text_document.uri, params.position)
        if found is None:
            return None
        text, analysis, line, column, _shift = found
        symbol = analysis.symbol_at(text, line, column)
        if symbol is None:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=symbol.hover))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(params: types.DefinitionParams) -> types.Location | None:
        uri = params.text_document.uri
        found = at(uri, params.position)
        if found is None:
            return None
        text, analysis, line, column, shift = found
        lines = source_lines(text)
        base = base_name(text)
        if base is not None and re.match(r'[ \t]*erweitert[ \t]+"', lines[line - 1] if line <= len(lines) else ""):
            try:
                base_file = find_base(base, Path(filename(uri)).parent)
            except BaseRefused:
                return None
            if base_file is None:
                return None
            start = types.Position(line=0, character=0)
            return types.Location(uri=from_fs_path(str(base_file.resolve())) or str(base_file),
                                  range=types.Range(start=start, end=start))
        symbol = analysis.definition_at(text, line, column)
        return None if symbol is None else _location_of(symbol.span, lines, filename(uri), shift)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["."]))
    def completion(params: types.CompletionParams) -> types.CompletionList:
        found = at(params.text_document.uri, params.position)
        if found is None:
            return types.CompletionList(is_incomplete=False, items=[])
        text, analysis, line, column, _shift = found
        items = [types.CompletionItem(label=label, kind=_COMPLETION_KINDS.get(kind), detail=f"{kind} {detail}".strip())
                 for label, kind, detail in analysis.completions(text, line, column)]
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
        uri = params.text_document.uri
        document = server.workspace.text_documents.get(_document_key(uri))
        if document is None:
            return None
        text = document.source
        try:
            formatted = format_text(text, filename(uri))
        except TeilhabeError:
            return None  # the diagnostics show why
        if formatted == text:
            return []
        lines = _client_lines(text)  # the whole document, to its end as the editor counts lines
        end = types.Position(line=len(lines) - 1, character=_utf16(lines[-1], len(lines[-1]) + 1))
        return [types.TextEdit(range=types.Range(start=types.Position(line=0, character=0), end=end),
                               new_text=formatted)]

    return server


def serve() -> None:
    """Run a new language server over stdin and stdout until the editor ends it."""
    make_server().start_io()
