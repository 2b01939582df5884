"""serverless-chat bench: the gateway's throughput against a minimal broadcast server
(serverless_chat.loadgen.bench runs it)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from serverless_chat.cli.arguments import add_command, existing_file, number, url

if TYPE_CHECKING:
    from serverless_chat.cli.arguments import Commands


def register(commands: Commands) -> None:
    command = add_command(
        commands, "bench", run, help="the gateway's throughput against a minimal broadcast server"
    )
    count = number(int, 1)  # a whole number of at least 1, or argparse's one-line error
    command.add_argument(
        "--clients", type=count, default=100, help="clients in the room (default: 100)"
    )
    command.add_argument(
        "--senders",
        type=count,
        default=5,
        help="of them, how many send (default: 5; at most --clients)",
    )
    command.add_argument(
        "--messages", type=count, default=200, help="messages each sender sends (default: 200)"
    )
    command.add_argument(
        "--json", type=Path, help="also write the figures here (default: printed only)"
    )
    command.add_argument(
        "--url",
        type=url(("ws", "wss")),
        help="measure this running gateway instead of starting one (default: start one)",
    )
    command.add_argument(
        "--pid",
        type=count,
        help="with --url: its process, for its CPU time (default: no CPU figures)",
    )
    command.add_argument(
        "--template",
        type=existing_file,
        help="serve this template instead of the chat's (bench/ceiling/template.yaml: no store;"
        " default: the chat's infra/template.yaml)",
    )
    command.add_argument(
        "--compress", action="store_true", help="both servers accept permessage-deflate"
    )
    command.add_argument(
        "--rounds",
        type=count,
        default=3,
        help="timed rounds per server, in turns; medians (default: 3)",
    )
    command.add_argument(
        "--baseline",
        choices=("plain", "coalescing"),
        default="plain",
        help="plain: one write a frame (the targets' baseline); coalescing: one write a client"
        " a turn of the loop, as the gateway writes (default: plain)",
    )


def run(args: argparse.Namespace) -> int:
    from serverless_chat.loadgen import bench as benchmark

    problem = ""
    if args.senders > args.clients:
        problem = f"--senders {args.senders}: more than the {args.clients} clients"
    elif args.pid is not None and args.url is None:
        problem = "--pid is for a gateway given by --url"
    if problem:
        print(f"serverless-chat bench: error: {problem}", file=sys.stderr)
        return 2
    return benchmark.run(args)
