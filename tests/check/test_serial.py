"""The data serialisation of checked models: exact round trips, and nothing but data decodes."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import os
import pickle
import subprocess
import sys
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules.errors import TeilhabeError
from teilhabe_rules.ir import checked as c
from teilhabe_rules.ir import serial
from teilhabe_rules.model import Model
from teilhabe_rules.tools.testing import run_examples

ROOT = Path(__file__).resolve().parents[2]

#: Every bundled model, the examples' variant, a small model of the tests and one with warnings.
MODEL_FILES = [
    *sorted((ROOT / "models").glob("*.rules")),
    ROOT / "examples/versionen/stundensatz.rules",
    ROOT / "tests/fixtures/cases/klein.rules",
]

WARNING_MODEL = """modell warnt "Warnt"
  version "1"
  gültig ab 01.01.2024
ende
eingabe x: ganzzahl von 0 bis 1
paket lp "LP"
  stufen
    0 "a"
    1 "b"
    2 "c"
  ende
  stufe = x
ende
"""


def same(a: Any, b: Any, path: str = "$") -> None:
    """``a`` and ``b`` are identical in type and value, field by field — also where attrs'
    ``eq`` is switched off (``CheckedModel.scopes``, ``Unit.percent``, …) and where ``==`` is
    too lenient (``Decimal("1.50") == Decimal("1.5")``, ``1 == True``)."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} ≠ {type(b).__name__}"
    if attrs.has(type(a)):
        for field in attrs.fields(type(a)):
            same(getattr(a, field.name), getattr(b, field.name), f"{path}.{field.name}")
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), f"{path}: length"
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{path}[{index}]")
    elif isinstance(a, dict):
        assert len(a) == len(b), f"{path}: length"
        for index, ((ka, va), (kb, vb)) in enumerate(
            zip(a.items(), b.items(), strict=True)
        ):  # order too
            same(ka, kb, f"{path}.key{index}")
            same(va, vb, f"{path}[{ka!r}]")
    elif isinstance(a, frozenset):
        assert sorted(map(repr, a)) == sorted(map(repr, b)), path
    elif isinstance(a, Decimal):
        assert a.as_tuple() == b.as_tuple(), f"{path}: {a!r} ≠ {b!r}"
    else:
        assert a == b, f"{path}: {a!r} ≠ {b!r}"


def outcomes(model: Model) -> list[Any]:
    """What evaluating every example gives: its outcome, and the result's JSON form or the error."""
    out: list[Any] = [attrs.astuple(outcome) for outcome in run_examples(model)]
    for example in model.checked.examples:
        try:
            agreement = None
            if example.agreement:
                agreement = model.load_agreement(
                    {
                        "parameter": {
                            n: v if isinstance(v, (str, bool)) else str(v)
                            for n, v, _ in example.agreement
                        }
                    }
                )
            out.append(
                model.evaluate(
                    copy.deepcopy(example.case), agreement, at=example.at, explain=True
                ).to_dict()
            )
        except TeilhabeError as exc:
            out.append(exc.render())
    return out


@pytest.fixture(
    scope="module",
    params=[*MODEL_FILES, "warnings"],
    ids=lambda p: p if isinstance(p, str) else p.name,
)
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Model:
    path = request.param
    if path == "warnings":
        path = tmp_path_factory.mktemp("warn") / "warnt.rules"
        path.write_text(WARNING_MODEL, encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("TEILHABE_RULES_CACHE", "aus")
    try:
        return teilhabe_rules.load(path)
    finally:
        mp.undo()


class TestModelRoundTrip:
    """``decode(encode(m))`` is ``m``, field by field, and evaluates every example alike."""

    def test_identical_field_by_field(self, loaded: Model) -> None:
        back = serial.decode_model(serial.encode_model(loaded.checked))
        assert back == loaded.checked
        same(back, loaded.checked)
        # objects shared in the model stay shared (one Unit object per unit, say)
        assert len({id(n.type.unit) for n in back.nodes.values()}) == len(
            {id(n.type.unit) for n in loaded.checked.nodes.values()}
        )
        assert [w.render() for w in back.warnings] == [w.render() for w in loaded.checked.warnings]
        if loaded.checked.info.name == "warnt":
            assert back.warnings

    def test_examples_evaluate_identically(self, loaded: Model) -> None:
        back = Model(serial.decode_model(serial.encode_model(loaded.checked)), loaded.path)
        assert outcomes(back) == outcomes(loaded)

    def test_the_decoders_per_class_give_what_the_generic_decoding_gives(self, loaded: Model) -> None:
        """With the whole allowlist each class has its own decoder; with a copy of it (any other
        ``classes``) every value is decoded generically and then checked: the same model."""
        payload = serial.encode_model(loaded.checked)
        fast, generic = serial.decode(payload), serial.decode(payload, classes=dict(serial.CLASSES))
        same(fast, generic)
        assert isinstance(fast, c.CheckedModel) and isinstance(generic, c.CheckedModel)
        spans = [{id(n.span) for n in model.nodes.values()} for model in (fast, generic)]
        assert len(spans[0]) == len(spans[1])


def test_threads_decoding_at_once_in_a_new_process_decode_alike() -> None:
    """The decoders per class are made on first use, in whichever thread comes first; threads
    that start decoding together all get the whole model (compared with the generic decoding)."""
    script = (
        "import sys, threading\n"
        "import teilhabe_rules\n"
        "from teilhabe_rules.ir import serial\n"
        "payload = serial.encode_model(teilhabe_rules.load(sys.argv[1]).checked)\n"
        "start, found = threading.Barrier(8), []\n"
        "def work():\n"
        "    start.wait()\n"
        "    found.append(serial.encode_model(serial.decode_model(payload)))\n"
        "threads = [threading.Thread(target=work) for _ in range(8)]\n"
        "for t in threads: t.start()\n"
        "for t in threads: t.join()\n"
        "generic = serial.encode(serial.decode(payload, classes=dict(serial.CLASSES)))\n"
        "print(len(found), all(f == payload == generic for f in found))\n"
    )
    env = dict(os.environ, TEILHABE_RULES_CACHE="aus")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", script, str(ROOT / "models/mawo.rules")], capture_output=True,
                          text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["8", "True"]


def test_every_checked_class_is_allowed() -> None:
    """A new attrs class in checked.py must join the allowlist (else models would not encode)."""
    classes = {
        value
        for value in vars(c).values()
        if isinstance(value, type) and attrs.has(value) and value.__module__ == c.__name__
    }
    # the fields every kind of node shares: never a node itself, so never in a payload
    assert classes - {c.NodeBase} <= set(serial.CLASSES.values())
    assert c.NodeBase not in set(serial.CLASSES.values())
    assert set(typing.get_args(c.Node)) <= set(serial.CLASSES.values())


# --------------------------------------------------------------------------------------
# Scalars and containers
# --------------------------------------------------------------------------------------

decimals = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        ["-0", "0E+3", "-0E-7", "1.50", "1E+999999", "-1e-999999", "sNaN", "-NaN", "NaN123"]
    ).map(Decimal),
    st.builds(
        lambda sign, digits, exp: Decimal((sign, digits, exp)),
        st.integers(0, 1),
        st.lists(st.integers(0, 9), min_size=1, max_size=40).map(tuple),
        st.integers(-10_000, 10_000),
    ),
)
fractions = st.fractions()
texts = st.text(st.characters(exclude_categories=()))  # lone surrogates, NUL, anything
kinds = st.sampled_from([member for cls in (c.TypeKind, c.RefKind, c.NodeKind) for member in cls])
scalars = st.one_of(st.none(), st.booleans(), st.integers(), texts, decimals, fractions, st.dates(), kinds)
keys = st.one_of(st.integers(), texts, st.dates(), fractions, st.tuples(st.integers(), texts))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(texts, inner, max_size=4),
        st.dictionaries(keys, inner, max_size=4),
        st.frozensets(st.one_of(st.integers(), texts), max_size=4),
    ),
    max_leaves=20,
)


class TestValues:
    """Scalar and container encodings are exact."""

    @given(values)
    @settings(max_examples=examples(150))
    def test_round_trip(self, value: Any) -> None:
        data = serial.encode(value)
        assert data.isascii()
        same(serial.decode(data), value)

    def test_kinds_round_trip_as_their_members(self) -> None:
        assert {c.TypeKind, c.RefKind, c.NodeKind} == serial.ENUMS
        for cls in serial.ENUMS:
            for member in cls:
                data = serial.encode(member)
                assert json.loads(data) == ["e", cls.__name__, member.value]
                assert serial.decode(data) is member
        # a kind inside a model's value: the member, not its word, comes back
        ref = c.Ref("x", "x", "", c.RefKind.EINGABE, c.NUMBER, c.Span(1, 1, 1, 2))
        back = serial.decode(serial.encode(ref))
        assert type(back.kind) is c.RefKind and back.kind is c.RefKind.EINGABE
        assert type(back.type.kind) is c.TypeKind and back.type.kind is c.TypeKind.ZAHL

    @given(kinds)
    def test_a_kind_is_never_decoded_as_its_word(self, member: Any) -> None:
        back = serial.decode(serial.encode((member, member.value, {member.value: member})))
        same(back, (member, member.value, {member.value: member}))
        assert type(back[0]) is type(member) and type(back[1]) is str

    def test_subclasses_and_floats_are_not_encoded(self) -> None:
        for value in (1.5, dt.datetime(2024, 1, 1), {1.5: 1}, object(), {"a": [set()]}):
            with pytest.raises(serial.SerialError):
                serial.encode(value)

    def test_only_units_types_enumerations_and_spans_are_shared(self) -> None:
        """Expressions are copied, never shared: a payload cannot describe an expression graph
        exponentially larger than itself."""
        span = c.Span(1, 1, 1, 2)
        const = c.Const(Decimal(1), c.NUMBER, span)
        first, second = serial.decode(serial.encode((const, const)))
        assert first == second == const and first is not second
        assert first.type is second.type and first.span is second.span
        # what a payload may refer to: the unit (0), the value type (1), the span (2); no Const
        tree = json.loads(serial.encode((const, const)))
        assert tree[2] == ["o", "Const", ["D", "1"], ["r", 1], ["r", 2]]
        with pytest.raises(serial.SerialError):
            serial.decode(json.dumps(["t", tree[1], ["r", 3]]).encode())

    def test_cycles_are_not_encoded(self) -> None:
        loop: list[Any] = []
        loop.append(loop)
        with pytest.raises(serial.SerialError):
            serial.encode(loop)


# --------------------------------------------------------------------------------------
# Nothing else decodes
# --------------------------------------------------------------------------------------

SPAN = ["o", "Span", 1, 1, 1, 2, None]


class TestRejected:
    """A payload that does not encode allowed data is a SerialError, never another exception."""

    @pytest.mark.parametrize(
        "tree",
        [
            ["o", "Popen", ["l", "touch", "/tmp/x"]],  # not an allowed class
            ["o", "system", "touch /tmp/x"],
            ["o", "__builtins__"],
            ["o", ["l", "Span"], 1],
            ["o"],
            ["o", "Span", 1, 1, 1],  # too few fields
            ["o", "Span", 1, 1, 1, 2, None, 3],  # too many
            ["o", "Span", "1", 1, 1, 2, None],  # a field of the wrong type
            ["o", "Const", ["D", "1"], ["o", "Span", 1, 1, 1, 2, None], SPAN],
            ["o", "Member", 1.5, None, None],  # a float
            ["r", 0],  # a reference to nothing yet
            ["t", SPAN, ["r", 1]],
            ["t", SPAN, ["r", -1]],
            ["r", True],
            ["D", "x"],
            ["D", 1],
            ["D"],
            ["Q", 1, 0],
            ["Q", "1", "2"],
            ["Q", 1],
            ["d", "2024-02-30"],
            ["d", 20240101],
            ["m", "a"],
            ["m", ["l"], 1],  # odd length, unhashable key
            ["f", ["l"]],
            ["x"],
            [],
            1.5,
            ["t", 1e400],
            ["o", "CheckedModel"],
            ["e", "NodeKind", "unbekannt"],  # not a member
            ["e", "RefKind", "stufe"],  # a member of another kind
            ["e", "NodeKind", "WERT"],  # a member's name is not its value
            ["e", "NodeKind", 1],
            ["e", "NodeKind"],
            ["e", "NodeKind", "wert", "wert"],
            ["e", "Span", "x"],  # not an enumeration
            ["e", "Popen", "x"],
            ["e", ["l"], "wert"],
            ["o", "NodeKind", "wert"],  # an enumeration is no class to construct by fields
        ],
    )
    def test_malformed(self, tree: Any) -> None:
        with pytest.raises(serial.SerialError):
            serial.decode(json.dumps(tree).encode())

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            (7, "VALUE_TYPE", "Feld vom falschen Typ"),  # a ValueType where the Span belongs
            (7, ["r", 0], "Feld vom falschen Typ"),  # a reference to the Unit, not to a Span
            (7, ["r", 2], "ungültiger Verweis"),  # a reference to nothing yet
            (7, ["o", "Popen", 1], "nicht erlaubt"),
            (7, None, "Feld vom falschen Typ"),
            (6, ["e", "TypeKind", "zahl"], "Feld vom falschen Typ"),
            (4, ["l"], "Feld vom falschen Typ"),  # a list where a string belongs
            (4, 1, "Feld vom falschen Typ"),
            (5, ["e", "NodeKind", "wert"], "Feld vom falschen Typ"),  # a member of another kind
        ],
    )
    def test_a_field_takes_only_what_its_annotation_allows(self, field: int, value: Any, message: str) -> None:
        """Checked by each class's own decoder as by the generic decoding and checking."""
        ref = c.Ref("x", "x", "", c.RefKind.EINGABE, c.NUMBER, c.Span(1, 1, 1, 2))
        tree = json.loads(serial.encode(ref))
        tree[field] = tree[6] if value == "VALUE_TYPE" else value
        for classes in (serial.CLASSES, dict(serial.CLASSES)):
            with pytest.raises(serial.SerialError, match=message):
                serial.decode(json.dumps(tree).encode(), classes=classes)

    def test_a_kind_as_a_plain_word(self) -> None:
        """A field annotated with a kind takes the member only, not its word (an old entry's form)."""
        ref = c.Ref("x", "x", "", c.RefKind.EINGABE, c.NUMBER, c.Span(1, 1, 1, 2))
        tree = json.loads(serial.encode(ref))
        assert tree[5] == ["e", "RefKind", "eingabe"]
        assert serial.decode(json.dumps(tree).encode()) == ref
        tree[5] = "eingabe"
        with pytest.raises(serial.SerialError, match="Feld vom falschen Typ"):
            serial.decode(json.dumps(tree).encode())

    def test_classes_outside_the_given_ones(self) -> None:
        assert serial.decode(json.dumps(SPAN).encode()) == c.Span(1, 1, 1, 2)
        with pytest.raises(serial.SerialError, match="nicht erlaubt"):
            serial.decode(json.dumps(SPAN).encode(), classes={})
        kind = json.dumps(["e", "NodeKind", "wert"]).encode()
        assert serial.decode(kind) is c.NodeKind.WERT
        with pytest.raises(serial.SerialError, match="nicht erlaubt"):
            serial.decode(kind, classes={})

    def test_a_pickle_is_no_encoding(self, tmp_path: Path) -> None:
        marker = tmp_path / "ran"

        class Plant:
            def __reduce__(self) -> Any:
                return (open, (str(marker), "w"))

        data = pickle.dumps(Plant())
        with pytest.raises(serial.SerialError):
            serial.decode(data)
        assert not marker.exists()

    def test_deep_nesting(self) -> None:
        with pytest.raises(serial.SerialError):
            serial.decode(b'["t",' * 100_000 + b"1" + b"]" * 100_000)
        with pytest.raises(serial.SerialError):
            serial.decode(b"[" * 100_000)

    def test_not_a_model(self) -> None:
        with pytest.raises(serial.SerialError):
            serial.decode_model(serial.encode(c.Span(1, 1, 1, 2)))

    @given(st.binary(max_size=200))
    def test_random_bytes(self, data: bytes) -> None:
        with contextlib.suppress(serial.SerialError):
            serial.decode(data)

    @given(
        st.recursive(
            st.one_of(
                st.none(),
                st.booleans(),
                st.integers(),
                st.text(max_size=5),
                st.sampled_from(
                    ["o", "r", "t", "D", "Q", "d", "m", "f", "l", "Span", "Member", "Unit"]
                ),
            ),
            lambda inner: (
                st.lists(inner, max_size=6)
                | st.dictionaries(st.text(max_size=3), inner, max_size=3)
            ),
            max_leaves=25,
        )
    )
    def test_random_trees(self, tree: Any) -> None:
        with contextlib.suppress(serial.SerialError):
            serial.decode(json.dumps(tree).encode())
