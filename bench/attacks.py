"""Run the attack suite of issue #13 and print its figures: cases, held, by class.

    python bench/attacks.py            # both wikis, about 3 minutes on 2 cores

A case is one parametrised test (one hostile input on one wiki); it *holds* when it passes:
no file outside the playbook, no secret in any output or file, no raw control character or
workflow command from remote text, no traceback, nothing lost, a clear message. The figures
table in docs/reliability.md is this script's output.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.reliability.test_attacks import CLASS_OF, CLASSES  # noqa: E402


def main() -> int:
    """Run the suite, print one row per class and a total; exit 1 if a case failed."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "attacks.xml"
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider",
             f"--junitxml={report}", "tests/reliability/test_attacks.py"],
            cwd=REPO, check=False,
        )
        cases: Counter[tuple[int, str]] = Counter()
        held: Counter[tuple[int, str]] = Counter()
        for case in ET.parse(report).getroot().iter("testcase"):
            name = case.get("name", "")
            function = name.split("[", 1)[0]
            number = CLASS_OF.get(function)
            if number is None:
                continue
            wiki = "confluence" if re.search(r"\[confluence", name) else "notion"
            cases[number, wiki] += 1
            failed = case.find("failure") is not None or case.find("error") is not None
            held[number, wiki] += 0 if failed else 1
    print("| Class | Notion cases (held) | Confluence cases (held) |")
    print("| --- | --- | --- |")
    for number, title in CLASSES.items():
        n, c = (number, "notion"), (number, "confluence")
        print(f"| {number}. {title} | {cases[n]} ({held[n]}) | {cases[c]} ({held[c]}) |")
    total, total_held = sum(cases.values()), sum(held.values())
    print(f"| all | {total} cases | {total_held} held |")
    return 0 if total == total_held else 1


if __name__ == "__main__":
    raise SystemExit(main())
