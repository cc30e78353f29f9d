"""Browser tier: playwright finds its browsers (PLAYWRIGHT_BROWSERS_PATH, set by cc-ci-run)."""

import playwright


def test_browsers_installed():
    assert any(b.startswith("chromium-") for b in playwright.browsers()), (
        "no chromium build under PLAYWRIGHT_BROWSERS_PATH"
    )
