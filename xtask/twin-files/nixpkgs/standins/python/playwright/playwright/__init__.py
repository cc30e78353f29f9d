"""Stand-in for the playwright package (the twin has no browsers to drive): importable,
versioned, and it finds its browsers the way playwright does, through
PLAYWRIGHT_BROWSERS_PATH (nixpkgs' playwright-driver.browsers on cc-ci)."""

import os
from pathlib import Path

__version__ = "1.49.1"


def browsers():
    """The browser builds under PLAYWRIGHT_BROWSERS_PATH (e.g. ["chromium-1148"])."""
    root = os.environ.get("PLAYWRIGHT_BROWSERS_PATH", "")
    if not root or not Path(root).is_dir():
        return []
    return sorted(p.name for p in Path(root).iterdir() if p.is_dir())
