"""serverless-chat web-export: the web chat page written out for static hosting."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from serverless_chat.cli.arguments import add_command, sentence, url

if TYPE_CHECKING:
    from serverless_chat.cli.arguments import Commands


def register(commands: Commands) -> None:
    export = add_command(
        commands, "web-export", run, help="write the web chat page out for static hosting"
    )
    export.add_argument("directory", type=Path, help="the folder to write (made if missing)")
    export.add_argument(
        "--ws",
        metavar="URL",
        type=url(("ws", "wss")),
        help="the WebSocket URL the page connects to (default: none; the page asks)",
    )


def run(args: argparse.Namespace) -> int:
    from serverless_chat.web_assets import export_site

    try:
        written = export_site(args.directory, args.ws)
    except OSError as error:
        print(
            f"error: cannot write the page to {args.directory}: {sentence(error)}", file=sys.stderr
        )
        return 1
    for path in written:
        print(path)
    return 0
