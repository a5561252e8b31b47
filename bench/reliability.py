"""Reliability figures: kill at every request, fault storms, hostile inputs, secret leaks.

Runs the full set behind docs/reliability.md and prints one table:

* **crash sweep**: for each stand-in (Notion, Confluence) and scenario (first push, update
  push, pull with merges), the CLI runs in a subprocess and is SIGKILLed at request N
  (N = 1..--max-n; the stand-in processes request N, the client dies before the answer),
  then reruns to completion; the result must equal an uninterrupted run: same files, same
  pages, no duplicate page, no unconfirmed write, no torn or temporary file.
* **fault storms**: every storm in tests/reliability/storms.py on both stand-ins.
* **hostile inputs** and **secret leaks**: the pytest files in tests/reliability, run here.

Run: ``python bench/reliability.py`` (about 10-15 minutes on 2 cores);
``--max-n 5 --skip-pytest`` for a quick look. Exit status 1 if anything was lost, duplicated,
torn or leaked.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.reliability.harness import STANDIN_KINDS  # noqa: E402
from tests.reliability.scenarios import SCENARIOS, kill_case, prepare_all  # noqa: E402


def crash_sweep(
    kinds: list[str], max_n: int, whens: list[str], tmp: Path
) -> tuple[list[list[str]], int, int]:
    """Rows of the crash table, kills fired and failures."""
    rows = []
    total_kills = failures = 0
    for kind in kinds:
        started = time.monotonic()
        preps = prepare_all(kind, tmp / kind)
        for name in SCENARIOS:
            prep = preps[name]
            for when in whens:
                t0 = time.monotonic()
                kills = bad = 0
                for n in range(1, max_n + 1):
                    if n > prep.requests:
                        break  # the uninterrupted run makes fewer requests: nothing to kill
                    out = kill_case(prep, n, tmp / kind / name / f"{when}-{n}", when=when)
                    kills += out.killed
                    if out.problems or not out.killed:
                        bad += 1
                        print(f"FAIL {kind} {name} kill {when} request {n}: "
                              f"{out.problems or 'kill did not fire'}", flush=True)
                total_kills += kills
                failures += bad
                rows.append([
                    kind, name, when, str(prep.requests), str(kills), str(bad),
                    f"{time.monotonic() - t0:.0f}s",
                ])
                print("  ".join(rows[-1]), flush=True)
        print(f"{kind}: {time.monotonic() - started:.0f}s", flush=True)
    return rows, total_kills, failures


def sigint_check(kinds: list[str], tmp: Path) -> int:
    """Ctrl-C at a few requests of each scenario: message, exit 130, resumable. Failures."""
    failures = 0
    for kind in kinds:
        preps = prepare_all(kind, tmp / f"int-{kind}")
        for name, prep in preps.items():
            for n in (1, max(1, prep.requests // 2)):
                out = kill_case(prep, n, tmp / f"int-{kind}" / name / str(n), sig=signal.SIGINT)
                message_ok = out.interrupted.code == 130 and "interrupted" in out.interrupted.stderr
                if out.problems or not message_ok:
                    failures += 1
                    print(f"FAIL SIGINT {kind} {name} {n}: {out.problems} "
                          f"exit {out.interrupted.code}", flush=True)
    return failures


def table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([line.format(*header), line.format(*("-" * w for w in widths)),
                      *(line.format(*r) for r in rows)])


def run_pytest(paths: list[str]) -> tuple[int, int]:
    """Run pytest files (slow ones included); (passed, failed)."""
    import pytest

    class Count:
        passed = failed = 0

        def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
            if report.when == "call" and report.passed:
                self.passed += 1
            elif report.failed:
                self.failed += 1

    counter = Count()
    os.environ["PRODOPS_RUN_SLOW"] = "1"  # include the slow tests (tests/reliability/conftest.py)
    pytest.main(["-q", "-p", "no:cacheprovider", *paths], plugins=[counter])
    return counter.passed, counter.failed


def main() -> int:
    """Run the sets asked for and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-n", type=int, default=30, help="kill points per scenario")
    parser.add_argument("--kinds", default=",".join(STANDIN_KINDS))
    parser.add_argument("--when", default="after",
                        help="after (request processed, answer lost) and/or before (comma list)")
    parser.add_argument("--skip-crash", action="store_true")
    parser.add_argument("--skip-storms", action="store_true")
    parser.add_argument("--skip-pytest", action="store_true")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    started = time.monotonic()
    failures = 0
    summary: list[list[str]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if not args.skip_crash:
            rows, kills, bad = crash_sweep(kinds, args.max_n, args.when.split(","), tmp)
            bad_int = sigint_check(kinds, tmp)
            failures += bad + bad_int
            print()
            print(table(["stand-in", "scenario", "kill", "requests", "kills", "failed", "time"],
                        rows))
            summary.append(["SIGKILL points survived", f"{kills - bad} of {kills}"])
            summary.append(["Ctrl-C points (message + resume)", "ok" if not bad_int else
                            f"{bad_int} failed"])
        if not args.skip_storms:
            from tests.reliability.storms import STORMS, run_storm

            rows = []
            injected = retries = bad = 0
            for kind in kinds:
                for storm in STORMS:
                    result = run_storm(kind, storm, tmp / "storms" / kind / storm.name)
                    injected += result.injected
                    retries += result.retries
                    bad += bool(result.problems)
                    rows.append([kind, storm.name, str(result.injected), str(result.retries),
                                 result.outcome, "ok" if not result.problems else "FAIL"])
                    print("  ".join(rows[-1]), result.problems or "", flush=True)
            failures += bad
            print()
            print(table(["stand-in", "storm", "faults", "retries", "outcome", "result"], rows))
            summary.append(["fault storms passed", f"{len(rows) - bad} of {len(rows)}"])
            summary.append(["faults injected / retries made", f"{injected} / {retries}"])
        if not args.skip_pytest:
            passed, failed = run_pytest([
                str(REPO / "tests/reliability/test_hostile_input.py"),
                str(REPO / "tests/reliability/test_secrets.py"),
                str(REPO / "tests/reliability/test_concurrency.py"),
            ])
            failures += failed
            summary.append(
                ["hostile/secret/concurrency tests", f"{passed} passed, {failed} failed"]
            )
    summary.append(["edits lost / duplicates / torn files", "0" if not failures else
                    f"{failures} failing cases (see FAIL lines)"])
    summary.append(["duration", f"{time.monotonic() - started:.0f}s"])
    print()
    print(table(["figure", "value"], summary))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
