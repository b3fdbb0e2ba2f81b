"""The till on common screens (1024×768, 1280×800): the sale, payment, receipt and closing
screens fit, with the two device pills a till without its proxy shows ("Pair devices",
"1 receipt owed"), and the menu stays reachable. Also the keyboard: a PIN typed on it,
Escape closing a dialog, and a sale without a proxy making no noise."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import Till

pytestmark = pytest.mark.browser

SIZES = ((1024, 768), (1280, 800))
SHOTS = os.environ.get("KASSA_SCREENSHOTS")  # a folder: save what the test looked at

# Every visible element's box inside the viewport; inside a scrolling or clipping box,
# that box's own edges count (a long product list scrolls, it does not overflow).
OVERFLOW = """() => {
  const root = document.documentElement;
  const width = root.clientWidth, height = root.clientHeight;
  const out = [];
  if (root.scrollWidth > width) out.push(`page ${root.scrollWidth}px wide`);
  if (root.scrollHeight > height) out.push(`page ${root.scrollHeight}px high`);
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.overflowX !== "visible" || s.overflowY !== "visible") return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(el).visibility === "hidden") continue;
    if (clipped(el)) continue;
    if (r.right > width + 1 || r.bottom > height + 1 || r.left < -1 || r.top < -1) {
      const box = [r.left, r.top, r.right, r.bottom].map(Math.round).join(",");
      out.push(`${el.tagName.toLowerCase()}.${el.className} ${box}`);
    }
  }
  return out;
}"""


def fits(page: Page, screen: str) -> None:
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(50)
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/{screen}-{width}x{height}.png")
        problems = page.evaluate(OVERFLOW)
        assert problems == [], f"{screen} at {width}×{height}: {problems[:5]}"
        menu = page.locator("[data-test=menu]")
        if menu.count():
            box = menu.bounding_box()
            assert box is not None
            assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height


def test_the_screens_fit_and_the_keyboard_works(till: Till) -> None:
    page = till.page
    till.open()
    till.pair()
    # a PIN typed on the keyboard, Enter to log in, at a person's pace (typed at once, this
    # failed once in a full run on a quiet machine, cause not found: the digits the scan
    # detector hands back in Enter's tick are rendered before the pad's own Enter runs,
    # as a browser runs microtasks between two listeners of one event)
    page.click("[data-test=cashier-tile][data-name='Alice']")
    page.keyboard.type("1234", delay=80)
    page.keyboard.press("Enter")
    till.open_session("100")
    till.wait_offline_ready()

    # the demo till's proxy (127.0.0.1:8765) is not running here: it has no devices, so a
    # cash sale makes no noise, and the status bar says it once
    till.add("Baguette")
    till.checkout("Cash")
    page.wait_for_selector("[data-test=owed][data-owed='1']")
    page.wait_for_selector("[data-test=devices][data-paired=false]")
    page.wait_for_timeout(300)
    assert page.locator("[data-test=toast]").count() == 0
    fits(page, "receipt")
    till.new_order()

    till.add("Baguette")
    till.add("Croissant")
    fits(page, "sale")
    page.click("[data-test=pay]")
    page.wait_for_selector("[data-test=validate]")
    fits(page, "payment")
    page.keyboard.press("Escape")
    till.wait_for_sale()

    # Escape closes a dialog
    page.click("[data-test=devices]")
    page.wait_for_selector("[data-test=devices-dialog]")
    page.keyboard.press("Escape")
    page.wait_for_selector("[data-test=devices-dialog]", state="detached")

    page.click("[data-test=menu]")
    page.click("text=Close cash session")
    page.wait_for_selector(".close-screen")
    fits(page, "close")
