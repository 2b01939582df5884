"""The command line: `bench` takes the benchmark's own options; others refuse unknown ones."""

from __future__ import annotations

import pytest

from serverless_chat import cli
from serverless_chat.loadgen import bench


def test_bench_passes_its_options_to_the_benchmark(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(bench, "main", lambda argv: seen.append(list(argv)) or 0)
    assert cli.main(["bench", "--clients", "10", "--compress", "--rounds", "1"]) == 0
    assert seen == [["--clients", "10", "--compress", "--rounds", "1"]]


def test_another_command_refuses_an_unknown_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["template", "--bogus"])
    assert stopped.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_the_serve_log_escapes_control_characters() -> None:
    """Clients' and functions' words reach the gateway's text log; a newline in them cannot
    forge a line, a terminal escape cannot clear the screen (issue: log injection)."""
    import io
    import logging

    from serverless_chat.cli import _PrintableFormatter

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(_PrintableFormatter("%(name)s %(message)s"))
    logger = logging.getLogger("test.printable")
    logger.addHandler(handler)
    logger.propagate = False
    logger.warning("kid %s", "a\n2026-12-01 serverless_chat.gateway forged \x1b[2J")
    assert (
        out.getvalue()
        == "test.printable kid a\\n2026-12-01 serverless_chat.gateway forged \\x1b[2J\n"
    )
