"""The checker's second pass: the types, units and values of declarations.

Takes: the :class:`~teilhabe_rules.check.scopes.Declarations` of the names pass.
Gives: :class:`TypeReader` — reads a written type, unit or literal (checking units and ranges),
for this pass and the later ones — and :class:`DeclaredTypes` (from :func:`resolve_declarations`):
the inputs of every scope (with the level inputs of the packages), the parameters with their
dated values, the tables with their rows, the type of every input and parameter by symbol id,
and the keys each table writes (for the coverage pass).
"""

from __future__ import annotations

import datetime as _dt
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import attrs

from ..errors import did_you_mean
from ..ir import checked as c
from ..ir.checked import TypeKind
from ..ir.text import date_text
from ..syntax import ast
from ..syntax.hints import KEYWORDS
from ..units import DIMENSIONLESS, Unit, UnitError, parse_unit
from .findings import Fail, Findings, join
from .scopes import Declarations, Symbol

__all__ = ["DeclaredTypes", "Literal", "TypeReader", "WrittenTable", "resolve_declarations"]

# A runtime value of a literal: a number, a member of an aufzählung, a truth value, a date, a text.
Literal = Decimal | int | str | bool | _dt.date


class TypeReader:
    """Reads written types, units and literals; reports what it cannot read (and raises :class:`Fail`)."""

    def __init__(self, findings: Findings, declarations: Declarations):
        self.findings = findings
        self.declarations = declarations

    def unit_of(self, text: ast.UnitText | None, after_number: bool = False) -> Unit:
        """The unit written as ``text``; ``after_number``: it follows a number (``1 h``), where a
        misspelt keyword reads as a unit (``1 anahme``)."""
        if text is None:
            return DIMENSIONLESS
        try:
            return parse_unit(text.text)
        except UnitError as exc:
            parts = [p.strip() for p in text.text.split("/")]
            bad = next((p for p in parts if p not in exc.candidates), text.text)
            keyword = did_you_mean(bad, KEYWORDS) if after_number and bad == text.text else None
            hint = did_you_mean(bad, exc.candidates) or (
                # a misspelt keyword after a number reads as its unit (``1 anahme "…"``)
                f"{keyword} (nach einer Zahl wird ein Wort als ihre Einheit gelesen)" if keyword else
                "bekannte Einheiten: min, h, Tag, Woche, Jahr, Monat, EUR, VK, Person, Platz, %"
            )
            where = f" in „{text.text}“" if bad != text.text else ""
            raise self.findings.fail(f"Unbekannte Einheit „{bad}“{where}", text.span, hint) from None

    def type_of(self, spec: ast.TypeSpec, package: str | None = None, scope: str = "") -> c.ValueType:
        fail = self.findings.fail
        enums = self.declarations.enums
        kind = spec.kind
        if kind in ("zahl", "ganzzahl"):
            unit = self.unit_of(spec.unit)
            if kind == "ganzzahl" and unit.percent:  # (a share is held as a fraction: 50 % is 0.5)
                raise fail("Ein Anteil in % ist keine ganze Zahl: „ganzzahl %“ ließe nur 0 % und 100 % zu",
                           spec.span, "schreibe „zahl %“; ganze Prozentpunkte: „auswahl {0, 5, 10} %“")
            low = self._bound(spec.low, unit) if spec.low else None
            high = self._bound(spec.high, unit) if spec.high else None
            if low is not None and high is not None and low > high:
                raise fail(f"Der Bereich von {low} bis {high} ist leer", spec.span)
            if (kind == "ganzzahl" and low is not None and high is not None
                    and low.to_integral_value(rounding=ROUND_CEILING) > high.to_integral_value(rounding=ROUND_FLOOR)):
                raise fail(f"Im Bereich von {low} bis {high} liegt keine ganze Zahl", spec.span,
                           "eine ganzzahl-Eingabe braucht mindestens eine ganze Zahl in ihrem Bereich")
            return c.ValueType(TypeKind.ZAHL, unit, kind == "ganzzahl", low, high)
        if kind == "auswahl":
            unit = self.unit_of(spec.unit)
            values = tuple(self._bound(n, unit) for n in spec.choices)
            if len(set(values)) != len(values):
                raise fail("Eine Auswahl enthält einen Wert doppelt", spec.span)
            integer = all(v == v.to_integral_value() for v in values)
            return c.ValueType(TypeKind.ZAHL, unit, integer, min(values), max(values), tuple(values))
        if kind == "ja_nein":
            return c.BOOL
        if kind == "datum":
            return c.DATE
        if kind == "text":
            return c.TEXT
        if kind == "schlüssel":
            return c.KEY
        if kind == "stufe":
            pid = None
            if spec.name is None:
                if package is None:
                    raise fail("„stufe“ ohne Paket: schreibe „stufe von PAKET“", spec.span)
                pid = join(scope, package)
            else:
                sym = self.declarations.lookup_package(spec.name, scope)
                if sym is None:
                    packages = [p.name for p in self.declarations.packages.values()]
                    raise fail(f"Unbekanntes Paket „{spec.name}“", spec.span, did_you_mean(spec.name, packages))
                pid = sym.id
            declared = self.declarations.packages.get(pid)
            level_type = declared.level_type if declared is not None else None
            if level_type is None:
                raise fail(f"Das Paket „{pid}“ hat keine Stufen", spec.span)
            return c.ValueType(TypeKind.ENUM, enum=level_type, integer=True)
        if kind == "name":
            assert spec.name is not None
            if spec.name in enums:
                return c.ValueType(TypeKind.ENUM, enum=enums[spec.name], integer=enums[spec.name].numeric)
            try:
                return c.ValueType(TypeKind.ZAHL, parse_unit(spec.name))
            except UnitError:
                candidates = list(enums) + [
                    "zahl", "ganzzahl", "auswahl", "ja_nein", "datum", "text", "schlüssel", "stufe",
                    "EUR", "VK", "Personen", "Tage", "min", "h",
                ]
                raise fail(f"Unbekannter Typ „{spec.name}“", spec.span,
                           did_you_mean(spec.name, candidates)
                           or "ein Typ ist zahl, ganzzahl, auswahl {…}, ja_nein, datum, text, schlüssel, stufe, "
                           "eine Einheit oder eine Aufzählung") from None
        raise fail(f"Unbekannter Typ „{kind}“", spec.span)  # pragma: no cover

    def _bound(self, number: ast.Number, unit: Unit) -> Decimal:
        if number.unit is not None:
            got = self.unit_of(number.unit, after_number=True)
            if not unit.takes_written(got):
                raise self.findings.fail(
                    f"Die Einheit „{number.unit.text}“ passt nicht zu {str(unit) or 'einer Zahl ohne Einheit'}",
                    number.span,
                )
        return number.value / 100 if unit.percent else number.value

    def literal_value(self, expr: ast.Expression, vtype: c.ValueType, what: str) -> Literal:
        """A literal as a runtime value of ``vtype`` (numbers checked for unit and range)."""
        fail = self.findings.fail
        if vtype.kind == TypeKind.ZAHL:
            if not isinstance(expr, ast.Number):
                raise fail(f"{what} muss eine Zahl sein ({vtype.describe()})", expr.span)
            if expr.unit is not None:
                unit = self.unit_of(expr.unit, after_number=True)
                if not vtype.unit.takes_written(unit):
                    raise fail(
                        f"{what} hat die Einheit „{expr.unit.text}“, erwartet ist {str(vtype.unit) or 'keine Einheit'}",
                        expr.span, "ändere die Einheit oder rechne den Wert um",
                    )
            elif vtype.unit.percent and expr.value != 0:
                # as in an expression: „5“ for a share could mean 5 % or 500 %
                raise fail(f"{what}: die Zahl {expr.value} ohne Einheit steht für einen Prozentwert", expr.span,
                           f"schreibe „{expr.value} %“ oder, wenn das Ganze gemeint ist, „{expr.value * 100} %“",
                           code="einheit")
            value = expr.value / 100 if vtype.unit.percent else expr.value
            if vtype.integer and value != value.to_integral_value():
                raise fail(f"{what} muss eine ganze Zahl sein", expr.span)
            if vtype.choices is not None and value not in vtype.choices:
                allowed = ", ".join(map(str, vtype.choices))
                raise fail(f"{what} ({value}) ist keiner der erlaubten Werte {{{allowed}}}", expr.span)
            if vtype.low is not None and value < vtype.low or vtype.high is not None and value > vtype.high:
                scale = 100 if vtype.unit.percent else 1
                low = "−∞" if vtype.low is None else format(vtype.low * scale, "f")
                high = "∞" if vtype.high is None else format(vtype.high * scale, "f")
                unit_text = " " + str(vtype.unit) if str(vtype.unit) else ""
                raise fail(f"{what} ({expr.value}) liegt außerhalb von {low} bis {high}{unit_text}", expr.span)
            return value
        if vtype.kind == TypeKind.JA_NEIN:
            if not isinstance(expr, ast.Truth):
                raise fail(f"{what} muss ja oder nein sein", expr.span)
            return expr.value
        if vtype.kind == TypeKind.DATUM:
            if not isinstance(expr, ast.DateLiteral):
                raise fail(f"{what} muss ein Datum (TT.MM.JJJJ) sein", expr.span)
            return expr.value
        if vtype.kind == TypeKind.TEXT:
            if not isinstance(expr, ast.Text):
                raise fail(f"{what} muss ein Text in Anführungszeichen sein", expr.span)
            return expr.value
        if vtype.kind == TypeKind.SCHLUESSEL:
            if not isinstance(expr, ast.KeyLiteral):
                raise fail(f"{what} muss ein Schlüssel 1:x sein", expr.span)
            return expr.divisor
        if vtype.kind == TypeKind.ENUM:
            assert vtype.enum is not None
            key: int | str
            if isinstance(expr, ast.Number) and expr.unit is None and expr.value == expr.value.to_integral_value():
                key = int(expr.value)
            elif isinstance(expr, ast.Name) or (
                isinstance(expr, ast.Attribute) and isinstance(expr.obj, ast.Name) and expr.obj.name == vtype.enum.name
            ):
                key = expr.name
            else:
                raise fail(f"{what} muss ein Wert von {vtype.enum.name} sein", expr.span)
            if vtype.enum.member(key) is None:
                raise fail(f"{what} „{key}“ gehört nicht zu {vtype.enum.name}", expr.span,
                           "erlaubt: " + ", ".join(map(str, vtype.enum.keys())))
            return key
        raise fail(f"{what}: Typ {vtype.describe()} ist hier nicht möglich", expr.span)


@attrs.frozen
class WrittenTable:
    """A table whose key types are valid, with the keys of every row written once (whether or
    not its value was valid): what the coverage pass checks against the key types."""

    name: str
    decl: ast.Table
    key_types: tuple[c.ValueType, ...]
    keys: frozenset[tuple[int | str | Decimal, ...]]


@attrs.frozen
class DeclaredTypes:
    """What the declarations pass gives: inputs by scope, parameters and tables by symbol id, the
    type of every input and parameter that has one, and the tables for the coverage pass."""

    inputs: dict[str, list[c.InputSpec]]
    parameters: dict[str, c.ParameterSpec]
    tables: dict[str, c.TableSpec]
    types: dict[str, c.ValueType]
    written_tables: tuple[WrittenTable, ...]


def resolve_declarations(declarations: Declarations, reader: TypeReader, header: ast.Header) -> DeclaredTypes:
    """The types and values of the inputs, parameters and tables of ``declarations``."""
    return _Resolver(declarations, reader, header).run()


class _Resolver:
    def __init__(self, declarations: Declarations, reader: TypeReader, header: ast.Header):
        self.declarations = declarations
        self.reader = reader
        self.findings = reader.findings
        self.report = reader.findings.report
        self.header = header
        self.inputs: dict[str, list[c.InputSpec]] = {}
        self.parameters: dict[str, c.ParameterSpec] = {}
        self.tables: dict[str, c.TableSpec] = {}
        self.types: dict[str, c.ValueType] = {}
        self.written: list[WrittenTable] = []

    def run(self) -> DeclaredTypes:
        self._resolve_inputs()
        self._resolve_parameters_and_tables()
        return DeclaredTypes(self.inputs, self.parameters, self.tables, self.types, tuple(self.written))

    def _resolve_inputs(self) -> None:
        for sym in list(self.declarations.symbols.values()):
            if sym.kind != "eingabe":
                continue
            decl = sym.decl
            assert isinstance(decl, ast.Input)
            try:
                vtype = self.reader.type_of(decl.type, sym.package, sym.scope)
            except Fail:
                continue
            self.types[sym.id] = vtype
            default = None
            if decl.default is not None:
                try:
                    default = self.reader.literal_value(decl.default, vtype, "Der Standardwert")
                except Fail:
                    continue
            path = tuple(p for p in (sym.package, sym.name) if p)
            self.inputs.setdefault(sym.scope, []).append(
                c.InputSpec(sym.id, sym.key, path, sym.scope, vtype, decl.default is None, default, decl.doc, decl.span)
            )
        # level inputs of assessed packages and the granted level of every package with levels
        for pid, pkg in self.declarations.packages.items():
            if pkg.level_type is None:
                continue
            level_type = c.ValueType(TypeKind.ENUM, enum=pkg.level_type, integer=True)
            sid, name = pkg.scope, pkg.name
            if pkg.rule == "einschätzung":
                self.inputs.setdefault(sid, []).append(
                    c.InputSpec(join(pid, "berechnete_stufe"), join(name, "berechnete_stufe"), (name, "stufe"), sid,
                                level_type, True, None, f"Stufe {name} nach fachlicher Einschätzung", pkg.span)
                )
            self.inputs.setdefault(sid, []).append(
                c.InputSpec(join(pid, "bewilligte_stufe"), join(name, "bewilligte_stufe"), (name, "bewilligte_stufe"),
                            sid, level_type, False, None, f"bewilligte Stufe {name} (§ 127 SGB IX)", pkg.span)
            )
            self.inputs.setdefault(sid, []).append(
                c.InputSpec(join(pid, "begründung"), join(name, "begründung"), (name, "begründung"), sid,
                            c.TEXT, False, None, f"Begründung der bewilligten Stufe {name}", pkg.span)
            )

    def _resolve_parameters_and_tables(self) -> None:
        for sym in list(self.declarations.symbols.values()):
            if sym.kind == "parameter":
                decl = sym.decl
                assert isinstance(decl, ast.Parameter)
                try:
                    vtype = self.reader.type_of(decl.type, sym.package, sym.scope)
                    value = self.reader.literal_value(decl.value, vtype, f"Der Wert von „{sym.name}“")
                except Fail:
                    continue
                self.types[sym.id] = vtype
                periods = self._parameter_periods(decl, vtype)
                self.parameters[sym.id] = c.ParameterSpec(sym.id, sym.name, vtype, value, decl.doc, decl.assumptions,
                                                          decl.sources, decl.span, periods)
            elif sym.kind == "tabelle":
                self._resolve_table(sym)

    def _parameter_periods(self, decl: ast.Parameter, vtype: c.ValueType) -> tuple[c.ParameterPeriodSpec, ...]:
        """The later values of a parameter (``ab TT.MM.JJJJ = …``): in date order, inside the
        model's validity, each checked like the first value; only the last may end (``bis``)."""
        header = self.header
        out: list[c.ParameterPeriodSpec] = []
        previous = header.valid_from
        for number, period in enumerate(decl.periods):
            last = number == len(decl.periods) - 1
            try:
                value = self.reader.literal_value(
                    period.value, vtype, f"Der Wert von „{decl.name}“ ab {date_text(period.valid_from)}"
                )
            except Fail:
                continue
            if previous is not None and period.valid_from <= previous:
                what = "dem Beginn der Gültigkeit des Modells" if number == 0 else "dem vorigen Wert"
                self.report(f"„ab {date_text(period.valid_from)}“ von „{decl.name}“ liegt nicht nach {what} "
                            f"({date_text(previous)})", period.span,
                            "die Werte eines Parameters stehen in zeitlicher Reihenfolge; "
                            "der erste gilt ab Beginn der Gültigkeit",
                            code="gültigkeit")
            if header.valid_to is not None and period.valid_from > header.valid_to:
                self.report(f"„ab {date_text(period.valid_from)}“ von „{decl.name}“ liegt nach dem Ende der Gültigkeit "
                            f"des Modells ({date_text(header.valid_to)})", period.span, code="gültigkeit")
            if period.valid_to is not None and not last:
                self.report(f"Nur der letzte Wert von „{decl.name}“ kann mit „bis“ enden", period.span,
                            "das Ende eines Werts ist sonst der Tag vor dem nächsten „ab“", code="gültigkeit")
            if period.valid_to is not None and period.valid_to < period.valid_from:
                self.report(f"„bis {date_text(period.valid_to)}“ liegt vor „ab {date_text(period.valid_from)}“",
                            period.span, code="gültigkeit")
            if period.valid_to is not None and header.valid_to is not None and period.valid_to > header.valid_to:
                self.report(f"„bis {date_text(period.valid_to)}“ von „{decl.name}“ liegt nach dem Ende der Gültigkeit "
                            f"des Modells ({date_text(header.valid_to)})", period.span, code="gültigkeit")
            previous = period.valid_from
            out.append(c.ParameterPeriodSpec(period.valid_from, period.valid_to, value, period.assumptions,
                                             period.sources, period.span))
        return tuple(out)

    def _resolve_table(self, sym: Symbol) -> None:
        decl = sym.decl
        assert isinstance(decl, ast.Table)
        try:
            key_types = tuple(self.reader.type_of(t, sym.package, sym.scope) for t in decl.key_types)
            value_type = self.reader.type_of(decl.value_type, sym.package, sym.scope)
        except Fail:
            return
        for t, spec in zip(key_types, decl.key_types, strict=True):
            if t.kind not in (TypeKind.ENUM, TypeKind.ZAHL, TypeKind.TEXT) or t.kind == TypeKind.ZAHL and not t.integer:
                self.report("Tabellenschlüssel sind Aufzählungen, Stufen, ganze Zahlen oder Texte", spec.span)
                return
        rows: list[c.TableRowSpec] = []
        seen: dict[tuple[int | str | Decimal, ...], ast.TableRow] = {}
        for row in decl.rows:
            if len(row.keys) != len(key_types):
                self.report(f"Die Zeile hat {len(row.keys)} Schlüssel, die Tabelle {len(key_types)}", row.span)
                continue
            keys = []
            ok = True
            for raw, kt in zip(row.keys, key_types, strict=True):
                key = self._row_key(raw, kt, row.span)
                if key is None:
                    ok = False
                    break
                keys.append(key)
            if not ok:
                continue
            if tuple(keys) in seen:
                self.report(f"Die Zeile {', '.join(map(str, keys))} ist doppelt", row.span,
                            f"zuerst in Zeile {seen[tuple(keys)].span.line}")
                continue
            seen[tuple(keys)] = row
            try:
                value = self.reader.literal_value(row.value, value_type,
                                                  f"Der Tabellenwert der Zeile {', '.join(map(str, keys))}")
            except Fail:
                continue
            rows.append(c.TableRowSpec(tuple(keys), value, row.doc, row.assumptions, row.span))
        self.written.append(WrittenTable(sym.name, decl, key_types, frozenset(seen)))
        self.tables[sym.id] = c.TableSpec(sym.id, sym.name, decl.title, key_types, value_type, decl.partial,
                                          tuple(rows), decl.assumptions, decl.sources, decl.span)

    def _row_key(self, raw: int | str | Decimal, kt: c.ValueType, span: ast.Span) -> int | str | Decimal | None:
        if kt.kind == TypeKind.ENUM:
            assert kt.enum is not None
            if kt.enum.member(raw) is None:
                self.report(f"„{raw}“ gehört nicht zu {kt.enum.name}", span,
                            "erlaubt: " + ", ".join(map(str, kt.enum.keys())))
                return None
            return raw
        if kt.kind == TypeKind.TEXT:
            return str(raw)
        if isinstance(raw, str) or isinstance(raw, Decimal) and raw != raw.to_integral_value():
            self.report(f"„{raw}“ ist keine ganze Zahl", span)
            return None
        value = Decimal(int(raw))
        if kt.low is not None and value < kt.low or kt.high is not None and value > kt.high:
            self.report(f"Der Schlüssel {raw} liegt außerhalb von {kt.low} bis {kt.high}", span)
            return None
        return value
