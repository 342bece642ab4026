"""The checker's typing pass: expressions resolved, typed and unit-checked.

Takes: the :class:`~teilhabe_rules.check.scopes.Declarations` of the names pass, the
:class:`~teilhabe_rules.check.declared.DeclaredTypes` of the declarations pass and a
:class:`~teilhabe_rules.check.declared.TypeReader`.
Gives: :class:`Resolver` — turns an AST expression at a place into a resolved expression of the
IR (:mod:`teilhabe_rules.ir.checked`): names become references (unknown ones reported with
did-you-mean), types and units are inferred and checked (a unit-less number takes the unit of its
neighbour), and the values (``wert``) are resolved on first use, with their cycles reported. Its
``value_ir`` and ``value_types`` hold every value resolved so far.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import attrs

from ..errors import did_you_mean
from ..ir import checked as c
from ..ir import toolkit
from ..ir.checked import RefKind, TypeKind
from ..syntax import ast
from ..units import DIMENSIONLESS, PERCENT, Unit, conversion_factor, parse_unit
from .declared import DeclaredTypes, TypeReader
from .findings import Fail, Findings, join
from .scopes import AGGREGATES, FUNCTIONS, Declarations, Place, Symbol

__all__ = ["Resolver", "UnitlessNumbers", "number_type", "numeric"]

_ROUNDING = {"kaufmännisch", "abrunden", "aufrunden"}
_COUNT_UNITS = ("", "Personen", "Plätze")


def numeric(ir: c.Expr) -> bool:
    """Whether ``ir`` is a number (a member of a numeric aufzählung or a level counts)."""
    t = ir.type
    return t.kind == TypeKind.ZAHL or t.kind == TypeKind.ENUM and t.enum is not None and t.enum.numeric


def number_type(ir: c.Expr) -> c.ValueType:
    """The type of ``ir`` as a number (a numeric member is a whole number without unit)."""
    if ir.type.kind == TypeKind.ENUM:
        return c.ValueType(TypeKind.ZAHL, DIMENSIONLESS, True)
    return ir.type


MAX_ROUND_PLACES = 28
"""The most places ``runde`` rounds to (or, negative, before the point): the digits a figure
holds (28); more fail every evaluation."""


# a name that is like no name the place can see
_UNKNOWN_HINT = ("ein Name muss deklariert sein (eingabe, parameter, tabelle, wert, liste, paket, aufzählung), "
                 "in einer Liste oder einem Paket auch der eines umgebenden")


class UnitlessNumbers(dict[int, c.Expr]):
    """Unit-less numbers that take the unit of their neighbour, by identity: the id of each
    expression, mapped to the expression itself, so that its id cannot be reused by a later object."""

    def add(self, ir: c.Expr) -> None:
        self[id(ir)] = ir

    def holds(self, ir: c.Expr) -> bool:
        return self.get(id(ir)) is ir


class Resolver:
    """Resolves expressions; the values of the model on first use (and each only once)."""

    def __init__(self, findings: Findings, declarations: Declarations, reader: TypeReader, declared: DeclaredTypes,
                 unitless: UnitlessNumbers):
        self.findings = findings
        self.fail = findings.fail
        self.declarations = declarations
        self.reader = reader
        self.declared = declared
        self.unitless = unitless
        self.value_ir: dict[str, c.Expr] = {}
        self.value_types: dict[str, c.ValueType] = {}
        self._failed: set[str] = set()
        self._in_progress: list[str] = []
        self._through_previous: list[int] = []  # len(_in_progress) where a „vorher.x“ is being resolved

    # ---- unit-less numbers ----------------------------------------------------------------------

    def flex(self, ir: c.Const) -> c.Const:
        self.unitless.add(ir)
        return ir

    def is_flex(self, ir: c.Expr) -> bool:
        return self.unitless.get(id(ir)) is ir  # UnitlessNumbers.holds, without a call (a hot path)

    def adopt(self, ir: c.Expr, unit: Unit) -> c.Expr:
        if self.is_flex(ir) and isinstance(ir, c.Arith):
            # arithmetic of unit-less numbers kept as written (:meth:`_folded`): the sum's parts, a
            # product's or quotient's first factor take the unit
            left = self.adopt(ir.left, unit)
            right = self.adopt(ir.right, unit) if ir.op in ("+", "-") else ir.right
            return c.Arith(ir.op, left, right, c.ValueType(TypeKind.ZAHL, unit, ir.type.integer), ir.span)
        if self.is_flex(ir) and isinstance(ir, c.Const) and ir.type.kind == TypeKind.ZAHL:
            if unit.percent and ir.value != 0:
                # „1 + zuschlag“ would silently mean 1 %: a share is always written with its sign
                raise self.fail(
                    f"Die Zahl {ir.value} ohne Einheit steht neben einem Prozentwert",
                    ir.span, f"schreibe „{ir.value} %“ oder, wenn das Ganze gemeint ist, „{ir.value * 100} %“",
                    code="einheit",
                )
            return c.Const(ir.value, c.ValueType(TypeKind.ZAHL, unit, ir.type.integer), ir.span)
        return ir

    numeric = staticmethod(numeric)
    number_type = staticmethod(number_type)

    # ---- expressions -----------------------------------------------------------------------------

    def resolve(self, expr: ast.Expression, ctx: Place) -> c.Expr:
        method: Callable[[Any, Place], c.Expr] = getattr(self, "_r_" + type(expr).__name__)
        return method(expr, ctx)

    def _r_Number(self, expr: ast.Number, ctx: Place) -> c.Expr:
        if expr.unit is None:
            integer = expr.value == expr.value.to_integral_value()
            return self.flex(c.Const(expr.value, c.ValueType(TypeKind.ZAHL, DIMENSIONLESS, integer), expr.span))
        unit = self.reader.unit_of(expr.unit, after_number=True)
        value = expr.value / 100 if unit.percent else expr.value
        return c.Const(value, c.ValueType(TypeKind.ZAHL, unit), expr.span)

    def _r_KeyLiteral(self, expr: ast.KeyLiteral, ctx: Place) -> c.Expr:
        return c.Const(expr.divisor, c.KEY, expr.span)

    def _r_Text(self, expr: ast.Text, ctx: Place) -> c.Expr:
        return c.Const(expr.value, c.TEXT, expr.span)

    def _r_DateLiteral(self, expr: ast.DateLiteral, ctx: Place) -> c.Expr:
        return c.Const(expr.value, c.DATE, expr.span)

    def _r_Truth(self, expr: ast.Truth, ctx: Place) -> c.Expr:
        return c.Const(expr.value, c.BOOL, expr.span)

    def _r_ListLiteral(self, expr: ast.ListLiteral, ctx: Place) -> c.Expr:
        raise self.fail("Listen stehen nur in Vorlagen und Beispielen", expr.span)

    _r_RecordLiteral = _r_ListLiteral

    def ref(self, sym: Symbol, span: ast.Span, ctx: Place) -> c.Expr:
        if sym.kind == "eingabe":
            vtype = self.declared.types.get(sym.id)
            if vtype is None:
                raise Fail()
            return c.Ref(sym.id, sym.key, sym.scope, RefKind.EINGABE, vtype, span)
        if sym.kind == "parameter":
            vtype = self.declared.types.get(sym.id)
            if vtype is None:
                raise Fail()
            return c.Ref(sym.id, sym.key, sym.scope, RefKind.PARAMETER, vtype, span)
        if sym.kind == "wert":
            vtype = self.value_type(sym)
            return c.Ref(sym.id, sym.key, sym.scope, RefKind.WERT, vtype, span)
        if sym.kind == "tabelle":
            raise self.fail(f"Die Tabelle „{sym.name}“ wird mit Schlüssel abgefragt: {sym.name}[…]", span)
        if sym.kind == "paket":
            raise self.fail(
                f"„{sym.name}“ ist ein Paket; gemeint ist wohl „{sym.name}.stufe“ oder ein Wert des Pakets", span
            )
        if sym.kind == "liste":
            raise self.fail(
                f"„{sym.name}“ ist eine Liste; nutze summe(…), anzahl(…), min(…), max(…), erstes(…) oder letztes(…)",
                span,
            )
        raise self.fail(f"„{sym.name}“ kann hier nicht stehen", span)  # pragma: no cover

    def _r_Name(self, expr: ast.Name, ctx: Place) -> c.Expr:
        enums = self.declarations.enums
        sym = self.declarations.find(expr.name, ctx)
        if sym is not None:
            return self.ref(sym, expr.span, ctx)
        if expr.name == "position":
            if not ctx.scope:
                raise self.fail("„position“ gibt es nur in einer Liste", expr.span)
            return c.Position(ctx.scope, c.ValueType(TypeKind.ZAHL, DIMENSIONLESS, True), expr.span)
        if expr.name in enums:
            raise self.fail(f"„{expr.name}“ ist eine Aufzählung; ein Wert heißt {expr.name}.WERT", expr.span)
        members = [(e, m) for e in enums.values() for m in e.members if m.key == expr.name]
        if len(members) == 1:
            enum, member = members[0]
            return c.Const(member.key, c.ValueType(TypeKind.ENUM, enum=enum), expr.span)
        if len(members) > 1:
            raise self.fail(f"„{expr.name}“ gehört zu mehreren Aufzählungen", expr.span,
                            "schreibe " + " oder ".join(f"{e.name}.{expr.name}" for e, _ in members))
        if expr.name in _ROUNDING:
            return c.Const(expr.name, c.ValueType(TypeKind.MODUS), expr.span)
        package = self.declarations.symbols.get(ctx.package) if ctx.package is not None else None
        if expr.name in ("stufe", "berechnete_stufe", "bewilligte_stufe", "bewilligt") and package is not None:
            raise self.fail(f"Unbekannter Name „{expr.name}“", expr.span,  # (a package's levels: by its name)
                            f"die Stufe eines Pakets heißt auch darin mit dem Paket: „{package.name}.{expr.name}“")
        if self.declarations.refused_at(expr.name, ctx):
            raise Fail()
        raise self.fail(f"Unbekannter Name „{expr.name}“", expr.span,
                        did_you_mean(expr.name, [*self.declarations.visible_names(ctx), *sorted(_ROUNDING)])
                        or _UNKNOWN_HINT)

    @staticmethod
    def _attribute_chain(expr: ast.Expression) -> list[tuple[str, ast.Span]] | None:
        chain: list[tuple[str, ast.Span]] = []
        while isinstance(expr, ast.Attribute):
            chain.append((expr.name, expr.span))
            expr = expr.obj
        if not isinstance(expr, ast.Name):
            return None
        chain.append((expr.name, expr.span))
        return list(reversed(chain))

    def _r_Attribute(self, expr: ast.Attribute, ctx: Place) -> c.Expr:
        enums = self.declarations.enums
        chain = self._attribute_chain(expr)
        if chain is None:
            raise self.fail("Ein Punkt folgt nur auf einen Namen", expr.span)
        head, head_span = chain[0]
        if head == "vorher":
            if not ctx.scope:
                raise self.fail("„vorher“ gibt es nur in einer Liste", head_span)
            inner = self._rebuild(chain[1:])
            place = self.declarations.place(ctx.scope, None, ctx.node)
            self._through_previous.append(len(self._in_progress))
            try:
                resolved = self.resolve(inner, place)
            finally:
                self._through_previous.pop()
            if not isinstance(resolved, c.Ref) or resolved.scope != ctx.scope or resolved.kind == RefKind.PARAMETER:
                raise self.fail("„vorher.x“ verlangt eine Eingabe oder einen Wert dieses Listenelements", expr.span)
            return c.Previous(resolved, resolved.type, expr.span)
        sym = self.declarations.find(head, ctx)
        if sym is None:
            if head in enums:
                if len(chain) != 2:
                    raise self.fail("Ein Aufzählungswert hat keine Felder", expr.span)
                name = chain[1][0]
                enum = enums[head]
                member = enum.member(int(name) if enum.numeric and name.lstrip("-").isdigit() else name)
                if member is None:
                    raise self.fail(f"„{chain[1][0]}“ gehört nicht zu {head}", expr.span,
                                    did_you_mean(chain[1][0], list(map(str, enums[head].keys()))))
                return c.Const(member.key, c.ValueType(TypeKind.ENUM, enum=enums[head]), expr.span)
            if self.declarations.refused_at(head, ctx):
                raise Fail()
            raise self.fail(f"Unbekannter Name „{head}“", head_span,
                            did_you_mean(head, self.declarations.visible_names(ctx)) or _UNKNOWN_HINT)
        if sym.kind == "paket":
            return self._package_member(sym, chain, expr.span, ctx)
        if sym.kind == "liste":
            raise self._list_values(sym, chain, expr.span, ctx)
        raise self.fail(f"„{head}“ hat keine Felder", expr.span)

    def _list_values(self, sym: Symbol, chain: list[tuple[str, ast.Span]], span: ast.Span, ctx: Place) -> Fail:
        """``l.y`` outside an aggregate: the values of the list ``sym``, named as written; a field
        the list's element does not have is reported as in ``summe(l.y)``. Inside an element of
        the list, the hint names the element's own value."""
        # a field the element has not is reported as such; one it has is not resolved here (its
        # rule may read this one: the mistake is the list's values, not a cycle)
        head, head_span = chain[1]
        place = self.declarations.place(sym.id, None, ctx.node)
        field = self.declarations.find(head, place)
        if field is None:
            if self.declarations.refused_at(head, place):
                return Fail()
            return self.fail(f"Unbekannter Name „{head}“", head_span,
                             did_you_mean(head, self.declarations.visible_names(place)) or _UNKNOWN_HINT)
        written = ".".join(name for name, _ in chain)
        own = ".".join(name for name, _ in chain[1:])
        hint = None
        sid: str | None = ctx.scope if field.kind != "liste" else None  # (``l.m.w`` inside l: again a list's)
        while sid is not None:
            if sid == sym.id:
                hint = f"im Element von „{sym.name}“ heißt sein eigener Wert „{own}“, ohne „{sym.name}.“"
                break
            sid = self.declarations.scopes[sid]["parent"]
        return self.fail(f"„{written}“ ist eine Liste von Werten; nutze summe(…), anzahl(…), min(…), max(…), "
                         "erstes(…) oder letztes(…)", span, hint)

    @staticmethod
    def _rebuild(chain: list[tuple[str, ast.Span]]) -> ast.Expression:
        node: ast.Expression = ast.Name(chain[0][0], chain[0][1])
        for name, span in chain[1:]:
            node = ast.Attribute(node, name, span)
        return node

    def _package_member(self, sym: Symbol, chain: list[tuple[str, ast.Span]], span: ast.Span, ctx: Place) -> c.Expr:
        if len(chain) != 2:
            raise self.fail("Ein Paketwert hat keine weiteren Felder", span)
        member = chain[1][0]
        pid = sym.id
        pkg = self.declarations.packages[pid]
        if member in ("stufe", "berechnete_stufe"):
            if pkg.level_type is None:
                raise self.fail(f"Das Paket „{sym.name}“ hat keine Stufen", span)
            key = join(sym.name, "stufe" if member == "stufe" else "berechnete_stufe")
            vtype = c.ValueType(TypeKind.ENUM, enum=pkg.level_type, integer=True)
            node_id = join(sym.scope, key)
            kind = RefKind.WERT
            if member == "berechnete_stufe" and pkg.rule == "einschätzung":
                kind = RefKind.EINGABE
            return c.Ref(node_id, key, sym.scope, kind, vtype, span)
        if member == "bewilligt":
            if pkg.level_type is None:
                raise self.fail(f"Das Paket „{sym.name}“ hat keine Stufen", span)
            key = join(sym.name, "bewilligte_stufe")
            granted = c.Ref(join(sym.scope, key), key, sym.scope, RefKind.EINGABE,
                            c.ValueType(TypeKind.ENUM, enum=pkg.level_type, integer=True), span)
            return c.Granted(granted, c.BOOL, span)
        names_of_package = self.declarations.package_ns[pid].names
        inner = names_of_package.get(member)
        if inner is None:
            if member in self.declarations.package_ns[pid].refused:
                raise Fail()
            names = list(names_of_package) + (["stufe", "berechnete_stufe", "bewilligt"] if pkg.level_type else [])
            hint = did_you_mean(member, names)
            if sym.span.file is None and chain[1][1].file is not None:
                # a rule of the base reading a package the variant replaced: the variant's package
                # lacks what the base's rules read (the base is not the variant author's to change)
                where = f"{self.findings.file}:{sym.span.line}"
                hint = (f"das Paket „{sym.name}“ ist in {where} neu deklariert und ersetzt das des Basismodells, "
                        f"dessen Regeln „{sym.name}.{member}“ lesen: deklariere „{member}“ auch im neuen Paket")
            raise self.fail(f"Das Paket „{sym.name}“ hat kein „{member}“", chain[1][1], hint)
        return self.ref(inner, span, ctx)

    def _r_Lookup(self, expr: ast.Lookup, ctx: Place) -> c.Expr:
        table_sym = None
        if isinstance(expr.table, ast.Name):
            table_sym = self.declarations.find(expr.table.name, ctx)
        elif isinstance(expr.table, ast.Attribute):
            chain = self._attribute_chain(expr.table)
            if chain and len(chain) == 2:
                pkg = self.declarations.find(chain[0][0], ctx)
                if pkg is not None and pkg.kind == "paket":
                    table_sym = self.declarations.package_ns[pkg.id].names.get(chain[1][0])
        if table_sym is None or table_sym.kind != "tabelle":
            name = expr.table.name if isinstance(expr.table, ast.Name) else "?"
            tables = [s.name for s in self.declarations.symbols.values() if s.kind == "tabelle"]
            raise self.fail(f"„{name}“ ist keine Tabelle", expr.table.span, did_you_mean(name, tables))
        spec = self.declared.tables.get(table_sym.id)
        if spec is None:
            raise Fail()
        if len(expr.keys) != len(spec.key_types):
            raise self.fail(f"Die Tabelle „{spec.name}“ hat {len(spec.key_types)} Schlüssel, "
                            f"abgefragt mit {len(expr.keys)}", expr.span)
        keys = []
        for key_expr, kt in zip(expr.keys, spec.key_types, strict=True):
            key = self.resolve(key_expr, ctx)
            keys.append(self._coerce_key(key, kt, key_expr.span, spec.name))
        return c.Lookup(spec.id, tuple(keys), spec.value_type, expr.span)

    def _coerce_key(self, key: c.Expr, kt: c.ValueType, span: ast.Span, table: str) -> c.Expr:
        kind = key.type.kind
        if kt.kind == TypeKind.ENUM:
            assert kt.enum is not None
            if kind == TypeKind.ENUM and key.type.enum is not None and (
                key.type.enum == kt.enum or key.type.enum.numeric and kt.enum.numeric
            ):
                return key
            if kind == TypeKind.ZAHL and kt.enum.numeric and key.type.unit.is_dimensionless:
                return key
            raise self.fail(
                f"Der Schlüssel hat den Typ {key.type.describe()}, die Tabelle „{table}“ erwartet {kt.describe()}", span
            )
        if kt.kind == TypeKind.ZAHL:
            key = self.adopt(key, kt.unit)
            if (kind == TypeKind.ENUM and key.type.enum is not None and key.type.enum.numeric
                    and kt.unit.is_dimensionless):
                return key
            if kind != TypeKind.ZAHL or key.type.unit != kt.unit:
                raise self.fail(
                    f"Der Schlüssel hat den Typ {key.type.describe()}, die Tabelle „{table}“ erwartet {kt.describe()}",
                    span,
                )
            return key
        if kind != kt.kind:
            raise self.fail(
                f"Der Schlüssel hat den Typ {key.type.describe()}, die Tabelle „{table}“ erwartet {kt.describe()}", span
            )
        return key

    def _r_Unary(self, expr: ast.Unary, ctx: Place) -> c.Expr:
        operand = self.resolve(expr.operand, ctx)
        if expr.op == "nicht":
            if operand.type.kind != TypeKind.JA_NEIN:
                raise self.fail(f"„nicht“ braucht ja/nein, nicht {operand.type.describe()}", expr.span)
            return c.Unary("nicht", operand, c.BOOL, expr.span)
        if not self.numeric(operand):
            raise self.fail(f"„-“ braucht eine Zahl, nicht {operand.type.describe()}", expr.span)
        return c.Unary("-", operand, self.number_type(operand), expr.span)

    def resolve_each(self, exprs: Sequence[ast.Expression], ctx: Place) -> list[c.Expr]:
        """Each of ``exprs`` resolved; where one fails, the others are resolved all the same (so
        that every unknown name of ``b + c`` is reported in one run), then the failure raised."""
        resolved: list[c.Expr] = []
        failed = False
        for expr in exprs:
            try:
                resolved.append(self.resolve(expr, ctx))
            except Fail:
                failed = True
        if failed:
            raise Fail()
        return resolved

    def _r_Binary(self, expr: ast.Binary, ctx: Place) -> c.Expr:
        left, right = self.resolve_each((expr.left, expr.right), ctx)
        op = expr.op
        if op in ("und", "oder"):
            for side in (left, right):
                if side.type.kind != TypeKind.JA_NEIN:
                    raise self.fail(f"„{op}“ verbindet ja/nein-Werte, nicht {side.type.describe()}", side.span)
            return c.Logic(op, left, right, c.BOOL, expr.span)
        if op in ("=", "<>", "<", "<=", ">", ">="):
            return self._compare(op, left, right, expr.span)
        if op in ("+", "-"):
            return self._additive(op, left, right, expr.span)
        return self._multiplicative(op, left, right, expr.span)

    def _same_units(self, left: c.Expr, right: c.Expr, span: ast.Span, what: str) -> tuple[c.Expr, c.Expr]:
        if self.is_flex(left) and not self.is_flex(right):
            left = self.adopt(left, right.type.unit)
        elif self.is_flex(right) and not self.is_flex(left):
            right = self.adopt(right, left.type.unit)
        lu, ru = self.number_type(left).unit, self.number_type(right).unit
        if lu != ru:
            raise self._unit_clash(lu, ru, span, what)
        return left, right

    def _unit_clash(self, lu: Unit, ru: Unit, span: ast.Span, what: str) -> Fail:
        factor = conversion_factor(lu, ru)
        hint = (f"rechne mit „als {ru}“ oder „als {lu}“ um" if factor is not None
                else "die Größen haben verschiedene Dimensionen")
        return self.fail(
            f"Einheiten passen nicht zusammen: {what} von {str(lu) or 'Zahl ohne Einheit'} "
            f"und {str(ru) or 'Zahl ohne Einheit'}",
            span, hint, code="einheit",
        )

    def _compare(self, op: str, left: c.Expr, right: c.Expr, span: ast.Span) -> c.Expr:
        lk, rk = left.type.kind, right.type.kind
        if self.numeric(left) and self.numeric(right):
            if (
                lk == TypeKind.ENUM
                and rk == TypeKind.ENUM
                and left.type.enum != right.type.enum
                and not (left.type.enum and left.type.enum.is_levels and right.type.enum and right.type.enum.is_levels)
                and not (left.type.enum and right.type.enum and left.type.enum.numeric and right.type.enum.numeric)
            ):
                raise self.fail(f"Vergleich von {left.type.describe()} mit {right.type.describe()}", span)
            if lk == TypeKind.ZAHL and rk == TypeKind.ZAHL:
                left, right = self._same_units(left, right, span, "Vergleich")
            return c.Compare(op, left, right, c.BOOL, span)
        if lk != rk:
            raise self.fail(f"Vergleich von {left.type.describe()} mit {right.type.describe()}", span)
        if lk == TypeKind.ENUM and left.type.enum != right.type.enum:
            raise self.fail(f"Vergleich von {left.type.describe()} mit {right.type.describe()}", span)
        if lk in (TypeKind.JA_NEIN, TypeKind.TEXT, TypeKind.ENUM, TypeKind.SCHLUESSEL) and op not in ("=", "<>"):
            raise self.fail(f"{left.type.describe()} lässt sich nur mit = oder <> vergleichen", span)
        return c.Compare(op, left, right, c.BOOL, span)

    def _additive(self, op: str, left: c.Expr, right: c.Expr, span: ast.Span) -> c.Expr:
        if left.type.kind == TypeKind.DATUM:
            right = self.adopt(right, parse_unit("Tag"))
            if right.type.kind == TypeKind.ZAHL:
                factor = conversion_factor(right.type.unit, parse_unit("Tag"))
                # (a calendar year is no 365 days: in a date's arithmetic Jahre are datum_plus's)
                calendar = all(atom in ("Tag", "Woche") for atom, _ in right.type.unit.atoms)
                if factor is not None and calendar and right.type.unit.dimension() == parse_unit("Tag").dimension():
                    if factor != 1:
                        days = c.ValueType(TypeKind.ZAHL, parse_unit("Tag"), True)
                        right = c.Convert(right, factor, days, right.span)
                    known = toolkit.const_value(right)
                    if isinstance(known, Decimal) and known != known.to_integral_value():
                        shown = format(known.normalize(), "f")
                        raise self.fail(f"Zu einem Datum lassen sich nur ganze Tage addieren, nicht {shown}",
                                        right.span, "ein Datum rückt um ganze Tage (oder Wochen) vor", code="einheit")
                    return c.Arith(op, left, right, c.DATE, span)
            if right.type.kind == TypeKind.DATUM and op == "-":
                raise self.fail("Ein Datum lässt sich nicht von einem Datum abziehen", span,
                                "die Tage dazwischen: kalendertage(von, bis), beide Tage mitgezählt (bis − von + 1)")
            raise self.fail(f"Zu einem Datum lassen sich nur Tage oder Wochen addieren, nicht {right.type.describe()}",
                            span, "für Monate und Jahre: datum_plus(datum, n Monate)")
        for side in (left, right):
            if not self.numeric(side):
                raise self.fail(f"„{op}“ braucht Zahlen, nicht {side.type.describe()}", side.span)
        # a chain (a + b + … + z) whose last operand brings the other unit: shown at that operand,
        # not under the whole chain, whose units agree up to it
        chained = isinstance(left, c.Arith) and left.op in ("+", "-") and right.span.line > 0
        left, right = self._same_units(left, right, right.span if chained else span,
                                       "Summe" if op == "+" else "Differenz")
        result = self.number_type(left)
        integer = self.number_type(left).integer and self.number_type(right).integer
        if self.is_flex(left) and self.is_flex(right):
            return self._folded(op, left, right, c.ValueType(TypeKind.ZAHL, DIMENSIONLESS, integer), span)
        return c.Arith(op, left, right, c.ValueType(TypeKind.ZAHL, result.unit, integer), span)

    def _folded(self, op: str, left: c.Expr, right: c.Expr, vtype: c.ValueType, span: ast.Span) -> c.Expr:
        """``left op right`` of two unit-less numbers, itself unit-less: one number where the
        arithmetic of two numbers is exact in the 28 digits of a ``Decimal``, else (``1 / 3``, or
        a part that is itself kept) the arithmetic as written — computed where the model is
        evaluated, exactly as any other division, not a rounded constant here (``1 / 3 * 18`` is 6,
        not 5.99…)."""
        if isinstance(left, c.Const) and isinstance(right, c.Const):
            with decimal.localcontext() as context:
                context.clear_flags()
                value = (left.value + right.value if op == "+" else left.value - right.value if op == "-"
                         else left.value * right.value if op == "*" else left.value / right.value)
                exact = not context.flags[decimal.Inexact]
            if exact:
                return self.flex(c.Const(value, vtype, span))
        kept = c.Arith(op, left, right, vtype, span)
        self.unitless.add(kept)
        return kept

    def _multiplicative(self, op: str, left: c.Expr, right: c.Expr, span: ast.Span) -> c.Expr:
        if op == "*" and (left.type.kind == TypeKind.SCHLUESSEL or right.type.kind == TypeKind.SCHLUESSEL):
            key, count = (left, right) if left.type.kind == TypeKind.SCHLUESSEL else (right, left)
            if count.type.kind == TypeKind.SCHLUESSEL:
                raise self.fail("Zwei Schlüssel lassen sich nicht multiplizieren", span)
            if not self.numeric(count) or str(self.number_type(count).unit) not in _COUNT_UNITS:
                raise self.fail("Ein Schlüssel 1:x wird mit einer Anzahl (Personen, Plätze) multipliziert, "
                                f"nicht mit {count.type.describe()}", span)
            return c.KeyApply(key, count, c.ValueType(TypeKind.ZAHL, parse_unit("VK")), span)
        for side in (left, right):
            if not self.numeric(side):
                raise self.fail(f"„{op}“ braucht Zahlen, nicht {side.type.describe()}", side.span)
        lt, rt = self.number_type(left), self.number_type(right)
        unit = lt.unit * rt.unit if op == "*" else lt.unit / rt.unit
        if unit.is_dimensionless and (
            lt.unit.percent and rt.unit.is_dimensionless and op == "*"
            or rt.unit.percent and lt.unit.is_dimensionless and op == "*"
        ):
            unit = PERCENT if not (lt.unit.percent and rt.unit.percent) else DIMENSIONLESS
        integer = lt.integer and rt.integer and op == "*"
        if op == "/" and isinstance(right, c.Const) and right.value == 0:  # (a written 0, with a unit or none)
            raise self.fail("Division durch null", right.span, "der Nenner ist die Zahl 0; gemeint ist wohl ein Wert "
                            "oder Parameter, der nicht 0 ist")
        if self.is_flex(left) and self.is_flex(right):
            return self._folded(op, left, right, c.ValueType(TypeKind.ZAHL, DIMENSIONLESS, integer), span)
        return c.Arith(op, left, right, c.ValueType(TypeKind.ZAHL, unit, integer), span)

    def _r_Conditional(self, expr: ast.Conditional, ctx: Place) -> c.Expr:
        # a chain „wenn … dann … sonst wenn … sonst …“ as one: its branches resolved in the order
        # written, a unit that differs from the first branch's shown at the branch that brings it
        links = [expr]
        while isinstance(links[-1].otherwise, ast.Conditional):
            links.append(links[-1].otherwise)
        parts = self.resolve_each([*(e for link in links for e in (link.test, link.then)), links[-1].otherwise], ctx)
        self._branch_units([*parts[1::2], parts[-1]])
        other = parts[-1]
        for index in reversed(range(len(links))):
            other = self._conditional(links[index], parts[2 * index], parts[2 * index + 1], other)
        return other

    def _branch_units(self, branches: list[c.Expr]) -> None:
        """The first branch whose unit is not the first branch's is a unit error at that branch
        (numbers without a unit take the unit of the others; other types are checked pairwise)."""
        first: Unit | None = None
        for branch in branches:
            if not self.numeric(branch) or self.is_flex(branch):
                continue
            unit = self.number_type(branch).unit
            if first is None:
                first = unit
            elif unit != first:
                raise self._unit_clash(first, unit, branch.span, "„dann“ und „sonst“")

    def _conditional(self, expr: ast.Conditional, test: c.Expr, then: c.Expr, other: c.Expr) -> c.Expr:
        if test.type.kind != TypeKind.JA_NEIN:
            raise self.fail(f"Nach „wenn“ steht eine Bedingung (ja/nein), nicht {test.type.describe()}", expr.test.span)
        if self.numeric(then) and self.numeric(other):
            then, other = self._same_units(then, other, expr.span, "„dann“ und „sonst“")
            vtype = (self.number_type(then) if then.type.kind == TypeKind.ZAHL or other.type.kind != TypeKind.ZAHL
                     else self.number_type(other))
            if (then.type.kind == TypeKind.ENUM and other.type.kind == TypeKind.ENUM
                    and then.type.enum == other.type.enum):
                vtype = then.type
            out = c.Cond(test, then, other, vtype, expr.span)
            if self.is_flex(then) and self.is_flex(other):
                self.unitless.add(out)
            return out
        if then.type.kind != other.type.kind or then.type.kind == TypeKind.ENUM and then.type.enum != other.type.enum:
            raise self.fail(f"„dann“ ({then.type.describe()}) und „sonst“ ({other.type.describe()}) haben verschiedene "
                            "Typen", expr.span)
        return c.Cond(test, then, other, then.type, expr.span)

    def _r_Conversion(self, expr: ast.Conversion, ctx: Place) -> c.Expr:
        operand = self.resolve(expr.operand, ctx)
        target = self.reader.unit_of(expr.unit)
        if not self.numeric(operand):
            raise self.fail(f"„als“ rechnet Zahlen um, nicht {operand.type.describe()}", expr.span)
        if self.is_flex(operand):
            return self.adopt(operand, target)
        source = self.number_type(operand).unit
        factor = conversion_factor(source, target)
        if factor is None:
            raise self.fail(f"{str(source) or 'Zahl ohne Einheit'} lässt sich nicht in "
                            f"{str(target) or 'eine Zahl ohne Einheit'} umrechnen", expr.span,
                            "umrechenbar sind nur Einheiten gleicher Dimension (min↔h, Tag↔Woche↔Jahr)", code="einheit")
        return c.Convert(operand, factor, c.ValueType(TypeKind.ZAHL, target), expr.span)

    def _r_Call(self, expr: ast.Call, ctx: Place) -> c.Expr:
        name = expr.function
        if name in AGGREGATES and (len(expr.args) == 1 or expr.where is not None):
            agg = self._aggregate(expr, ctx)
            if agg is not None:
                return agg
            if name not in ("min", "max") or expr.where is not None:
                raise self._not_a_list(expr, ctx)
        elif name in AGGREGATES - {"min", "max"}:
            raise self.fail(f"{name}(…) rechnet über genau eine Liste: {name}(LISTE.WERT)", expr.span)
        if expr.where is not None:
            raise self.fail("„wo“ gibt es nur bei summe, anzahl, min, max, erstes und letztes über eine Liste",
                            expr.span)
        if name == "stichtag":  # the reference date of the evaluation
            if expr.args:
                raise self.fail(f"stichtag() hat keine Angaben, nicht {len(expr.args)}", expr.span,
                                "der Stichtag der Auswertung: stichtag() — ein anderes Datum ist eine Eingabe")
            return c.Func(name, (), c.DATE, expr.span)
        if name == "runde" and len(expr.args) == 3 and isinstance(expr.args[2], ast.Name) \
                and expr.args[2].name not in _ROUNDING:  # (a mode misspelt or made up: no unknown name)
            mode_name = expr.args[2]
            raise self.fail(f"„{mode_name.name}“ ist keine Rundungsart: kaufmännisch, abrunden oder aufrunden",
                            mode_name.span, did_you_mean(mode_name.name, sorted(_ROUNDING))
                            or "kaufmännisch rundet die Hälfte auf (0,005 → 0,01), abrunden und aufrunden zur "
                               "Null hin und von ihr weg")
        args = [self.resolve(a, ctx) for a in expr.args]
        if name in ("min", "max"):
            if len(args) < 2:
                raise self.fail(f"{name}(…) braucht zwei oder mehr Werte oder eine Liste", expr.span)
            first = args[0]
            out = []
            for arg in args:
                if not self.numeric(arg):
                    raise self.fail(f"{name}(…) braucht Zahlen, nicht {arg.type.describe()}", arg.span)
            for arg in args[1:]:
                first, arg = self._same_units(first, arg, expr.span, f"{name}(…)")
                out.append(arg)
            return c.Func(name, (first, *out), self.number_type(first), expr.span)
        if name == "runde":
            if len(args) != 3:
                raise self.fail("runde(wert, stellen, art) braucht drei Angaben", expr.span,
                                "z. B. runde(betrag, 2, kaufmännisch) — die Rundungsart steht immer dabei")
            value, places, mode = args
            if value.type.kind != TypeKind.ZAHL:
                raise self.fail(f"runde(…) rundet Zahlen, nicht {value.type.describe()}", value.span)
            if not (
                isinstance(places, c.Const)
                and places.type.kind == TypeKind.ZAHL
                and places.type.unit.is_dimensionless
                and places.value == places.value.to_integral_value()
            ):
                raise self.fail("Die Stellen von runde(…) sind eine ganze Zahl", places.span,
                                "eine Zahl ohne Einheit, wie geschrieben: runde(x, 2, kaufmännisch) rundet auf Cent")
            if abs(places.value) > MAX_ROUND_PLACES:
                raise self.fail(f"Die Stellen von runde(…) liegen zwischen {-MAX_ROUND_PLACES} und {MAX_ROUND_PLACES}, "
                                f"nicht {places.value}", places.span,
                                "auf Cent: 2, auf ganze Zahlen: 0, auf Hunderter: -2")
            if not (isinstance(mode, c.Const) and mode.type.kind == TypeKind.MODUS):
                raise self.fail("Die Rundungsart ist kaufmännisch, abrunden oder aufrunden", mode.span)
            rounded = attrs.evolve(value.type, integer=True) if places.value == 0 else value.type
            return c.Func("runde", (value, places, mode), rounded, expr.span)
        if name == "kalendertage":
            self._arity(expr, args, 2)
            for arg in args:
                if arg.type.kind != TypeKind.DATUM:
                    raise self.fail(f"kalendertage(von, bis) braucht Daten, nicht {arg.type.describe()}", arg.span)
            return c.Func(name, tuple(args), c.ValueType(TypeKind.ZAHL, parse_unit("Tag"), True), expr.span)
        if name == "datum_plus":
            self._arity(expr, args, 2)
            date, amount = args
            if date.type.kind != TypeKind.DATUM:
                raise self.fail("datum_plus(datum, menge) braucht zuerst ein Datum", date.span)
            if amount.type.kind != TypeKind.ZAHL or str(amount.type.unit) not in ("Tage", "Wochen", "Monate", "Jahre"):
                raise self.fail("datum_plus(datum, menge): die Menge hat die Einheit Tage, Wochen, Monate oder Jahre",
                                amount.span)
            return c.Func(name, (date, amount), c.DATE, expr.span)
        if name in ("jahr", "monat"):
            self._arity(expr, args, 1)
            if args[0].type.kind != TypeKind.DATUM:
                raise self.fail(f"{name}(…) braucht ein Datum", args[0].span)
            return c.Func(name, tuple(args), c.ValueType(TypeKind.ZAHL, DIMENSIONLESS, True), expr.span)
        if name == "tage_im_monat":
            self._arity(expr, args, 2)
            for arg in args:
                if not self.numeric(arg) or not self.number_type(arg).unit.is_dimensionless:
                    raise self.fail("tage_im_monat(jahr, monat) braucht zwei Zahlen", arg.span)
            return c.Func(name, tuple(args), c.ValueType(TypeKind.ZAHL, parse_unit("Tag"), True), expr.span)
        raise self.fail(f"Unbekannte Funktion „{name}“", expr.span, did_you_mean(name, FUNCTIONS | AGGREGATES))

    def _not_a_list(self, expr: ast.Call, ctx: Place) -> Fail:
        """``summe(kap4)``: the argument resolves, but it is not a value of a list."""
        arg = self.resolve(expr.args[0], ctx)  # reports unknown names with did-you-mean
        span = expr.args[0].span
        lines = self.findings.lines_of(span)
        line = lines[span.line - 1] if 0 < span.line <= len(lines) else ""
        text = line[span.column - 1 : span.end_column - 1] if span.end_line == span.line else str(expr.function)
        lists = self.declarations.lists_around(ctx.scope)
        what = "zählt die Elemente einer Liste" if expr.function == "anzahl" else "rechnet über die Werte einer Liste"
        hint = (f"z. B. {expr.function}({lists[0]}{'' if expr.function == 'anzahl' else '.WERT'})" if lists
                else "hier ist keine Liste deklariert")
        return self.fail(f"{expr.function}(…) {what}; „{text}“ ist {arg.type.describe()}, keine Liste", expr.span, hint)

    def _arity(self, expr: ast.Call, args: list[c.Expr], count: int) -> None:
        if len(args) != count:
            raise self.fail(f"{expr.function}(…) braucht {count} Angabe{'n' if count > 1 else ''}, nicht {len(args)}",
                            expr.span)

    def _aggregate(self, expr: ast.Call, ctx: Place) -> c.Expr | None:
        arg = expr.args[0]
        chain = self._attribute_chain(arg)
        if chain is None:
            return None
        sym = self.declarations.find(chain[0][0], ctx)
        if sym is None or sym.kind != "liste":
            return None
        list_scope = sym.id
        inner_ctx = self.declarations.place(list_scope, None, ctx.node)
        where = None
        if expr.where is not None:
            where = self.resolve(expr.where, inner_ctx)
            if where.type.kind != TypeKind.JA_NEIN:
                raise self.fail("Nach „wo“ steht eine Bedingung (ja/nein)", expr.where.span)
        if len(chain) == 1:
            if expr.function != "anzahl":
                raise self.fail(f"{expr.function}(…) braucht Werte: {chain[0][0]}.WERT", expr.span)
            count_type = c.ValueType(TypeKind.ZAHL, DIMENSIONLESS, True)
            return c.Aggregate("anzahl", list_scope, None, where, count_type, expr.span)
        if expr.function == "anzahl":
            raise self.fail(f"anzahl(…) zählt Elemente: anzahl({chain[0][0]})", expr.span)
        value = self.resolve(self._rebuild(chain[1:]), inner_ctx)
        if expr.function in ("summe", "min", "max") and not self.numeric(value):
            raise self.fail(f"{expr.function}(…) braucht Zahlen, nicht {value.type.describe()}", expr.span)
        vtype = self.number_type(value) if expr.function == "summe" else value.type
        return c.Aggregate(expr.function, list_scope, value, where, vtype, expr.span)

    # ---- values --------------------------------------------------------------------------------------

    def value_type(self, sym: Symbol) -> c.ValueType:
        """The type of the value ``sym``, resolving its expression on first use (cycles reported)."""
        known = self.value_types.get(sym.id)
        if known is not None:
            return known
        if sym.id in self._failed:
            raise Fail()
        if sym.id in self._in_progress:
            cycle = self._in_progress[self._in_progress.index(sym.id):] + [sym.id]
            symbols = self.declarations.symbols
            names = " → ".join(symbols[s].name if s in symbols else s for s in cycle)
            start = self._in_progress.index(sym.id)
            self._failed.update(cycle)  # reported once: a further reference to them fails silently
            if any(start < depth for depth in self._through_previous):
                # a recursion over a list's elements (a running total): no order of evaluation computes it
                raise self.fail(f"Zyklische Definition über „vorher“: {names}", sym.span,
                                "ein Wert darf nicht von sich selbst im vorigen Element abhängen: eine Rekursion "
                                "über die Elemente einer Liste gibt es nicht", code="zyklus")
            raise self.fail(f"Zyklische Definition: {names}", sym.span,
                            "ein Wert darf nicht (über andere) von sich selbst abhängen", code="zyklus")
        self._in_progress.append(sym.id)
        try:
            decl = sym.decl
            assert isinstance(decl, ast.Value)
            ir = self.resolve(decl.expr, self.declarations.place(sym.scope, sym.package, sym.id))
            vtype = ir.type
            bounded = vtype.low is not None or vtype.high is not None or vtype.choices is not None
            if vtype.kind == TypeKind.ZAHL and bounded:
                # a derived value has no range of its own unless it declares one
                vtype = attrs.evolve(vtype, low=None, high=None, choices=None)
            if decl.type is not None:
                declared = self.reader.type_of(decl.type, sym.package, sym.scope)
                ir = self.conform(ir, declared, decl.type.span, f"„{sym.name}“")
                if declared.kind == TypeKind.ZAHL:
                    # the declared range is checked when the value is computed
                    vtype = attrs.evolve(vtype, unit=ir.type.unit, low=declared.low, high=declared.high)
                else:
                    vtype = ir.type
            self.value_types[sym.id] = vtype
            self.value_ir[sym.id] = ir
            return ir.type
        except Fail:
            self._failed.add(sym.id)
            raise
        finally:
            self._in_progress.pop()

    def conform(self, ir: c.Expr, declared: c.ValueType, span: ast.Span, what: str) -> c.Expr:
        """``ir`` as a value of the ``declared`` type (a unit-less number takes its unit)."""
        if declared.kind == TypeKind.ZAHL:
            ir = self.adopt(ir, declared.unit)
            if not self.numeric(ir):
                raise self.fail(f"{what} ist als {declared.describe()} deklariert, ergibt aber {ir.type.describe()}",
                                span, "deklariere den Typ, den die Formel ergibt, oder ändere die Formel")
            got = self.number_type(ir).unit
            if got != declared.unit:
                factor = conversion_factor(got, declared.unit)
                hint = f"rechne mit „als {declared.unit}“ um" if factor is not None else (
                    "die Einheit folgt aus der Formel: prüfe, ob ein Faktor oder ein Divisor fehlt oder zu viel ist, "
                    f"oder deklariere den Wert als {str(got) or 'Zahl ohne Einheit'}")
                raise self.fail(f"{what} ist als {str(declared.unit) or 'Zahl ohne Einheit'} deklariert, "
                                f"ergibt aber {str(got) or 'eine Zahl ohne Einheit'}", span, hint, code="einheit")
            if declared.integer and not self.number_type(ir).integer:
                raise self.fail(f"{what} ist als ganze Zahl deklariert, kann aber Nachkommastellen haben", span,
                                "runde ausdrücklich, z. B. runde(…, 0, kaufmännisch), oder deklariere „zahl“",
                                code="einheit")
            if declared.unit.percent and not ir.type.unit.percent:
                return attrs.evolve(ir, type=c.ValueType(TypeKind.ZAHL, declared.unit, ir.type.integer))
            return ir
        if declared.kind != ir.type.kind or declared.kind == TypeKind.ENUM and declared.enum != ir.type.enum:
            raise self.fail(f"{what} ist als {declared.describe()} deklariert, ergibt aber {ir.type.describe()}", span,
                            "deklariere den Typ, den die Formel ergibt, oder ändere die Formel")
        return ir

    def bound(self, expr: ast.Expression, unit: Unit, ctx: Place) -> c.Expr:
        """A corridor bound, in the corridor's ``unit``."""
        ir = self.adopt(self.resolve(expr, ctx), unit)
        if not self.numeric(ir):
            raise self.fail(f"Die Grenze ist {ir.type.describe()}, keine Zahl; der Korridor hat "
                            f"{str(unit) or 'keine Einheit'}", expr.span,
                            "eine Grenze ist eine Zahl in der Einheit der Menge des Korridors", code="einheit")
        have = self.number_type(ir).unit
        if have != unit:
            hint = (f"schreibe die Grenze in {unit} oder rechne sie mit „als {unit}“ um"
                    if conversion_factor(have, unit) is not None
                    else f"die Grenze hat eine andere Dimension als die Menge; schreibe sie in {unit}"
                    if str(unit) else "die Menge des Korridors hat keine Einheit; schreibe die Grenze ohne")
            raise self.fail(f"Die Grenze hat {str(have) or 'keine Einheit'}, "
                            f"der Korridor {str(unit) or 'keine Einheit'}", expr.span, hint, code="einheit")
        return ir
