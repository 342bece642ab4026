"""A corridor's gap is reported at the band next to it, which its hint names — never at the `paket` line."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import teilhabe_rules
from teilhabe_rules import CheckError
from teilhabe_rules.ir import checked as c
from teilhabe_rules.ir.domains import Domain, corridor_findings
from teilhabe_rules.loading import check_text
from teilhabe_rules.span import Span
from teilhabe_rules.units import DIMENSIONLESS

MODEL = """modell probe "Probe"
  version "1"
  gültig ab 01.01.2024
ende
eingabe minuten: auswahl {0, 5, 10, 15} min/Tag
paket lp2a "LP 2a"
  stufen
    0 "kein"
    1 "mittel"
  ende
  stufe nach korridor minuten
    0: bis 5
    1: über 5 bis 10
  ende
ende
"""


def test_a_value_beyond_the_last_band_is_reported_at_that_band() -> None:
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(MODEL, "probe.rules")
    (gap,) = info.value.errors
    assert gap.message == "Der Korridor von „lp2a“ deckt mögliche Werte nicht ab: 15 min/Tag"
    assert gap.location is not None
    assert (gap.location.line, gap.location.column) == (13, 5)  # „1: über 5 bis 10“, not „paket lp2a“ (line 6)
    assert gap.source_line == "    1: über 5 bis 10"
    assert gap.hint == ("15 min/Tag liegt nach dem Band von Stufe 1 (über 5 bis 10 min/Tag); "
                        "ergänze ein Band oder verschiebe eine Grenze")


def test_a_gap_at_the_end_of_an_interval_is_reported_at_the_last_band() -> None:
    text = MODEL.replace("auswahl {0, 5, 10, 15} min/Tag", "zahl min/Tag von 0 bis 20")
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(text, "probe.rules")
    (gap,) = info.value.errors
    assert "lässt eine Lücke: Werte über 10 bis 20 min/Tag" in gap.message
    assert gap.location is not None
    assert (gap.location.line, gap.location.column) == (13, 5)
    assert gap.hint is not None and gap.hint.startswith("die Lücke liegt nach dem Band von Stufe 1 (über 5 bis 10")


@pytest.mark.parametrize(("bands", "low", "message", "hint"), [
    ("0: ab 0 unter 10\n    1: über 10 bis 20", "0", "der Wert 10 min/Tag liegt in keinem Band",
     "schließe die Lücke vor dem Band von Stufe 1 (über 10 bis 20 min/Tag): „ab 10“ statt „über 10“ (oder "
     "„bis 10“ statt „unter 10“ im Band davor)"),
    ("0: ab 0 bis 5\n    1: über 8 bis 20", "0", "Werte über 5 bis 8 min/Tag liegen in keinem Band",
     "schließe die Lücke vor dem Band von Stufe 1 (über 8 bis 20 min/Tag), z. B. mit „über x“ direkt nach „bis x“"),
    ("0: über 0 bis 5\n    1: über 5 bis 20", "0", "der Wert 0 min/Tag liegt in keinem Band",
     "schließe die Lücke vor dem Band von Stufe 0 (über 0 bis 5 min/Tag): „ab 0“ statt „über 0“"),
    ("0: ab 0 bis 5\n    1: über 5 unter 20", "0", "der Wert 20 min/Tag liegt in keinem Band",
     "die Lücke liegt nach dem Band von Stufe 1 (über 5 unter 20 min/Tag); „bis 20“ statt „unter 20“ schließt sie"),
    ("0: ab -5 bis -1\n    1: ab 2 bis 20", "0", "Werte ab 0 unter 2 min/Tag liegen in keinem Band",  # (a band below)
     "die Lücke liegt vor dem Band von Stufe 1 (ab 2 bis 20 min/Tag); ergänze ein Band oder begrenze den "
     "Wertebereich der Eingaben"),
    ("0: ab 5 bis 10\n    1: über 10 bis 20", "0", "Werte ab 0 unter 5 min/Tag liegen in keinem Band",
     "die Lücke liegt vor dem Band von Stufe 0 (ab 5 bis 10 min/Tag); ergänze ein Band oder begrenze den "
     "Wertebereich der Eingaben"),
])
def test_a_gap_is_told_in_words_that_fit_it(bands: str, low: str, message: str, hint: str) -> None:
    """One value „liegt“, values „liegen“; the hint says what closes the gap: for one value the
    bound that takes it in, before the first band no band to move."""
    text = MODEL.replace("auswahl {0, 5, 10, 15} min/Tag", f"zahl min/Tag von {low} bis 20").replace(
        "0: bis 5\n    1: über 5 bis 10", bands)
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(text, "probe.rules")
    (gap,) = info.value.errors
    assert gap.message == f"Der Korridor von „lp2a“ lässt eine Lücke: {message}"
    assert gap.hint == hint


_bounds = st.lists(st.integers(0, 30), min_size=2, max_size=8, unique=True).map(sorted)


@given(bounds=_bounds, values=st.lists(st.integers(-5, 35), min_size=1, max_size=12), interval=st.booleans())
def test_every_gap_points_at_a_band_its_hint_names(bounds: list[int], values: list[int], interval: bool) -> None:
    """Bands between consecutive bounds, every other one left out: each gap finding sits on a band's
    line, and its hint names that band's level."""
    bands = []
    for number, (lo, hi) in enumerate(zip(bounds, bounds[1:], strict=False)):
        if number % 2 == 0:
            span = Span(100 + number, 5, 100 + number, 20)
            bands.append((c.BandSpec(number, None, True, None, False, span), Decimal(lo), Decimal(hi)))
    domain = (Domain(None, Decimal(min(values)), Decimal(max(values)), True) if interval
              else Domain.of(values))
    spans = {band[0].span: band[0].level for band in bands}
    gaps = [f for f in corridor_findings(domain, bands, DIMENSIONLESS, {}, "p")
            if "Lücke" in f[1] or "nicht ab" in f[1]]
    for _severity, _message, span, hint in gaps:
        assert span in spans
        assert hint is not None and f"dem Band von Stufe {spans[span]} (" in hint


def test_a_level_without_a_band_is_reported_at_its_declaration() -> None:
    text = MODEL.replace("auswahl {0, 5, 10, 15} min/Tag", "zahl min/Tag von 0 bis 10")
    text = text.replace('    1 "mittel"\n', '    1 "mittel"\n    2 "hoch"\n')
    checked = check_text(text, "probe.rules")
    (warning,) = [w for w in checked.warnings if "kein Korridorband" in w.message]
    assert warning.message == "Stufe 2 von „lp2a“ hat kein Korridorband und wird nie erreicht"
    assert warning.location is not None
    assert (warning.location.line, warning.location.column) == (10, 5)  # „2 "hoch"“, not „paket lp2a“ (line 6)
    assert warning.source_line == '    2 "hoch"'


@pytest.mark.parametrize(("bands", "domain", "message", "hint"), [
    ("0: ab 2 bis 10\n    1: über 10", "ganzzahl Tage von 1 bis 100",
     "Der Korridor von „lp2a“ deckt mögliche Werte nicht ab: 1 Tage",
     "1 Tag liegt vor dem Band von Stufe 0 (ab 2 bis 10 Tage); ergänze ein Band oder verschiebe eine Grenze"),
    ("0: ab 0 unter 1\n    1: über 1", "zahl Tage von 0 bis 100",
     "Der Korridor von „lp2a“ lässt eine Lücke: der Wert 1 Tag liegt in keinem Band", None),
    ("0: ab 0 unter 2\n    1: über 2", "zahl Tage von 0 bis 100",
     "Der Korridor von „lp2a“ lässt eine Lücke: der Wert 2 Tage liegt in keinem Band", None),
])
def test_one_day_is_in_the_singular(bands: str, domain: str, message: str, hint: str | None) -> None:
    """A single value of one day is „1 Tag“ in a finding; a list or range of values keeps the plural."""
    text = MODEL.replace("auswahl {0, 5, 10, 15} min/Tag", domain).replace(
        "0: bis 5\n    1: über 5 bis 10", bands)
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(text, "probe.rules")
    (gap,) = info.value.errors
    assert gap.message == message
    if hint is not None:
        assert gap.hint == hint
