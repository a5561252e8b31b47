"""Screenshots of the stand-ins' HTML view for docs/formats/: the example playbook pushed to
each stand-in, then a ritual and the operating model rendered by headless Chromium.

    python scripts/screenshot_views.py        # needs Debian's chromium

Writes docs/formats/view-<wiki>-<page>.png.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PAGES = {"ritual": "rituals/monthly-insights-review", "operating-model": "operating-model"}


def main() -> int:
    """Push the example playbook to each stand-in and save the screenshots."""
    from prodops_sync.standins.browser import chromium, render
    from tests.reliability.harness import open_world
    from tests.reliability.test_concurrency import _engine

    if chromium() is None:
        print("error: chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    for wiki in ("notion", "confluence"):
        with tempfile.TemporaryDirectory() as tmp:
            world = open_world(wiki, Path(tmp))
            try:
                _engine(world).push()
                docs = world.state()["docs"]
                for name, key in PAGES.items():
                    out = REPO / "docs" / "formats" / f"view-{wiki}-{name}.png"
                    url = f"{world.standin.url}/view/{docs[key]['remote_id']}"
                    render(url, screenshot=out, height=1400)
                    print(f"{out.relative_to(REPO)}: {url}")
            finally:
                world.standin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
