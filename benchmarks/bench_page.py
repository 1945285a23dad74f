"""Time the ecosystem page in headless Chromium: its first full draw, and a step of its year control.

The page is drawn from a build by this checkout (``kg.visualise``, the same
as ``kg viz``): the whole portfolio, or one country with ``--country``.
Its baseline, measured in the same run, is the same view without its year
control (its years emptied: the same nodes, edges and data, no sliders).

* Draw: from the start of navigation to the end of the first full draw
  (vis-network's first ``afterDrawing``, which the page records as
  ``data-draw-ms``), in a fresh tab each time; the two pages alternate.
* Step: from ``kg.setYears(Y, Y)`` (what a slider or the play button calls)
  to the end of the redraw that shows it, each year in turn, ``--runs``
  rounds; and until ``kg.setYears`` returns (the filters, the data set
  updates and, when something changed, the page's one redraw). The
  baseline step sets the years already shown again (nothing is hidden or
  shown) and redraws the same way.

Printed: medians (ms) of each, the ratios page/baseline, and whether the
issue's limits hold (a draw of the whole archive in 3 s or less, a year step
in 1 s or less). ``--screenshots DIR`` saves the page at two years (PNG,
``ecosystem-YEAR.png``). Chromium is found on the PATH as the tests find it.
The machine's load average is printed at the start and the end: other work
skews every figure.

Usage::

    python benchmarks/bench_page.py --graph OUT
    python benchmarks/bench_page.py --graph OUT --runs 5 --out docs/bench/page-corpus.txt
    python benchmarks/bench_page.py --graph OUT --screenshots docs/images --shot-years 2021 2024
    python benchmarks/bench_page.py --graph OUT --country KEN
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import saved_to, say  # noqa: E402
from kg.analyse import analyse_build  # noqa: E402
from kg.visualise import View, country_view, portfolio_view, write_html  # noqa: E402
from tests.browser import Chromium  # noqa: E402
from tests.conftest import chromium  # noqa: E402

DRAW_LIMIT_MS = 3000
STEP_LIMIT_MS = 1000

# The years set (as the sliders and the play button do), then the end of the redraw that follows, asked for as a
# data set update asks (so that a step that changes nothing redraws too): [compute ms, total ms].
_STEP = """(async (first, last) => {
  const start = performance.now();
  const drawn = new Promise(done => kg.network.once("afterDrawing", done));
  kg.setYears(first, last);
  const computed = performance.now() - start;
  kg.network.body.emitter.emit("_requestRedraw");
  await drawn;
  return [computed, performance.now() - start];
})"""


def main() -> None:
    """Draw the pages, time them and print the figures."""
    args = _arguments()
    binary = chromium()
    if binary is None:
        raise SystemExit("Chromium is not on the PATH")
    with saved_to(args.out), tempfile.TemporaryDirectory(prefix="bench-page-") as folder:
        _bench(args, binary, Path(folder))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graph", type=Path, required=True, help="a kg build's output folder")
    parser.add_argument("--country", help="time one country's view (ISO3 code or name) instead of the portfolio")
    parser.add_argument("--runs", type=int, default=5, help="draws of each page, and rounds of year steps")
    parser.add_argument("--screenshots", type=Path, help="save the page at --shot-years into this folder")
    parser.add_argument("--shot-years", type=int, nargs=2, default=(2021, 2024), help="the years of the screenshots")
    parser.add_argument("--out", help="write the printed text to this file too")
    return parser.parse_args()


def _bench(args: argparse.Namespace, binary: str, folder: Path) -> None:
    say(f"bench_page: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} cores")
    say(f"load average at the start: {_load()}")
    started = time.perf_counter()
    analysis = analyse_build(args.graph)
    view = country_view(analysis, args.country) if args.country else portfolio_view(analysis)
    say(f"analysed OUT and drew the view in {time.perf_counter() - started:.1f} s: {view.title}")
    page = write_html(view, folder / "page.html")
    baseline = write_html(_without_years(view), folder / "baseline.html")
    say(f"page: {page.stat().st_size:,} bytes, {len(view.nodes)} nodes, {len(view.edges)} edges, years {view.years}")
    say(f"baseline (no year control): {baseline.stat().st_size:,} bytes")
    browser = Chromium(binary, folder / "profile")
    try:
        draws = _draws(browser, page, baseline, args.runs)
        steps = _steps(browser, page, view.years, args.runs)
        if args.screenshots:
            _screenshots(browser, page, args.screenshots, args.shot_years)
    finally:
        browser.close()
    _report(draws, steps)
    say(f"load average at the end: {_load()}")


def _without_years(view: View) -> View:
    """``view`` with no years: the page draws the same, without the year control."""
    return replace(view, years=[])


def _draws(browser: Chromium, page: Path, baseline: Path, runs: int) -> dict[str, list[float]]:
    """Time to the first full draw of each page, ``runs`` times, alternating (ms)."""
    found: dict[str, list[float]] = {"page": [], "baseline": []}
    for run in range(runs):
        order = (("page", page), ("baseline", baseline)) if run % 2 == 0 else (("baseline", baseline), ("page", page))
        for name, path in order:
            tab = browser.open(path.as_uri())
            try:
                found[name].append(float(tab.evaluate("document.documentElement.getAttribute('data-draw-ms')")))
                if tab.errors():
                    raise SystemExit(f"script errors in {name}: {tab.errors()}")
            finally:
                tab.close()
    return found


def _steps(browser: Chromium, page: Path, years: list[int], runs: int) -> dict[str, list[float]]:
    """Year steps through every year, ``runs`` rounds: [compute, total] each, and the baseline's (ms)."""
    found: dict[str, list[float]] = {"compute": [], "step": [], "baseline compute": [], "baseline": []}
    tab = browser.open(page.as_uri())
    try:
        for _round in range(runs):
            for year in years:
                computed, total = tab.evaluate(f"{_STEP}({year}, {year})")
                found["compute"].append(computed)
                found["step"].append(total)
                computed, total = tab.evaluate(f"{_STEP}({year}, {year})")  # the same years again
                found["baseline compute"].append(computed)
                found["baseline"].append(total)
        if tab.errors():
            raise SystemExit(f"script errors while stepping: {tab.errors()}")
    finally:
        tab.close()
    return found


def _screenshots(browser: Chromium, page: Path, folder: Path, years: tuple[int, int]) -> None:
    """The page at each of ``years``, as shown after its redraw (``ecosystem-YEAR.png``, in 256 colours)."""
    folder.mkdir(parents=True, exist_ok=True)
    tab = browser.open(page.as_uri())
    try:
        for year in years:
            shown = tab.evaluate(f"kg.setYears({year}, {year})")
            tab.evaluate(f"{_STEP}({year}, {year})")
            path = _small(tab.screenshot(folder / f"ecosystem-{year}.png"))
            say(f"screenshot {path.name}: {shown['partners']} partners, {shown['partnerships']} partnerships, "
                f"{shown['countries']} countries ({path.stat().st_size:,} bytes)")  # fmt: skip
    finally:
        tab.close()


def _small(path: Path) -> Path:
    """The PNG at ``path`` in 256 colours (a quarter of the bytes; Pillow comes with matplotlib)."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    small.save(path, optimize=True)
    return path


def _report(draws: dict[str, list[float]], steps: dict[str, list[float]]) -> None:
    say()
    say("| measure | runs | median ms | min ms | max ms |")
    say("|---|---|---|---|---|")
    for name, values in (
        ("first full draw, page", draws["page"]),
        ("first full draw, baseline (no year control)", draws["baseline"]),
        ("year step, until kg.setYears returns", steps["compute"]),
        ("year step, to the end of the redraw", steps["step"]),
        ("baseline step (nothing changes), until kg.setYears returns", steps["baseline compute"]),
        ("baseline step (nothing changes), to the end of the redraw", steps["baseline"]),
    ):
        say(f"| {name} | {len(values)} | {statistics.median(values):.0f} | {min(values):.0f} | {max(values):.0f} |")
    draw, step = statistics.median(draws["page"]), statistics.median(steps["step"])
    say()
    say(f"draw: page / baseline = {draw / statistics.median(draws['baseline']):.2f}")
    say(f"step: step / baseline step = {step / statistics.median(steps['baseline']):.2f}")
    say(f"limits: draw {draw:.0f} ms <= {DRAW_LIMIT_MS} ms: {'yes' if draw <= DRAW_LIMIT_MS else 'NO'}; "
        f"step {step:.0f} ms <= {STEP_LIMIT_MS} ms: {'yes' if step <= STEP_LIMIT_MS else 'NO'}")  # fmt: skip


def _load() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
