"""Request cost of sync on a generated 200-document playbook, against both local stand-ins.

For each target (Notion, Confluence) it prints the requests (reads and writes) and the
simulated wall time at 3 requests/s (Notion's documented average limit; we apply the same
budget to Confluence for comparison) of:

* the first push into an empty workspace,
* a no-op push and a no-op pull right after (the stand-in clock moved 5 minutes on, as
  between two CI runs),
* a one-paragraph edit in a 200-block page, pushed,
* one page edited in the wiki, pulled.

Run: ``python bench/sync_requests.py [--docs 200] [--target notion|confluence|both]``.
Requests are the cost that matters for a sync tool; this script prints them rather than
asserting timings (tests assert the request counts that matter: see
tests/test_scenarios_notion.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from prodops_sync.remotes.factory import open_remote  # noqa: E402
from prodops_sync.sync.config import credentials, load_config  # noqa: E402
from prodops_sync.sync.engine import Engine, Report  # noqa: E402
from prodops_sync.sync.state import StateStore  # noqa: E402
from tests.sync_harness import TOKEN_ENV, USER_ENV, make_workspace  # noqa: E402

RATE = 3.0  # requests per second
LONG_PAGE = "decisions/1000-long-decision.md"


def generate(playbook: Path, total: int) -> None:
    """Pad the example playbook with generated decisions up to ``total`` documents, one of
    them a 200-paragraph page."""
    existing = len([p for p in playbook.rglob("*") if p.suffix in (".md", ".yaml")])
    for n in range(total - existing):
        number = 1000 + n
        paragraphs = 200 if n == 0 else 6
        body = "\n\n".join(
            f"Paragraph {i} of generated decision {number}: the context, the options and "
            f"the outcome, written the way people write decision records."
            for i in range(paragraphs)
        )
        name = "long-decision" if n == 0 else f"generated-{number}"
        (playbook / "decisions" / f"{number}-{name}.md").write_text(
            f"---\ntitle: Generated decision {number}\nstatus: accepted\ndate: 2026-10-01\n"
            f"owner: Product Ops lead\ndeciders:\n  - Head of Product\n"
            f"review_date: 2027-04-01\n---\n\n# Generated decision {number}\n\n{body}\n",
            encoding="utf-8",
        )


def engine(root: Path, name: str, standin: Any) -> Engine:
    config = load_config(root / "prodops-sync.yaml")
    target = config.target(name)
    if target.type == "notion":
        from prodops_sync.remotes.notion import NotionRemote

        remote: Any = NotionRemote.from_target(
            target, credentials(target), clock=standin.clock.time
        )
    else:
        remote = open_remote(target, credentials(target))
    return Engine(config.playbook_dir, remote, StateStore(config.state_dir, name))


def measure(label: str, standin: Any, run: Any) -> tuple[str, int, int, float]:
    standin.request_log.clear()
    report: Report = run()
    reads, writes = standin.request_log.reads(), standin.request_log.writes()
    assert not report.conflicts, f"{label}: unexpected conflicts {report.conflicts}"
    return label, reads, writes, (reads + writes) / RATE


def wiki_edit(kind: str, standin: Any, remote_id: str) -> None:
    if kind == "notion":
        from prodops_sync.formats.notion.richtext import plain_text

        for child in standin._visible_children(remote_id):
            block = standin.state["blocks"].get(child)
            text = plain_text(block["data"].get("rich_text", [])) if block else ""
            if text.startswith("Paragraph 3 of"):
                standin.wiki_user.edit_text(child, text + " Edited in the wiki.")
                return
        raise RuntimeError("paragraph not found")
    standin.wiki_user.replace_text(remote_id, "Paragraph 3 of", "Paragraph three of")


def bench(kind: str, total: int) -> list[tuple[str, int, int, float]]:
    from prodops_sync.standins import ConfluenceStandin, NotionStandin

    tmp = Path(tempfile.mkdtemp(prefix="prodops-bench-"))
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
        rows.append(measure(f"first push ({total} docs)", standin,
                            lambda: engine(ws.root, kind, standin).push(max_delete=0)))
        standin.clock.advance(300)
        rows.append(measure("no-op push", standin, lambda: engine(ws.root, kind, standin).push()))
        rows.append(measure("no-op pull", standin, lambda: engine(ws.root, kind, standin).pull()))
        ws.edit(LONG_PAGE, "Paragraph 100 of", "Paragraph one hundred of")
        rows.append(measure("one-paragraph edit, 200-block page, push", standin,
                            lambda: engine(ws.root, kind, standin).push()))
        standin.clock.advance(300)
        key = LONG_PAGE.removesuffix(".md")
        wiki_edit(kind, standin, ws.remote_id(key))
        rows.append(measure("one wiki edit, pull", standin,
                            lambda: engine(ws.root, kind, standin).pull()))
    shutil.rmtree(tmp, ignore_errors=True)
    return rows


def run_table(
    description: str, size_option: str, default: int,
    bench_one: Callable[[str, int], list[tuple[str, int, int, float]]],
) -> None:
    """Parse ``--<size_option> N --target ...`` and print ``bench_one``'s rows per target."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(f"--{size_option}", type=int, default=default)
    parser.add_argument("--target", choices=["notion", "confluence", "both"], default="both")
    args = parser.parse_args()
    kinds = ["notion", "confluence"] if args.target == "both" else [args.target]
    print(f"{'target':<11} {'scenario':<42} {'reads':>6} {'writes':>6} {'at 3 req/s':>11}")
    for kind in kinds:
        for label, reads, writes, seconds in bench_one(kind, getattr(args, size_option)):
            print(f"{kind:<11} {label:<42} {reads:>6} {writes:>6} {seconds:>10.1f}s")


def main() -> None:
    run_table(__doc__.split("\n\n")[0], "docs", 200, bench)


if __name__ == "__main__":
    main()
