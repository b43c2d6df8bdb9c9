"""See a task as an annotator does: headless Chromium on the Label Studio UI.

Used by the tests (offsets must highlight exactly the right text in the real
UI) and by `scripts/screenshot.py` for the docs. Playwright drives Debian's
Chromium (`/usr/bin/chromium`, or ``$CHROMIUM``); no browser is downloaded.
Playwright comes with the ``browser`` extra (``pip install 'annotate[browser]'``)
and is imported only when a page is opened, so this module imports without it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from annotate.studio.server import StudioConfig

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
#: Flags that keep Chromium from calling out on a machine with no internet.
QUIET_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def logged_in_page(config: StudioConfig, width: int = 1400, height: int = 900) -> Iterator[Any]:
    """A Playwright page logged into Label Studio as the local admin."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise ImportError(
            "the browser helper needs Playwright: pip install 'annotate[browser]'"
        ) from exc

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=QUIET_FLAGS
        )
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"{config.url}/user/login/")
            page.fill('input[name="email"]', config.username)
            page.fill('input[name="password"]', config.password)
            page.click('button[type="submit"], input[type="submit"]')
            page.wait_for_load_state("networkidle")
            yield page
        finally:
            browser.close()


def open_task(page: Any, config: StudioConfig, project_id: int, task_id: int,
              ready: str = "span.htx-highlight") -> None:  # fmt: skip
    """Open a task in the labeling UI and wait until `ready` shows (by default, its regions
    drawn; a task with none, such as a pair's "same", waits for its choices)."""
    page.goto(f"{config.url}/projects/{project_id}/data?task={task_id}")
    page.wait_for_selector(ready, timeout=60_000)
    page.wait_for_timeout(500)


def highlighted_texts(page: Any) -> list[str]:
    """The text under each highlighted region, as the annotator sees it."""
    spans = page.locator("span.htx-highlight")
    return [spans.nth(i).inner_text() for i in range(spans.count())]


def screenshot(page: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    return path
