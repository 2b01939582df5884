"""serverless-chat bench: the gateway's throughput against a minimal broadcast server.

Its options are the benchmark's own (``serverless-chat bench --help`` lists them), passed
through as they are: one list of them, in serverless_chat.loadgen.bench."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from serverless_chat.cli.arguments import Parser, add_command

if TYPE_CHECKING:
    from serverless_chat.cli.arguments import Commands


def register(commands: Commands) -> None:
    add_command(
        commands,
        "bench",
        run,
        passthrough=True,
        help="the gateway's throughput against a minimal broadcast server",
        add_help=False,
    )


def run(args: argparse.Namespace) -> int:
    from serverless_chat.loadgen import bench as benchmark

    return benchmark.main(args.rest, Parser)
