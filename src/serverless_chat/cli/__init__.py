"""serverless-chat: run the local gateway, chat from a terminal, deploy to AWS.

One module per command, each with the options it takes (``register``) and what it does with
them (``run``); this one puts them under one parser and ends every command in a sentence."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from serverless_chat import __version__
from serverless_chat.cli import (
    aws,
    bench,
    connect,
    dev_token,
    invoke,
    serve,
    template,
    web_export,
)
from serverless_chat.cli.arguments import Parser, sentence

COMMANDS = (serve, invoke, connect, aws, template, dev_token, bench, web_export)

_DESCRIPTION = (
    "A WebSocket chat: run it on this machine (serve), chat from a terminal (connect),"
    " deploy it to AWS (deploy, outputs, destroy)."
)


def parser() -> argparse.ArgumentParser:
    """The serverless-chat command and every subcommand's options."""
    top = Parser(prog="serverless-chat", description=_DESCRIPTION)
    top.add_argument("--version", action="version", version=__version__)
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(commands)
    return top


def _main(argv: Sequence[str] | None = None) -> int:
    command_line = parser()
    args, rest = command_line.parse_known_args(argv)
    if rest:
        command = f"{command_line.prog} {args.command}"
        print(
            f"{command}: error: unrecognized arguments: {' '.join(rest)} (see {command} --help)",
            file=sys.stderr,
        )
        return 2
    status: int = args.run(args)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Every command ends in a sentence: a broken pipe (``token | head -c 30``) ends
    quietly, Ctrl-C with 130, anything unforeseen with one line (the traceback when
    SERVERLESS_CHAT_TRACEBACK is set)."""
    try:
        status = _main(argv)
        sys.stdout.flush()  # here, where a reader that left is a broken pipe caught below
        return status
    except BrokenPipeError:
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if os.environ.get("SERVERLESS_CHAT_TRACEBACK"):
            raise
        print(
            f"error: {sentence(error)} (SERVERLESS_CHAT_TRACEBACK=1 shows where)", file=sys.stderr
        )
        return 1
