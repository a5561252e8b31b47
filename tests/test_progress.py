"""Progress lines: an estimate of the time left from the step's pace, throttled in logs."""

from __future__ import annotations

import io

import pytest

from prodops_sync.cli.progress import LOG_EVERY, Progress, format_duration


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 s"), (40.4, "40 s"), (200, "3 min 20 s"), (59.6, "1 min 00 s"),
    (1800, "30 min"), (3900, "1 h 05 min"), (-3, "0 s"),
])
def test_durations_read_as_people_say_them(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_estimate_is_the_pace_so_far_times_what_is_left() -> None:
    clock, out = Clock(), io.StringIO()
    progress = Progress(out, clock=clock)
    for done in range(1, 11):
        progress(done, 10, f"writing page {done}")
        clock.now += 2.0  # every page takes 2 s
    lines = out.getvalue().splitlines()
    assert lines[0] == "[1/10] writing page 1"  # nothing finished yet: no estimate
    assert "left" not in lines[2]  # 2 finished: still too early
    # Item 4 starts after 3 finished in 6 s: 7 left at 2 s each.
    assert lines[3] == "[4/10] writing page 4 (about 14 s left)"
    assert lines[9] == "[10/10] writing page 10 (about 2 s left)"


def test_a_new_step_measures_its_own_pace() -> None:
    clock, out = Clock(), io.StringIO()
    progress = Progress(out, clock=clock)
    for done in range(1, 6):
        progress(done, 5, "reading")
        clock.now += 10.0
    for done in range(1, 6):
        progress(done, 5, "writing")
        clock.now += 1.0
    last = out.getvalue().splitlines()[-1]
    assert last == "[5/5] writing (about 1 s left)"  # its own pace: 1 s, not 10 s
    assert "(about 10 s left)" in out.getvalue().splitlines()[4]  # 4 done in 40 s, 1 left


def test_a_long_step_in_a_log_prints_a_line_every_few_seconds() -> None:
    clock, out = Clock(), io.StringIO()
    progress = Progress(out, clock=clock)
    total = 1000
    for done in range(1, total + 1):
        progress(done, total, f"writing {done}")
        clock.now += 0.1  # 100 s in all
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("[1/1000] ")
    assert lines[-1].startswith("[1000/1000] ")
    # One line per LOG_EVERY seconds, plus the last: not one per document.
    assert len(lines) <= 100 / LOG_EVERY + 2
    assert len(lines) >= 100 / LOG_EVERY - 1


def test_quiet_prints_nothing() -> None:
    out = io.StringIO()
    Progress(out, quiet=True)(1, 1, "x")
    assert out.getvalue() == ""


def test_a_hostile_title_stays_on_one_line() -> None:
    out = io.StringIO()
    Progress(out)(1, 1, "writing evil\r\n\x1b[2Jtitle")
    assert out.getvalue().count("\n") == 1
    assert "\x1b" not in out.getvalue()
