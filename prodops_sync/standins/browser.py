"""Headless Chromium for looking at the stand-ins' HTML view (tests and documentation
screenshots). Debian's ``chromium`` package provides it; callers skip where it is missing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def chromium() -> str | None:
    """The Chromium executable on PATH, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def render(url: str, *, screenshot: Path | None = None, height: int = 1500) -> str:
    """The DOM headless Chromium builds for ``url``; also writes a PNG when ``screenshot``
    is given. Raises RuntimeError when Chromium is missing or fails."""
    browser = chromium()
    if browser is None:
        raise RuntimeError("headless Chromium is not installed (Debian: apt-get install chromium)")
    base = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--window-size=1200,{height}"]
    try:
        if screenshot is not None:
            subprocess.run([*base, f"--screenshot={screenshot}", url], check=True,
                           capture_output=True, timeout=120)
        done = subprocess.run([*base, "--dump-dom", url], check=True, capture_output=True,
                              text=True, timeout=120)
    except (subprocess.SubprocessError, OSError) as exc:
        raise RuntimeError(f"chromium could not render {url}: {exc}") from exc
    return done.stdout
