"""The live display: rich rows on a terminal, one plain line per event otherwise."""

from __future__ import annotations

import io

import pytest

from isobench.progress import PlainReporter, RichReporter, make_reporter


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_the_rich_display_and_a_pipe_or_no_color_gets_plain_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert isinstance(make_reporter(FakeTTY()), RichReporter)
    assert isinstance(make_reporter(io.StringIO()), PlainReporter)
    monkeypatch.setenv("NO_COLOR", "1")
    assert isinstance(make_reporter(FakeTTY()), PlainReporter)


def test_the_rich_display_shows_per_provider_progress_cost_and_status_counts() -> None:
    out = FakeTTY()
    r = RichReporter(out)
    r.console.width = 160
    r.start({"claude": 2, "gpt": 1}, {"gpt": 1})
    r.attempt_started("a", "claude", "demo-1 #1")
    r.attempt_progress("a", 7, 0.25)
    r.attempt_started("b", "claude", "demo-2 #1")
    r.attempt_finished("a", "claude", "demo-1 #1", "success", 0.5, 3.0)
    r.attempt_finished("b", "claude", "demo-2 #1", "timeout", 0.25, 9.0)
    r.stop()
    text = out.getvalue()
    assert "claude" in text and "2/2" in text and "1/1" in text  # gpt was already done
    assert "failed 1" in text and "$0.75" in text
    assert "success" in text and "timeout" in text  # the status-count table


def test_plain_lines_name_provider_instance_status_and_cost() -> None:
    out = io.StringIO()
    r = PlainReporter(out)
    r.start({"claude": 1}, {})
    r.attempt_started("a", "claude", "demo-1 #1")
    r.attempt_finished("a", "claude", "demo-1 #1", "budget_exceeded", 10.5, 61.0)
    r.stop()
    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    assert lines[1].endswith("start  claude       demo-1 #1")
    assert lines[2].endswith("done   claude       demo-1 #1 budget_exceeded $10.5000 61.0s")
    assert lines[3].endswith("run: budget_exceeded 1")
