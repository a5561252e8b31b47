"""The declarative identity and drift scenarios (tests/scenarios/*.yaml), on both wikis."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scenario_runner import load_scenario, run_scenario, scenario_files

CASES = [
    pytest.param(path, kind, id=f"{path.stem}-{kind}")
    for path in scenario_files()
    for kind in load_scenario(path).get("wikis", ["notion", "confluence"])
]


@pytest.mark.parametrize(("path", "kind"), CASES)
def test_scenario(path: Path, kind: str, tmp_path: Path) -> None:
    run_scenario(path, kind, tmp_path)
