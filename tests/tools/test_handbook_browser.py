"""The MAWo handbook as a person sees it: rendered by headless Chromium (Debian's ``chromium``),
with screenshots of the overview and of a corridor chart, every page loaded without a console
message and without a request for a file that is not there; and the overview of a comparison
laid out in a window 1200 pixels wide without growing wider than it.

Chromium is looked for on the PATH; without it these tests are skipped — except in CI
(``CI=true``), where ``.ci/run`` installs it and a missing browser fails. Console messages are
read from Chromium's own log (``--enable-logging=stderr --v=1``); a control page that writes to
the console proves, in the same run, that such messages are seen.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from handbook_pages import broken_references, colours, png_pixels

import teilhabe_rules
from teilhabe_rules.tools.handbook import OVERVIEW, write_handbook
from teilhabe_rules.tools.handbook.charts import COLOURS

ROOT = Path(__file__).resolve().parents[2]
CONTROL_MESSAGE = "Kontrollmeldung-7f3a"
HEADER_COLOUR = bytes.fromhex("12355b")  # .kopf in handbuch.css


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _require(found: str | None) -> str:
    """The browser, else a skip — or, in CI, a failure."""
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true, aber Chromium fehlt: .ci/run installiert das Debian-Paket „chromium“")
        pytest.skip("Chromium fehlt (Debian: apt-get install chromium); in CI (CI=true) ist das ein Fehler")
    return found


@pytest.fixture(scope="module")
def chromium() -> str:
    return _require(_chromium())


def test_missing_browser_skips_outside_ci_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        _require(None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        _require(None)
    assert _require("/usr/bin/chromium") == "/usr/bin/chromium"


@pytest.fixture(scope="module")
def handbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("handbuch")
    write_handbook(teilhabe_rules.bundled("mawo"), out)
    return out


def _run(chromium: str, profile: Path, url: str, *options: str) -> str:
    """Run headless Chromium on ``url``; its log (standard error)."""
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
               "--hide-scrollbars", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=1", *options, url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False,
                          env={**os.environ, "LANG": "de_DE.UTF-8"})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def _screenshot(chromium: str, tmp_path: Path, page: Path, width: int, height: int) -> tuple[str, Path]:
    shot = tmp_path / f"{page.stem}.png"
    log = _run(chromium, tmp_path / "profil", page.as_uri(), f"--screenshot={shot}", f"--window-size={width},{height}")
    assert shot.is_file(), log[-3000:]
    return log, shot


def _console(log: str) -> list[str]:
    """The console messages in Chromium's log (``INFO:CONSOLE:1] "…", source: …``)."""
    return re.findall(r":CONSOLE[^\]]*\] (.*)", log)


def _requested(log: str) -> list[Path]:
    """The local files Chromium loaded."""
    return [Path(unquote(urlsplit(url).path)) for url in re.findall(r"FileURLLoader::Start: (file://\S+)", log)]


def test_every_link_resolves(handbook: Path) -> None:
    assert broken_references(handbook) == []


def test_overview_screenshot(chromium: str, handbook: Path, tmp_path: Path) -> None:
    log, shot = _screenshot(chromium, tmp_path, handbook / OVERVIEW, 1280, 900)
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (1280, 900)
    seen = colours(rows)
    assert HEADER_COLOUR in seen  # the stylesheet was applied
    assert len(seen) > 200  # text drawn (anti-aliased), not an empty page
    assert _console(log) == []
    assert handbook / "handbuch.css" in _requested(log)


def test_corridor_chart_screenshot(chromium: str, handbook: Path, tmp_path: Path) -> None:
    """LP 2a's chart, alone on a page with the handbook's stylesheet: every band is drawn in its colour."""
    page = (handbook / "paket-bewohner-lp2a.html").read_text("utf-8")
    figure = re.search(r'<figure class="diagramm">.*?</figure>', page, re.S)
    assert figure is not None
    single = handbook / "korridor-lp2a.html"
    single.write_text('<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Korridor LP 2a</title>'
                      '<link rel="stylesheet" href="handbuch.css"></head><body><main>' + figure.group(0)
                      + "</main></body></html>", "utf-8")
    try:
        log, shot = _screenshot(chromium, tmp_path, single, 820, 340)
    finally:
        single.unlink()
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (820, 340)
    seen = colours(rows)
    for colour in COLOURS[:5]:  # the five bands of LP 2a, each with a filled marker or an arrow in its colour
        assert bytes.fromhex(colour[1:]) in seen, colour
    assert bytes.fromhex("ffffff") in seen
    assert _console(log) == []


# reports, once the page is laid out, how wide it is against the window and how many table frames
# scroll, as a console message (read from Chromium's log as the others are)
WIDTH_PROBE = """<script>addEventListener("load", () => {
  const page = document.documentElement;
  const frames = [...document.querySelectorAll(".tabellenrahmen")].filter(f => f.scrollWidth > f.clientWidth);
  const wide = [...document.querySelectorAll("table")].filter(t => t.getBoundingClientRect().right > page.clientWidth)
    .map(t => (t.closest("section, article") || {}).id);
  console.log(`Breite ${page.scrollWidth} ${page.clientWidth} ${frames.length} ${wide.join(",")}`);
});</script>"""


@pytest.mark.parametrize(("new", "old"), [("mawo_2025", "mawo"), ("bei_nrw3", "bei_nrw2")])
def test_a_comparison_fits_a_window_1200_pixels_wide(chromium: str, tmp_path: Path, new: str, old: str) -> None:
    """The overview of a comparison (``--vergleich``) at 1200 × 900: the page is no wider than the
    window; a table wider than its column (long paths, exact numbers) scrolls in its own frame."""
    out = tmp_path / "handbuch"
    write_handbook(teilhabe_rules.bundled(new), out, previous=teilhabe_rules.bundled(old))
    probe = out / "breite.html"
    probe.write_text((out / OVERVIEW).read_text("utf-8").replace("</body>", WIDTH_PROBE + "</body>"), "utf-8")
    log = _run(chromium, tmp_path / "profil", probe.as_uri(), "--dump-dom", "--virtual-time-budget=5000",
               "--window-size=1200,900")
    (measured,) = [found for m in _console(log) if (found := re.match(r'"Breite (\d+) (\d+) (\d+) ([^"]*)"', m))]
    page_width, window_width, scrolling = (int(measured.group(n)) for n in (1, 2, 3))
    assert window_width == 1200
    assert page_width <= window_width, f"breiter als das Fenster: {page_width} px; Tabellen: {measured.group(4)}"
    assert scrolling >= 1  # a wide table is there, and it scrolls in its frame


def test_no_console_messages_and_no_missing_files(chromium: str, handbook: Path, tmp_path: Path) -> None:
    """Every page loaded at once (as frames of one page), beside a control page that writes to the console."""
    pages = sorted(p.name for p in handbook.glob("*.html"))
    control = handbook / "kontrolle.html"
    control.write_text('<!DOCTYPE html><html lang="de"><head><title>Kontrolle</title></head><body>'
                       f'<script>console.error("{CONTROL_MESSAGE}")</script></body></html>', "utf-8")
    frames = handbook / "alle-seiten.html"
    frames.write_text('<!DOCTYPE html><html lang="de"><head><title>Alle Seiten</title></head><body>'
                      + "".join(f'<iframe src="{name}" title="{name}" width="1200" height="800"></iframe>'
                                for name in [*pages, control.name])
                      + "</body></html>", "utf-8")
    try:
        log = _run(chromium, tmp_path / "profil", frames.as_uri(), "--dump-dom", "--virtual-time-budget=5000")
    finally:
        control.unlink()
        frames.unlink()
    messages = _console(log)
    assert any(CONTROL_MESSAGE in message for message in messages), "die Kontrollmeldung wurde nicht gesehen"
    assert [m for m in messages if CONTROL_MESSAGE not in m] == []
    requested = _requested(log)
    for name in pages:
        assert handbook / name in requested, f"{name} wurde nicht geladen"
    for path in requested:
        assert path.is_file() or path in (control, frames), f"angefordert, aber nicht vorhanden: {path}"
