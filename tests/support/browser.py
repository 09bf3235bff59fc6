"""What the browser tests share (headless Debian chromium through Playwright, never a downloaded
browser): waiting until a Streamlit script run is over, and screenshots in build/screenshots/.
The fixtures built on it (``browser``, ``server``, ``page``) are in tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "build" / "screenshots"
RENDER_TIMEOUT_MS = 120_000


def settle(page, pause_ms: int = 500) -> None:
    """Wait until the script run is over (no 'Running...' status widget), then ``pause_ms`` for
    the front end to draw it; fail with the exception's text when the page shows one."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=RENDER_TIMEOUT_MS
    )
    page.wait_for_timeout(pause_ms)
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()


def shot(page, name: str, full_page: bool = True) -> Path:
    """Screenshot ``build/screenshots/<name>.png``; a blank page (a tiny PNG) fails."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 10_000
    return path
