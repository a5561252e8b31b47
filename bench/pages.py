"""Request cost of free pages (the page tree under "Pages") against both local stand-ins.

Generates ``--pages`` free pages in folders of ten (each folder has an ``index.md``) next to
the example playbook, then prints the requests (reads and writes) of the first push, a no-op
push and pull (the stand-in clock moved 5 minutes on, as between two CI runs), one page
edited in the wiki and pulled, and one page moved in the wiki and pulled (the file moves).

Run: ``python bench/pages.py [--pages 100] [--target notion|confluence|both]``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.sync_requests import engine, measure, run_table  # noqa: E402
from tests.sync_harness import TOKEN_ENV, USER_ENV, make_workspace  # noqa: E402


def generate(playbook: Path, total: int) -> None:
    """``total`` free pages in folders of ten, each folder with its own index page."""
    for n in range(total):
        folder = playbook / "pages" / f"area-{n // 10:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        if n % 10 == 0:
            (folder / "index.md").write_text(f"# Area {n // 10}\n\nHow area {n // 10} works.\n",
                                             encoding="utf-8")
            continue
        (folder / f"page-{n:03d}.md").write_text(
            f"# Page {n}\n\n" + "\n\n".join(
                f"Paragraph {i} of page {n}, with a [link](../../rituals/"
                "weekly-product-update.md) to a ritual." for i in range(5)) + "\n",
            encoding="utf-8")


def bench(kind: str, total: int) -> list[tuple[str, int, int, float]]:
    from prodops_sync.standins import ConfluenceStandin, NotionStandin

    tmp = Path(tempfile.mkdtemp(prefix="prodops-bench-pages-"))
    os.environ.setdefault(TOKEN_ENV, "bench-token")
    os.environ.setdefault(USER_ENV, "bench@example.com")
    standin: Any = NotionStandin() if kind == "notion" else ConfluenceStandin()
    rows = []
    with standin:
        if kind == "notion":
            spec = {"type": "notion", "root_page": standin.root_page_id, "base_url": standin.url}
        else:
            spec = {"type": "confluence", "url": standin.url, "space": "PLAY",
                    "user_env": USER_ENV}
        spec.update({"token_env": TOKEN_ENV, "requests_per_second": 10_000})
        ws = make_workspace(tmp, spec, kind)
        generate(ws.playbook, total)
        run = lambda mode: lambda: getattr(engine(ws.root, kind, standin), mode)()  # noqa: E731
        rows.append(measure(f"first push (23 docs + {total} pages)", standin, run("push")))
        standin.clock.advance(300)
        rows.append(measure("no-op push", standin, run("push")))
        rows.append(measure("no-op pull", standin, run("pull")))
        page = ws.remote_id("pages/area-00/page-001")
        if kind == "notion":
            block = standin._visible_children(page)[1]
            standin.wiki_user.edit_text(block, "Paragraph 0, edited in the wiki.")
        else:
            standin.wiki_user.replace_text(page, "Paragraph 0 of", "Paragraph zero of")
        standin.clock.advance(300)
        rows.append(measure("one page edited in the wiki, pull", standin, run("pull")))
        assert "zero" in ws.read("pages/area-00/page-001.md") or \
            "edited in the wiki" in ws.read("pages/area-00/page-001.md")
        standin.wiki_user.move_page(ws.remote_id("pages/area-00/page-002"),
                                    ws.remote_id("pages/area-01/index"))
        standin.clock.advance(300)
        rows.append(measure("one page moved in the wiki, pull", standin, run("pull")))
        assert (ws.playbook / "pages/area-01/page-002.md").is_file()
    shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main() -> None:
    run_table(__doc__.split("\n\n")[0], "pages", 100, bench)


if __name__ == "__main__":
    main()
