"""serverless-chat connect: the terminal client on a ws:// or wss:// URL."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from serverless_chat.chat.model import FORMATS
from serverless_chat.cli.arguments import STATE_DIR, add_command, certificate_file, number, url

if TYPE_CHECKING:
    from serverless_chat.cli.arguments import Commands


def register(commands: Commands) -> None:
    connect = add_command(commands, "connect", run, help="chat on a ws:// or wss:// URL")
    connect.add_argument(
        "url",
        type=url(("ws", "wss")),
        help="the chat's URL, with ?room=…&name=… (and &token=… when signing in is on)",
    )
    connect.add_argument("--raw", action="store_true", help="send lines untouched, no commands")
    connect.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="how frames are printed: the chat's readable lines, its bare texts or its json"
        " envelopes (a format named in the URL wins; default: text)",
    )
    connect.add_argument(
        "--wait",
        type=number(float, 0),
        default=None,
        metavar="SECONDS",
        help="seconds to keep printing once every line is answered, after stdin ends"
        " (default: 1 for a pipe, 0 for a terminal)",
    )
    connect.add_argument(
        "--reconnect",
        action="store_true",
        help="when the connection drops, connect again (backoff up to 30 s), in the same room"
        " under the same name",
    )
    connect.add_argument(
        "--cafile",
        type=certificate_file,
        metavar="FILE",
        help="on wss://, trust the certificates in this PEM file too (default: the system's,"
        " and for an address or localhost the certificate of serve's state dir)",
    )
    connect.add_argument(
        "--state-dir",
        type=Path,
        default=STATE_DIR,
        help="serve's state dir, whose certificate a wss:// URL to an address or localhost"
        " trusts (default: %(default)s, as serve's)",
    )


def run(args: argparse.Namespace) -> int:
    from local_gateway import certificate_path
    from serverless_chat.client.terminal import run as chat

    return chat(
        args.url,
        raw=args.raw,
        wait=args.wait,
        fmt=args.format,
        reconnect=args.reconnect,
        cafile=args.cafile,
        gateway_certificate=certificate_path(args.state_dir),
    )
