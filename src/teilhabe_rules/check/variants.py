"""Variants: a model that extends a base model and changes some of it.

Takes: a rule file whose header says ``erweitert "BASIS"``. Gives: one :class:`ast.Module` — the
base model's declarations with the variant's changes merged in — that the checker checks like any
other file. Everything after the checker is unchanged by variants.

The merge, per scope (the model, and each ``liste`` by name):

- ``parameter PFAD = WERT`` sets a new value of a base parameter (the declared type, range and
  documentation stay; ``annahme``/``quelle`` and later values ``ab …`` are the variant's own);
- ``tabelle PFAD`` with rows changes or adds rows of a base table;
- a full declaration whose name exists in the base replaces it in place (``paket`` replaces the
  whole package); its type must be compatible (same kind and unit). A new name adds it;
- ``liste NAME … ende`` with the name of a base list merges into that list;
- checks, properties and templates are added to the base's; the base's examples are not
  inherited — they document the base's figures; a variant states its own.

Every target must exist; a mistake is a :class:`~teilhabe_rules.errors.CheckError` with the
variant's file, line and column and a did-you-mean. Declarations taken from the base keep spans
that name the base file, so later findings point into the right file.

Where a base may lie (:func:`find_base`): a ``.rules`` file in the variant's own directory or
below, in a directory the caller passes explicitly (``search_path``) or below, or a bundled
model by name. An absolute name, ``..`` or a symbolic link out of that tree, a file that is not
a regular ``.rules`` file or is larger than :data:`~teilhabe_rules.files.MAX_RULE_BYTES` is a
check error on the ``erweitert`` line; no message shows anything of a file that is not a rule
file.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypeAlias, TypeGuard, TypeVar

import attrs

from ..errors import CheckError, Diagnostic, Location, did_you_mean
from ..files import MAX_RULE_BYTES, FileRefused, confined, read_text
from ..ir.text import date_text
from ..shipped import model_files
from ..span import source_lines
from ..syntax import ast
from ..syntax.builder import parse_module
from ..units import UnitError, parse_unit

__all__ = ["BaseRefused", "base_files", "base_name", "find_base", "is_variant", "load_variant"]

_EXTENDS = re.compile(r'^[ \t]*erweitert[ \t]+"([^"\n]*)"', re.MULTILINE)
_MODEL_START = re.compile(r"^[ \t]*modell\b", re.MULTILINE)
_HEADER_END = re.compile(r"^[ \t]*ende\b", re.MULTILINE)


def base_name(text: str) -> str | None:
    """The base named by ``erweitert "…"`` in the header of a rule file's text, or None."""
    start = _MODEL_START.search(text)
    if start is None:
        return None
    end = _HEADER_END.search(text, start.end())
    match = _EXTENDS.search(text, start.end(), end.start() if end else len(text))
    return match.group(1) if match else None


def is_variant(text: str) -> bool:
    return base_name(text) is not None


def load_variant(text: str, filename: str, bases: Sequence[tuple[Path, str]] = (),
                 search_path: Sequence[str | Path] = ()) -> tuple[ast.Module, tuple[Diagnostic, ...]]:
    """Parse a variant and merge it with its base (recursively: a base may be a variant too).

    ``bases``: base files already read (:func:`base_files`), used instead of reading them again.
    ``search_path``: further directories a base may lie in (see :func:`find_base`).
    Gives the merged module and the merge's findings: its warnings (a new declaration whose name
    is close to one of the base — most likely a typo) and its errors (an override of what the base
    lacks, a name declared twice …; the module then without what failed, to be checked for the
    rest of the variant's errors). A base's own merge that fails raises its CheckError."""
    warnings: list[Diagnostic] = []
    known = {str(path.resolve()): base_text for path, base_text in bases}
    return _load(text, filename, (), warnings, known, _folders(search_path)), tuple(warnings)


def _folders(search_path: Sequence[str | Path]) -> tuple[Path, ...]:
    return tuple(Path(folder) for folder in search_path)


def _load(text: str, filename: str, seen: tuple[str, ...], warnings: list[Diagnostic],
          known: Mapping[str, str], search_path: tuple[Path, ...], span_file: str | None = None) -> ast.Module:
    """The module of ``text``, merged with its base if it is a variant. A base is parsed with
    its file in every span (``span_file``): the merged model names where each declaration
    comes from."""
    module = parse_module(text, filename, span_file)
    if module.header.extends is None:
        return module
    base_path = _resolve(module, text, search_path)
    key = str(base_path.resolve())
    own = str(Path(filename).resolve())
    if key in (*seen, own):
        chain = " → ".join(Path(s).name for s in (*seen, own, key))
        hint = (f"„erweitert \"{module.header.extends}\"“ findet die Datei selbst: eine Basis wird zuerst im Ordner "
                "der Variante gesucht, erst dann unter den mitgelieferten Modellen — für ein mitgeliefertes "
                "Modell die Variante anders nennen" if key == own
                else "eine Basis erweitert keine ihrer Varianten: eine „erweitert“-Zeile der Kette entfernen")
        raise CheckError(_diag(module, text, f"Die Varianten erweitern sich im Kreis: {chain}",
                               _extends_span(module, text), hint))
    if key in known:
        base_text = known[key]
    else:
        try:
            base_text = read_text(base_path, MAX_RULE_BYTES)
        except FileRefused as exc:
            message = f"Das Basismodell „{module.header.extends}“ ({base_path}) {exc.reason}"
            raise CheckError(_diag(module, text, message, _extends_span(module, text), exc.hint)) from None
    base = _load(base_text, str(base_path), (*seen, own), warnings, known, search_path, str(base_path))
    merger = _Merger(base, base_text, module, text)
    # the variant read first: its merge's errors go with the check's findings of the merged model
    # (an override that fails leaves the base's declaration as it is); a base's end the reading
    merged = merger.merge(collect=not seen)
    warnings.extend(merger.diagnostics)
    return merged


class BaseRefused(Exception):
    """A base named by ``erweitert`` that is not read: ``message`` and ``hint`` in German."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint


def find_base(name: str, folder: Path, search_path: Sequence[Path] = ()) -> Path | None:
    """Where the base ``name`` of a variant in ``folder`` lies, or None if nowhere.

    Looked for as ``name.rules``, then ``name``: in ``folder`` and below, then in each directory
    of ``search_path`` and below, then — for a plain name — among the bundled models. A name
    that is absolute, leads out of its directory with ``..`` or through a symbolic link, or
    names a file that is not a ``.rules`` file, is refused (:class:`BaseRefused`): a rule file
    reads no other files."""
    if not name:
        return None
    shown = name.replace("\x00", "\\0")
    for root in (folder, *search_path):
        for candidate in _candidates(name):
            try:
                path = confined(candidate, root)
            except FileRefused as exc:
                raise BaseRefused(
                    f"Das Basismodell „{shown}“ {exc.reason}", _where_allowed(folder, search_path)
                ) from None
            if os.path.exists(path) and not os.path.isdir(path):
                if not path.name.endswith(".rules") or not os.path.realpath(path).endswith(".rules"):
                    raise BaseRefused(f"Das Basismodell „{shown}“ ist keine Regeldatei (Endung .rules)",
                                      _where_allowed(folder, search_path))
                return path
    if "/" in name or os.sep in name:
        return None
    return next((path for path in model_files() if path.stem == name or path.name == name), None)


def _where_allowed(folder: Path, search_path: Sequence[Path]) -> str:
    """The hint where a base may lie."""
    roots = ", ".join(os.path.abspath(root) for root in (folder, *search_path))
    return (f"ein Basismodell ist ein mitgeliefertes Modell (beim Namen) oder eine .rules-Datei in {roots} "
            "oder darunter, relativ angegeben; weitere Verzeichnisse nennt der Aufrufer (load(…, search_path=[…]))")


def _candidates(name: str) -> list[str]:
    """The file names tried for a base: ``name.rules`` first, then ``name`` as written."""
    return [name] if name.endswith(".rules") else [f"{name}.rules", name]


def base_files(text: str, filename: str, search_path: Sequence[str | Path] = ()) -> list[tuple[Path, str]] | None:
    """The chain of base files (path and text) a variant's text builds on, nearest first, as
    loading will find them; None where one cannot be found or read, or the chain loops (loading
    then reports why). The checked-model cache keys a variant by them."""
    folders = _folders(search_path)
    chain: list[tuple[Path, str]] = []
    seen = {str(Path(filename).resolve())}
    name, folder = base_name(text), Path(filename).parent
    while name is not None:
        try:
            path = find_base(name, folder, folders)
        except BaseRefused:
            return None
        if path is None or str(path.resolve()) in seen:
            return None
        seen.add(str(path.resolve()))
        try:
            base_text = read_text(path, MAX_RULE_BYTES)
        except FileRefused:
            return None
        chain.append((path, base_text))
        name, folder = base_name(base_text), path.parent
    return chain


def _resolve(module: ast.Module, text: str, search_path: tuple[Path, ...]) -> Path:
    """Where the base lies (:func:`find_base`); a located CheckError if nowhere or refused."""
    name = module.header.extends or ""
    folder = Path(module.file).parent
    try:
        found = find_base(name, folder, search_path)
    except BaseRefused as exc:
        raise CheckError(_diag(module, text, exc.message, _extends_span(module, text), exc.hint)) from None
    if found is not None:
        return found
    bundled = model_files()
    tried = (
        [str(root / candidate) for root in (folder, *search_path) for candidate in _candidates(name)] if name else []
    )
    span = _extends_span(module, text)
    hint = did_you_mean(name, (p.stem for p in bundled)) or (
        f"gesucht: {', '.join(tried)} und die mitgelieferten Modelle ({', '.join(p.stem for p in bundled)})"
        if tried else
        f"„erweitert“ nennt das Basismodell, etwa erweitert \"{bundled[0].stem}\" (mitgeliefert: "
        f"{', '.join(p.stem for p in bundled)})"
    )
    raise CheckError(_diag(module, text, f"Das Basismodell „{name}“ wurde nicht gefunden", span, hint))


def _extends_span(module: ast.Module, text: str) -> ast.Span:
    for number, line in enumerate(text.split("\n"), start=1):
        match = re.match(r'^([ \t]*erweitert[ \t]+)"', line)
        if match:
            return ast.Span(number, match.end(1) + 1, number, len(line.rstrip()) + 1)
    return module.header.span


def _diag(module: ast.Module, text: str, message: str, span: ast.Span, hint: str | None = None,
          severity: str = "fehler") -> Diagnostic:
    lines = source_lines(text)
    source_line = lines[span.line - 1] if 0 < span.line <= len(lines) else None
    return Diagnostic(message, Location(module.file, span.line, span.column, span.end_line, span.end_column),
                      severity, hint, source_line, code="variante")


# ---- types ---------------------------------------------------------------------------------


def _unit_text(text: str | None) -> str:
    if not text:
        return ""
    try:
        return str(parse_unit(text))
    except UnitError:
        return text


def _signature(spec: ast.TypeSpec | None) -> str | None:
    """A type as compared between base and variant: kind and unit, not range or choices."""
    if spec is None:
        return None
    if spec.kind in ("zahl", "ganzzahl", "auswahl"):
        return "Zahl" + (f" in {_unit_text(spec.unit.text)}" if spec.unit and _unit_text(spec.unit.text) else "")
    if spec.kind == "name" and spec.name is not None:
        try:
            unit = str(parse_unit(spec.name))
            return "Zahl" + (f" in {unit}" if unit else "")
        except UnitError:
            return spec.name
    if spec.kind == "stufe":
        return "Stufe" + (f" von {spec.name}" if spec.name else "")
    names = {"ja_nein": "ja/nein", "datum": "Datum", "text": "Text", "schlüssel": "Schlüssel 1:x"}
    return names.get(spec.kind, spec.kind)


# ---- the merge -------------------------------------------------------------------------------

# The declarations a variant replaces by name.
_Named: TypeAlias = (
    ast.Enumeration | ast.Input | ast.Parameter | ast.Table | ast.Value | ast.Package | ast.ListDecl | ast.Template
)
_KINDS: dict[type[_Named], str] = {
    ast.Enumeration: "Aufzählung",
    ast.Input: "Eingabe",
    ast.Parameter: "Parameter",
    ast.Table: "Tabelle",
    ast.Value: "Wert",
    ast.Package: "Paket",
    ast.ListDecl: "Liste",
    ast.Template: "Vorlage",
}
# the kind with its indefinite article, and its negation, for messages
_A: dict[type[ast.Declaration], str] = {
    ast.Enumeration: "eine Aufzählung", ast.Input: "eine Eingabe", ast.Parameter: "ein Parameter",
    ast.Table: "eine Tabelle", ast.Value: "ein Wert", ast.Package: "ein Paket", ast.ListDecl: "eine Liste",
    ast.Template: "eine Vorlage",
}
_NO: dict[type[_Named], str] = {ast.Parameter: "kein Parameter", ast.Table: "keine Tabelle"}
_ACCUSATIVE: dict[type[_Named], str] = {ast.Parameter: "einen Parameter", ast.Value: "einen Wert"}

# What an override changes: a parameter (``parameter PFAD = WERT``) or a table (``tabelle PFAD``).
_Overridden = TypeVar("_Overridden", ast.Parameter, ast.Table)


def _a(item: ast.Declaration) -> str:
    return _A.get(type(item), "eine andere Deklaration")


def _is_named(item: ast.Declaration) -> TypeGuard[_Named]:
    """A declaration of one of the kinds of :data:`_KINDS` (exactly, as ``type(item)``)."""
    return type(item) in _KINDS


class _Merger:
    def __init__(self, base: ast.Module, base_text: str, variant: ast.Module, text: str):
        self.base = base
        self.base_text = base_text
        self.variant = variant
        self.text = text
        self.diagnostics: list[Diagnostic] = []

    def report(self, message: str, span: ast.Span, hint: str | None = None, severity: str = "fehler") -> None:
        self.diagnostics.append(_diag(self.variant, self.text, message, span, hint, severity))

    def merge(self, collect: bool = False) -> ast.Module:
        """The merged module; an error of the merge raises a CheckError, unless ``collect``: then
        the module without what failed, and the errors in :attr:`diagnostics`."""
        base_items = _strip_examples(self.base.items)  # its spans name its file already
        header = self.merge_header(self.base.header, self.variant.header)
        items = self.within_validity(self.merge_items(base_items, self.variant.items, ""), header)
        self.diagnostics.sort(key=lambda d: (d.location.line, d.location.column) if d.location else (0, 0))
        if not collect and any(d.is_error for d in self.diagnostics):
            raise CheckError(list(self.diagnostics))
        sources = ((self.base.file, self.base_text), *self.base.sources)
        return ast.Module(header, items, self.variant.file, sources)

    @staticmethod
    def merge_header(base: ast.Header, variant: ast.Header) -> ast.Header:
        """The variant's header lines win; the rest is inherited — except ``version`` and
        ``vorgänger`` (a variant is another model), and ``gültig bis``, which is inherited only
        when the variant does not set its own ``gültig ab`` (a new version starts afresh)."""
        return ast.Header(
            variant.name,
            variant.title or base.title,
            variant.span,
            version=variant.version,
            long_title=variant.long_title or base.long_title,
            valid_from=variant.valid_from or base.valid_from,
            valid_to=(
                variant.valid_to
                if variant.valid_to is not None or variant.valid_from is not None
                else base.valid_to
            ),
            sources=base.sources + tuple(s for s in variant.sources if s not in base.sources),
            family=variant.family or base.family,
            reference_date=variant.reference_date or base.reference_date,
            description=variant.description or base.description,
            predecessor=variant.predecessor,
            extends=variant.extends,
            budget=variant.budget or base.budget,
            element_budget=variant.element_budget or base.element_budget,
        )

    def within_validity(self, items: tuple[ast.Declaration, ...], header: ast.Header) -> tuple[ast.Declaration, ...]:
        """The merged ``items`` with the parameters taken from the base (spans naming the base's
        file; the variant's own and its overrides name none) reduced to the values per period that
        fall in the variant's validity (``header``, the merged one): a variant that starts later
        than its base takes the value in force on its first day as its first value, and one that
        ends earlier leaves the values of later periods out. Only periods within the base's own
        validity move: one the base itself places wrongly stays, for the checker to report in
        the base file."""
        base = self.base.header
        start = header.valid_from if base.valid_from is not None and header.valid_from is not None \
            and header.valid_from > base.valid_from else None
        end = header.valid_to if header.valid_to is not None and (
            base.valid_to is None or header.valid_to < base.valid_to) else None
        if start is None and end is None:
            return items
        out: list[ast.Declaration] = []
        for item in items:
            if isinstance(item, ast.Parameter) and item.periods and item.span.file is not None:
                item = self.parameter_within(item, base, start, end)
            elif isinstance(item, (ast.Package, ast.ListDecl)):
                item = attrs.evolve(item, items=self.within_validity(item.items, header))
            out.append(item)
        return tuple(out)

    def parameter_within(self, param: ast.Parameter, base: ast.Header, start: _dt.date | None,
                         end: _dt.date | None) -> ast.Parameter:
        periods = param.periods
        if start is not None:
            # the leading periods, in order and inside the base's validity, that begin by the
            # variant's first day: the last of them is the value in force on that day
            passed = 0
            previous = base.valid_from
            for period in periods:
                if previous is None or not previous < period.valid_from <= start \
                        or base.valid_to is not None and period.valid_from > base.valid_to:
                    break
                previous = period.valid_from
                passed += 1
            if passed:
                current = periods[passed - 1]
                periods = periods[passed:]
                if current.valid_to is not None and current.valid_to < start:
                    where = _place(current.span)
                    self.report(f"„{param.name}“ hat am {date_text(start)}, dem Beginn der Gültigkeit der Variante, "
                                f"keinen Wert: sein letzter Wert im Basismodell „{base.name}“ endet am "
                                f"{date_text(current.valid_to)} ({where})", self.valid_from_span(),
                                f"gib ihn in der Variante an: parameter {param.name} = WERT")
                    return attrs.evolve(param, periods=())
                param = attrs.evolve(param, value=current.value, assumptions=current.assumptions,
                                     sources=current.sources, periods=periods)
        if end is not None and periods:
            limit = base.valid_to
            kept = tuple(p for p in periods if not end < p.valid_from or limit is not None and p.valid_from > limit)
            if kept and kept[-1] is periods[-1] and (to := kept[-1].valid_to) is not None and end < to \
                    and (limit is None or to <= limit):
                kept = (*kept[:-1], attrs.evolve(kept[-1], valid_to=None))
            param = attrs.evolve(param, periods=kept)
        return param

    def valid_from_span(self) -> ast.Span:
        """Where the variant writes ``gültig ab`` (else its header)."""
        header = self.variant.header
        lines = source_lines(self.text)
        for number in range(header.span.line, min(header.span.end_line, len(lines)) + 1):
            line = lines[number - 1]
            match = re.match(r"^([ \t]*)gültig[ \t]+ab\b", line)
            if match:
                return ast.Span(number, match.end(1) + 1, number, len(line.rstrip()) + 1)
        return header.span

    def merge_items(
        self, base_items: tuple[ast.Declaration, ...], variant_items: Iterable[ast.Declaration], where: str
    ) -> tuple[ast.Declaration, ...]:
        items = list(base_items)
        # what the variant replaces here, by name or path, and the table rows it overrides: a
        # second one would silently win over the first (two blocks of one list, or of one table
        # with other rows, are merged: they are not refused)
        written: dict[tuple[bool, str], ast.Declaration] = {}
        rows: dict[tuple[str, tuple[str, ...]], ast.TableRow] = {}
        # the overrides last: a parameter or table override targets what is in force in the
        # variant — in a package the variant replaces, its package, wherever the override stands
        ordered = sorted(variant_items, key=lambda item: isinstance(item, (ast.ParameterOverride, ast.TableOverride)))
        for item in ordered:
            if isinstance(item, ast.TableOverride):
                for row in item.rows:
                    first_row = rows.setdefault((str(item.path), _row_key(row)), row)
                    if first_row is not row:
                        self.report(f"Die Zeile {', '.join(_row_key(row))} von „{item.path}“ ist in der Variante "
                                    "doppelt überschrieben", row.span,
                                    f"zuerst in Zeile {first_row.span.line}; die spätere ersetzte die frühere")
            key = ((True, str(item.path)) if isinstance(item, ast.ParameterOverride)
                   else (False, item.name) if _is_named(item) and not isinstance(item, ast.ListDecl) else None)
            if key is not None:
                overrides, name = key
                declared = written.get((False, name)) if overrides else None
                if isinstance(declared, ast.Parameter):  # (declared anew and overridden: one would win silently)
                    self.report(f"„{name}“ ist in der Variante zweimal gesetzt: neu deklariert und überschrieben",
                                item.span, f"deklariert in Zeile {declared.span.line}; setze den Wert dort "
                                           "oder überschreibe ihn nur")
                    continue
                first = written.setdefault(key, item)
                if first is not item:
                    what = "überschrieben" if overrides else "definiert"
                    self.report(f"„{name}“ ist in der Variante doppelt {what}", item.span,
                                f"zuerst in Zeile {first.span.line}; eine Variante ersetzt oder ergänzt "
                                "jede Deklaration einmal")
                    continue
            if isinstance(item, ast.ParameterOverride):
                self.override_parameter(items, item, item.path.steps, where)
            elif isinstance(item, ast.TableOverride):
                self.override_table(items, item, item.path.steps, where)
            elif isinstance(item, ast.ListDecl):
                index = self.find(items, item.name)
                if index is None:
                    self.add(items, item, where, base_items)
                elif not isinstance(old := items[index], ast.ListDecl):
                    self.kind_clash(old, item)
                else:
                    inner = self.merge_items(old.items, item.items, _join(where, item.name))
                    items[index] = ast.ListDecl(
                        old.name, item.title or old.title,
                        item.min_count if item.min_count is not None else old.min_count,
                        item.max_count if item.max_count is not None else old.max_count,
                        inner, old.span,
                    )
            elif _is_named(item):
                index = self.find(items, item.name)
                if index is None:
                    self.add(items, item, where, base_items)
                elif type(items[index]) is not type(item):
                    self.kind_clash(items[index], item)
                else:
                    self.check_compatible(items[index], item)
                    items[index] = item
            else:  # checks, properties, examples, level rules: added
                items.append(item)
        return tuple(items)

    @staticmethod
    def find(items: list[ast.Declaration], name: str) -> int | None:
        for index, item in enumerate(items):
            if _is_named(item) and item.name == name:
                return index
        return None

    def add(self, items: list[ast.Declaration], item: _Named, where: str,
            base_items: Iterable[ast.Declaration]) -> None:
        """A declaration the base does not have; a name close to a base name of the same kind
        (one of ``base_items``, not another new declaration of the variant) is most likely a typo
        of it, and reported as a warning."""
        same_kind = [other.name for other in base_items if type(other) is type(item) and _is_named(other)]
        close = difflib.get_close_matches(item.name, same_kind, n=1, cutoff=0.75)
        if close:
            place = f" in „{where}“" if where else ""
            self.report(f"{_KINDS[type(item)]} „{item.name}“ ist neu{place}; das Basismodell hat „{close[0]}“",
                        item.span, f"soll „{close[0]}“ ersetzt werden, heißt die Deklaration „{close[0]}“",
                        severity="warnung")
        items.append(item)

    def kind_clash(self, old: ast.Declaration, new: _Named) -> None:
        self.report(f"„{new.name}“ ist im Basismodell {_a(old)} und lässt sich nicht durch "
                    f"{_ACCUSATIVE.get(type(new), _a(new))} ersetzen", new.span,
                    f"deklariert in {old.span.file}:{old.span.line}; "
                    f"für einen neuen Wert: parameter {new.name} = WERT"
                    if isinstance(old, ast.Parameter) else f"deklariert in {old.span.file}:{old.span.line}")

    def check_compatible(self, old: ast.Declaration, new: _Named) -> None:
        """A replacement keeps the kind and unit the base's formulas rely on (``old`` is of the
        kind of ``new``)."""
        pairs: list[tuple[str, ast.TypeSpec | None, ast.TypeSpec | None]] = []
        if (isinstance(new, (ast.Parameter, ast.Input)) and isinstance(old, (ast.Parameter, ast.Input))) or (
            isinstance(new, ast.Value) and isinstance(old, ast.Value) and old.type is not None and new.type is not None
        ):  # a value's type only where both declare one
            pairs.append(("den Typ", old.type, new.type))
        elif isinstance(new, ast.Table) and isinstance(old, ast.Table):
            pairs.append(("den Werttyp", old.value_type, new.value_type))
            if len(old.key_types) != len(new.key_types):
                self.report(f"Die Tabelle „{new.name}“ hat im Basismodell {len(old.key_types)} Schlüssel, "
                            f"hier {len(new.key_types)}", new.span, f"deklariert in {old.span.file}:{old.span.line}")
            # a differing number of keys is reported above; the common ones are compared
            for old_key, new_key in zip(old.key_types, new.key_types, strict=False):
                pairs.append(("den Schlüsseltyp", old_key, new_key))
        for what, old_type, new_type in pairs:
            before, after = _signature(old_type), _signature(new_type)
            if before != after:
                span = new_type.span if new_type is not None else new.span
                self.report(f"„{new.name}“ ändert {what}: im Basismodell {before}, hier {after}", span,
                            f"die Formeln des Basismodells rechnen mit {before} ({old.span.file}:{old.span.line})")

    # ---- overrides ------------------------------------------------------------------------

    def override_parameter(
        self, items: list[ast.Declaration], item: ast.ParameterOverride, steps: tuple[str | int, ...], where: str
    ) -> None:
        def change(old: ast.Parameter) -> ast.Parameter:
            return ast.Parameter(old.name, old.type, item.value, item.doc or old.doc, item.assumptions, item.sources,
                                 item.span, item.periods)

        self.apply(items, item, steps, where, ast.Parameter, "Parameter", change)

    def override_table(
        self, items: list[ast.Declaration], item: ast.TableOverride, steps: tuple[str | int, ...], where: str
    ) -> None:
        def change(old: ast.Table) -> ast.Table:
            rows = list(old.rows)
            positions = {_row_key(row): number for number, row in enumerate(rows)}
            for row in item.rows:
                key = _row_key(row)
                if key in positions:
                    rows[positions[key]] = row
                else:
                    positions[key] = len(rows)
                    rows.append(row)
            return attrs.evolve(old, rows=tuple(rows))

        self.apply(items, item, steps, where, ast.Table, "Tabelle", change)

    def apply(
        self,
        items: list[ast.Declaration],
        item: ast.ParameterOverride | ast.TableOverride,
        steps: tuple[str | int, ...],
        where: str,
        kind: type[_Overridden],
        what: str,
        change: Callable[[_Overridden], _Overridden],
        own: ast.Package | ast.ListDecl | None = None,
    ) -> None:
        """Replace the declaration at ``steps`` by ``change(old)``, rebuilding the lists and
        packages on the way (the AST is immutable). ``own``: the package or list ``items`` belong
        to where the variant declares it itself (a target missing there is not the base's)."""
        names = tuple(step for step in steps if isinstance(step, str))
        if len(names) < len(steps):
            self.report(f"„{'.'.join(map(str, steps))}“: ein Pfad einer {what} hat keinen Index", item.path.span)
            return
        index = self.find(items, names[0])
        if len(names) > 1 and index is not None and isinstance(holder := items[index], (ast.ListDecl, ast.Package)):
            inner = list(holder.items)
            before = len(self.diagnostics)
            own = holder if holder.span.file == self.variant.header.span.file else None
            self.apply(inner, item, names[1:], _join(where, names[0]), kind, what, change, own)
            if len(self.diagnostics) == before:
                items[index] = attrs.evolve(holder, items=tuple(inner))
            return
        if len(names) == 1 and index is not None and isinstance(target := items[index], kind):
            items[index] = change(target)
            return
        # what may be named: where a package or list the variant declares itself is looked in,
        # its declarations; else the base's — not a declaration new in the variant (which the
        # variant sets in its declaration), named in the hint as such
        declared = _paths(items, kind)
        in_force = list(declared)
        base = set(_paths(self.base.items, kind))
        candidates = in_force if own is not None else [c for c in in_force if _join(where, c) in base]
        wanted = _join(where, ".".join(names))
        hint = difflib.get_close_matches(".".join(names), candidates, n=1, cutoff=0.6)
        new = [] if hint or own is not None else difflib.get_close_matches(
            ".".join(names), [c for c in in_force if c not in candidates], n=1, cutoff=0.6)
        article = "keinen" if kind is ast.Parameter else "keine"
        if index is not None and len(steps) == 1:
            found = items[index]
            assert _is_named(found)  # (as find finds)
            message = f"„{wanted}“ ist im Basismodell {_a(found)}, {_NO[kind]}"
            if own is not None or _join(where, names[0]) not in _paths(self.base.items, type(found)):
                message = f"„{wanted}“ ist in der Variante {_a(found)}, {_NO[kind]}"
        elif own is not None and len(steps) == 1:
            # a package or list the variant declares itself (anew, or replacing the base's)
            holder_kind = "Das Paket" if isinstance(own, ast.Package) else "Die Liste"
            message = f"{holder_kind} „{where}“ der Variante hat {article} {what} „{wanted[len(where) + 1:]}“"
        else:
            message = f"Das Basismodell „{self.base.header.name}“ hat {article} {what} „{wanted}“"
        changed = "den Wert" if kind is ast.Parameter else "die Zeilen"
        self.report(message, item.path.span, f"meinten Sie „{_join(where, hint[0])}“?" if hint else
                    f"„{_join(where, new[0])}“ ist neu in der Variante, deklariert in "
                    f"{_place(declared[new[0]].span)}: ändere {changed} dort"
                    if new else
                    (f"vorhanden: {', '.join(_join(where, c) for c in candidates[:12])}" if candidates else None))


def _paths(items: Iterable[ast.Declaration], kind: type[_Named], prefix: str = "") -> dict[str, _Named]:
    """The declarations of ``kind`` in ``items`` by dotted path (into packages and lists), in
    their order."""
    out: dict[str, _Named] = {}
    for item in items:
        if isinstance(item, kind):
            out[_join(prefix, item.name)] = item
        if isinstance(item, (ast.Package, ast.ListDecl)):
            out.update(_paths(item.items, kind, _join(prefix, item.name)))
    return out


def _place(span: ast.Span) -> str:
    """Where a declaration stands, for a hint: its line, with its file where that is another
    one (the base's)."""
    return f"{span.file}:{span.line}" if span.file else f"Zeile {span.line}"


def _row_key(row: ast.TableRow) -> tuple[str, ...]:
    return tuple(str(k) if not isinstance(k, str) else k for k in row.keys)


def _join(*parts: str) -> str:
    return ".".join(p for p in parts if p)


def _strip_examples(items: tuple[ast.Declaration, ...]) -> tuple[ast.Declaration, ...]:
    """The base's declarations without its examples (a variant states its own)."""
    out = []
    for item in items:
        if isinstance(item, ast.Example):
            continue
        if isinstance(item, (ast.Package, ast.ListDecl)):
            item = attrs.evolve(item, items=_strip_examples(item.items))
        out.append(item)
    return tuple(out)


