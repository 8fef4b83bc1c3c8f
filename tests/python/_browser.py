"""Debian's Chromium driven by Playwright: the one way the browser tests start a browser."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from _repo import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / "build" / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
]


@contextmanager
def chromium_context(profile: Path, **options: Any) -> Iterator[Any]:
    """A headless Chromium context with a fresh profile (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
            "(`apt-get install chromium fonts-noto-cjk`; .ci/run installs them)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
            timeout=60_000,
            **options,
        )
        try:
            yield context
        finally:
            context.close()


# A Streamlit page is drawn: the script run has finished and no element is still a
# placeholder, every visible dataframe has its canvas and every chart its SVG.
SETTLED_JS = r"""
() => {
  const open = (el) => { const fold = el.closest('details'); return !fold || fold.open; };
  return !document.querySelector('[data-testid="stStatusWidget"]')
    && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0
    && document.querySelectorAll('[data-stale="true"]').length === 0
    && [...document.querySelectorAll('[data-testid="stDataFrame"]')]
         .every(g => !open(g) || g.querySelector('canvas'))
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
         .every(p => !open(p) || p.querySelector('.main-svg'));
}
"""

# Text the page shows cut off. For every st.dataframe (glide-data-grid draws on a canvas,
# clipping what does not fit without a marker), the rendered column widths are read from
# the grid's React props and compared with the header titles (and the visible text cells)
# measured in the grid's own font; elsewhere (metric labels, st.table) an element whose
# content overflows it with `text-overflow: ellipsis` or hidden overflow is cut, and a
# header may not carry a "…" itself.
TRUNCATED_JS = r"""
() => {
  const found = [];
  const ctx = document.createElement('canvas').getContext('2d');
  const numeric = /^[-+]?[\d.,]+(e[-+]?\d+)?$/i;
  for (const grid of document.querySelectorAll('[data-testid="stDataFrame"]')) {
    const fold = grid.closest('details');
    if (fold && !fold.open) continue;  // in a closed expander: not drawn
    const fiberKey = Object.keys(grid).find(k => k.startsWith('__reactFiber$'));
    let props = null;
    const walk = (f) => {
      while (f && !props) {
        const p = f.memoizedProps;
        if (p && Array.isArray(p.columns) && p.theme && p.theme.headerFontFull
            && p.columns.every(c => typeof c.width === 'number')) { props = p; return; }
        walk(f.child);
        f = f.sibling;
      }
    };
    if (fiberKey) walk(grid[fiberKey].child);
    if (!props) {
      found.push({kind: 'grid not measurable', text: grid.innerText.slice(0, 80)});
      continue;
    }
    const pad = props.theme.cellHorizontalPadding;
    props.columns.forEach((c, i) => {
      ctx.font = props.theme.headerFontFull;
      const need = ctx.measureText(c.title).width + 2 * pad;
      if (need > c.width + 0.5)
        found.push({kind: 'header clipped', text: c.title, need, width: c.width});
      if (c.title.includes('…') || c.title.includes('...'))
        found.push({kind: 'header marker', text: c.title});
      ctx.font = props.theme.baseFontFull;
      for (const td of grid.querySelectorAll(`[role="gridcell"][aria-colindex="${i + 1}"]`)) {
        const text = td.innerText.trim();
        // numbers and links are shown formatted, not as the accessible text: skip them
        if (!text || numeric.test(text) || text.includes('?')) continue;
        const w = ctx.measureText(text).width + 2 * pad;
        if (w > c.width + 0.5)
          found.push({kind: 'cell clipped', column: c.title, text, need: w, width: c.width});
      }
    });
  }
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  const selector = '[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *, '
    + '[data-testid="stTable"] th, [data-testid="stTable"] td, [data-testid="stTable"] th *, '
    + '[data-testid="stTable"] td *';
  for (const el of main.querySelectorAll(selector)) {
    const style = getComputedStyle(el);
    const hides = style.textOverflow === 'ellipsis' || style.overflowX === 'hidden';
    if (el.getClientRects().length && hides && el.scrollWidth > el.clientWidth + 1)
      found.push({kind: 'text cut', text: el.innerText.slice(0, 80)});
  }
  for (const th of main.querySelectorAll('[data-testid="stTable"] th, [role="columnheader"]'))
    if (th.innerText.includes('…')) found.push({kind: 'header marker', text: th.innerText});
  return found;
}
"""

# Plotly legend entries cut off: reaching outside their figure, or outside the legend's
# own box (plotly clips the entries to it).
LEGENDS_CUT_JS = r"""
(root) => {
  const cut = [];
  const scope = root || document;
  const inside = (r, box) => r.left >= box.left - 1 && r.right <= box.right + 1
    && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
  for (const plot of scope.querySelectorAll('.js-plotly-plot')) {
    const svg = plot.querySelector('.main-svg');
    const bg = plot.querySelector('.legend .bg');
    if (!svg || !bg) continue;
    const figure = svg.getBoundingClientRect();
    const legend = bg.getBoundingClientRect();
    for (const entry of plot.querySelectorAll('.legend .traces')) {
      const text = entry.querySelector('.legendtext') || entry;
      const r = text.getBoundingClientRect();
      if (r.width === 0) continue;
      if (!inside(r, figure) || !inside(r, legend)) cut.push(entry.textContent);
    }
  }
  return cut;
}
"""


def full_screenshot(tab: Any, path: Path, max_height: int = 7000) -> None:
    """A screenshot of the whole page, however long: Streamlit scrolls its main area
    inside the window, so the window is made as tall as the content for the shot."""
    size = tab.viewport_size
    height = tab.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]');
        return Math.max(document.documentElement.scrollHeight,
                        main ? main.scrollHeight : 0); }""")
    tab.set_viewport_size({"width": size["width"], "height": min(int(height), max_height)})
    try:
        tab.wait_for_timeout(400)
        tab.screenshot(path=str(path))
    finally:
        tab.set_viewport_size(size)
